#include "adapters/store/postgres/postgres_store.h"

#include <libpq-fe.h>

#include <chrono>
#include <cstring>
#include <string>
#include <unordered_map>

#include "adapters/store/sql/pool.h"
#include "adapters/store/sql/sql_store.h"
#include "util/strings.h"

namespace autoland {
namespace {

// The one lock every write transaction takes (pg_advisory_xact_lock): "autoland" in ASCII.
constexpr const char* kWriteLockKey = "7022916830331039332";

std::string trimmed(const char* message) {
  std::string out = message ? message : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// `?` placeholders as PostgreSQL's $1, $2, ..., outside quoted literals.
std::string numbered_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  bool quoted = false;
  for (char ch : sql) {
    if (ch == '\'') quoted = !quoted;
    if (ch == '?' && !quoted) {
      out += '$' + std::to_string(++n);
    } else {
      out += ch;
    }
  }
  return out;
}

class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result) {}
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult() { PQclear(result_); }
  PGresult* get() const { return result_; }

 private:
  PGresult* result_;
};

class PgConnection final : public sql::Connection {
 public:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection() override { PQfinish(conn_); }

  static Result<std::unique_ptr<sql::Connection>> open(const std::string& url) {
    // Keywords before the URL may be overridden by it.
    const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* values[] = {"10", "autoland", url.c_str(), nullptr};
    PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
    auto connection = std::make_unique<PgConnection>(conn);
    if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
      Error e = transient("cannot connect to the PostgreSQL store " + util::redact_url(url) + ": " +
                          trimmed(conn ? PQerrorMessage(conn) : "out of memory"));
      e.code = sql::kConnectionLost;
      return e;
    }
    // A writer waiting for the write lock gives up after 30 s (transient, the
    // caller retries later), and the server ends a transaction left open by a
    // client that hung, so that it cannot hold the lock for ever.
    AUTOLAND_TRY(
        connection->run_script("SET lock_timeout = '30s'; SET idle_in_transaction_session_timeout = '60s'; "
                               "SET client_min_messages = warning"));
    return std::unique_ptr<sql::Connection>(std::move(connection));
  }

  sql::Dialect dialect() const override { return sql::Dialect::postgres; }

  Status run_script(std::string_view text) override {
    PgResult result(PQexec(conn_, std::string(text).c_str()));
    return check(result.get(), "");
  }

  Status begin_write() override {
    return run_script(std::string("BEGIN; SELECT pg_advisory_xact_lock(") + kWriteLockKey + ")");
  }

  Status begin_unlocked_write() override { return run_script("BEGIN"); }

  Status commit() override {
    PgResult result(PQexec(conn_, "COMMIT"));
    Status status = check(result.get(), "");
    if (!status.ok() && sql::lost_connection(status.error())) {
      // The server may have committed before the answer was lost.
      Error e = status.error();
      e.code = 0;
      e.outcome_unknown = true;
      e.message =
          "the connection to the PostgreSQL store was lost while committing; the write may or may not "
          "have been applied: " +
          e.message;
      return e;
    }
    return status;
  }

  void rollback() override {
    if (PQstatus(conn_) != CONNECTION_OK) return;
    PgResult result(PQexec(conn_, "ROLLBACK"));
  }

  // Lost, or left inside a transaction (an aborted BEGIN, a rollback that
  // could not be sent): either way not fit for the next caller.
  bool broken() const override {
    return PQstatus(conn_) != CONNECTION_OK || PQtransactionStatus(conn_) != PQTRANS_IDLE;
  }

 protected:
  Result<sql::Outcome> execute(std::string_view text, const std::vector<sql::Value>& params) override {
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      if (params[i].is_null()) continue;
      texts[i] = params[i].text();
      values[i] = texts[i].c_str();
    }
    AUTOLAND_TRY_ASSIGN(const std::string* name, prepared(text, static_cast<int>(params.size())));
    PgResult result(name ? PQexecPrepared(conn_, name->c_str(), static_cast<int>(params.size()), values.data(), nullptr,
                                          nullptr, /*resultFormat=text*/ 0)
                         : PQexecParams(conn_, numbered_placeholders(text).c_str(), static_cast<int>(params.size()),
                                        nullptr, values.data(), nullptr, nullptr, /*resultFormat=text*/ 0));
    AUTOLAND_TRY(check(result.get(), text));
    sql::Outcome out;
    const int rows = PQntuples(result.get());
    const int columns = PQnfields(result.get());
    out.rows.reserve(static_cast<size_t>(rows));
    for (int r = 0; r < rows; ++r) {
      sql::Row row;
      row.reserve(static_cast<size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(result.get(), r, c)) {
          row.emplace_back();
        } else {
          row.emplace_back(
              std::string(PQgetvalue(result.get(), r, c), static_cast<size_t>(PQgetlength(result.get(), r, c))));
        }
      }
      out.rows.push_back(std::move(row));
    }
    const char* tuples = PQcmdTuples(result.get());
    out.changed = tuples && *tuples ? std::strtoll(tuples, nullptr, 10) : 0;
    return out;
  }

 private:
  // The name of `text` prepared on this session (parsed and planned once:
  // the server's parser and planner cost more than most of the store's
  // queries), or nullptr once kPreparedStatements texts are (the rest run
  // unprepared). Prepared statements outlive a rolled-back transaction;
  // a new session (a reconnect) is a new PgConnection and prepares afresh.
  Result<const std::string*> prepared(std::string_view text, int params) {
    auto found = prepared_.find(std::string(text));
    if (found != prepared_.end()) return &found->second;
    if (prepared_.size() >= kPreparedStatements) return nullptr;
    std::string name = "autoland_" + std::to_string(prepared_.size() + 1);
    PgResult made(PQprepare(conn_, name.c_str(), numbered_placeholders(text).c_str(), params, nullptr));
    AUTOLAND_TRY(check(made.get(), text));
    return &prepared_.emplace(std::string(text), std::move(name)).first->second;
  }

  // The server's answer as a Result: SQLSTATE class 23 (a constraint) is a
  // conflict; a serialization failure, deadlock, lock or statement timeout
  // is transient; a lost connection, or a server shutting down, is
  // transient and marked lost (nothing of the transaction was kept).
  Status check(PGresult* result, std::string_view statement) const {
    const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return {};
    const char* state_field = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const std::string state = state_field ? state_field : "";
    std::string message = trimmed(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
    if (message.empty()) message = trimmed(PQerrorMessage(conn_));
    if (PQstatus(conn_) != CONNECTION_OK || state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" ||
        state == "57P03") {
      Error e = transient("the connection to the PostgreSQL store was lost: " + message);
      e.code = sql::kConnectionLost;
      return e;
    }
    if (state.rfind("23", 0) == 0) return conflict(message);
    if (state == "40001" || state == "40P01" || state == "55P03" || state == "57014") {
      return transient("the PostgreSQL store is busy: " + message);
    }
    std::string what = "postgresql: " + message;
    if (!statement.empty()) what += " (in: " + std::string(statement.substr(0, 120)) + ")";
    return internal_error(what);
  }

  static constexpr size_t kPreparedStatements = 256;
  PGconn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // statement text -> its name on this session
};

