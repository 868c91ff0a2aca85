#include "adapters/store/sqlite/sqlite_db.h"

#include <sqlite3.h>
#include <unistd.h>

namespace autoland::sqlite {
namespace {

Error error_from(sqlite3* db, int code, std::string_view what, FileHealth* health = nullptr) {
  std::string message = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(code));
  int primary = code & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return transient("database is busy: " + message);
  if (primary == SQLITE_CONSTRAINT) return conflict(message);
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
    Error e =
        internal_error("the store '" + std::string(file && *file ? file : "?") + "' is " +
                       (primary == SQLITE_CORRUPT ? "corrupt" : "not an SQLite database") + " (" +
                       (db ? sqlite3_errmsg(db) : sqlite3_errstr(code)) + "): stopping; restore it from a backup");
    e.code = primary;
    if (health) {
      MutexLock lock(health->mu);
      if (!health->unusable) health->unusable = e;
    }
    return e;
  }
  return internal_error("sqlite: " + message);
}

}  // namespace

Result<Database> Database::open(const std::string& path, int busy_timeout_ms, bool create,
                                std::shared_ptr<FileHealth> health) {
  // SQLite's memory statistics take one process-wide mutex on every
  // allocation, which readers on several threads then queue on; nothing
  // reads them. Only possible before SQLite starts (else a harmless no).
  static const int kNoMemoryStatistics = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)kNoMemoryStatistics;
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db(raw, std::move(health));
  if (rc == SQLITE_CANTOPEN && !create && path != ":memory:" && access(path.c_str(), F_OK) != 0) {
    return not_found("the store '" + path + "' does not exist");
  }
  if (rc != SQLITE_OK) return error_from(raw, rc, "cannot open database '" + path + "'");
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Database::Database(Database&& other) noexcept
    : db_(other.db_), health_(std::move(other.health_)), kept_(std::move(other.kept_)) {
  other.db_ = nullptr;
  other.kept_ = std::make_unique<std::unordered_map<std::string, Kept>>();
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    db_ = other.db_;
    health_ = std::move(other.health_);
    kept_ = std::move(other.kept_);
    other.db_ = nullptr;
    other.kept_ = std::make_unique<std::unordered_map<std::string, Kept>>();
  }
  return *this;
}

Database::~Database() { close(); }

// REQUIRES: no Statement of this connection is alive.
void Database::close() {
  for (auto& [text, kept] : *kept_) sqlite3_finalize(kept.stmt);
  kept_->clear();
  if (db_) sqlite3_close_v2(db_);
  db_ = nullptr;
}

Status Database::exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string detail = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    int primary = rc & 0xff;
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return error_from(db_, rc, "exec", health_.get());
    Error e = error_from(nullptr, rc, "exec");
    e.message += " (" + detail + ")";
    return e;
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return error_from(db_, rc, "prepare", health_.get());
  return Statement(db_, stmt, health_.get());
}

Result<Statement> Database::prepare_kept(std::string_view sql) {
  auto found = kept_->find(std::string(sql));
  if (found != kept_->end()) {
    if (found->second.in_use) return prepare(sql);
    found->second.in_use = true;
    return Statement(db_, found->second.stmt, health_.get(), &found->second.in_use);
  }
  if (kept_->size() >= kKeptStatements) return prepare(sql);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return error_from(db_, rc, "prepare", health_.get());
  Kept& kept = (*kept_)[std::string(sql)];
  kept = {stmt, true};
  return Statement(db_, stmt, health_.get(), &kept.in_use);
}

int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }
Error Database::error(std::string_view what) const {
  return error_from(db_, sqlite3_errcode(db_), what, health_.get());
}

std::optional<Error> Database::unusable() const {
  if (!health_) return std::nullopt;
  MutexLock lock(health_->mu);
  return health_->unusable;
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(other.stmt_),
      health_(other.health_),
      kept_in_use_(other.kept_in_use_),
      bind_error_(std::move(other.bind_error_)) {
  other.stmt_ = nullptr;
  other.kept_in_use_ = nullptr;
}

Statement::~Statement() {
  if (!stmt_) return;
  if (!kept_in_use_) {
    sqlite3_finalize(stmt_);
    return;
  }
  // Handed back as new: no read left open (it would pin a WAL snapshot), no
  // value of this use bound into the next.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *kept_in_use_ = false;
}

Statement& Statement::bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_.ok()) bind_error_ = error_from(db_, rc, "bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  int rc = sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_.ok()) bind_error_ = error_from(db_, rc, "bind");
  return *this;
}

Statement& Statement::bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }

Statement& Statement::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_error_.ok()) bind_error_ = error_from(db_, rc, "bind");
  return *this;
}

Result<bool> Statement::step() {
  if (!bind_error_.ok()) return bind_error_.error();
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return error_from(db_, rc, "step", health_);
}

Status Statement::run() {
  while (true) {
    AUTOLAND_TRY_ASSIGN(auto more, step());
    if (!more) return {};
  }
}

int64_t Statement::column_int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::column_text(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  int size = sqlite3_column_bytes(stmt_, col);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size)) : std::string();
}

bool Statement::column_is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
bool Statement::column_is_integer(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_INTEGER; }
int Statement::column_count() const { return sqlite3_column_count(stmt_); }

std::optional<int64_t> Statement::column_optional_int(int col) const {
  if (column_is_null(col)) return std::nullopt;
  return column_int(col);
}

Result<Transaction> Transaction::begin(Database& db) {
  AUTOLAND_TRY(db.exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_) (void)db_->exec("ROLLBACK");
}

Status Transaction::commit() {
  Database* db = db_;
  db_ = nullptr;
  Status status = db->exec("COMMIT");
  if (!status.ok()) (void)db->exec("ROLLBACK");
  return status;
}

}  // namespace autoland::sqlite