class PgSource final : public sql::ConnectionSource {
 public:
  explicit PgSource(const PostgresOptions& options)
      : pool_(
            "PostgreSQL", options.pool_size, [url = options.url] { return PgConnection::open(url); },
            std::chrono::seconds(60)) {}

  sql::Dialect dialect() const override { return sql::Dialect::postgres; }
  Result<sql::Lease> acquire(bool /*for_write*/) override { return pool_.acquire(); }
  void drop_idle() override { pool_.clear(); }

 private:
  sql::Pool pool_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_postgres_store(const PostgresOptions& options, const Clock& clock) {
  // Reads whether the database holds a store before anything is written.
  AUTOLAND_TRY_ASSIGN(auto probe, PgConnection::open(options.url));
  AUTOLAND_TRY_ASSIGN(auto tables, probe->run("SELECT count(*), count(CASE WHEN table_name = 'schema_migrations' "
                                              "THEN 1 END) FROM information_schema.tables WHERE table_schema = "
                                              "current_schema()"));
  const bool empty = tables.rows.front()[0].integer() == 0;
  const bool has_store = tables.rows.front()[1].integer() > 0;
  const std::string where = util::redact_url(options.url);
  if (!has_store) {
    if (!empty) {
      return invalid_input("the PostgreSQL database " + where +
                           " holds tables but not an autoland store (it has no schema_migrations table)");
    }
    if (!options.create) {
      return not_found("the PostgreSQL database " + where +
                       " is empty: autoland never fills an empty store by itself (it may be the wrong database, "
                       "or one that lost its data); create the store with `autoland db init`, or restore it from "
                       "a backup");
    }
  }
  auto source = std::make_unique<PgSource>(options);
  auto store = sql::make_sql_store(std::move(source), clock);
  if (options.migrate || (options.create && !has_store)) {
    AUTOLAND_TRY(store->migrate());
  }
  return store;
}

}  // namespace autoland
