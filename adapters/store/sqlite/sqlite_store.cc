#include "adapters/store/sqlite/sqlite_store.h"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "adapters/store/sql/pool.h"
#include "adapters/store/sql/sql_store.h"
#include "adapters/store/sqlite/sqlite_db.h"
#include "util/mutex.h"

namespace autoland {
namespace {

using sqlite::Database;

class SqliteConnection final : public sql::Connection {
 public:
  explicit SqliteConnection(Database db) : db_(std::move(db)) {}

  sql::Dialect dialect() const override { return sql::Dialect::sqlite; }

  Status run_script(std::string_view text) override { return db_.exec(text); }
  // IMMEDIATE takes the write lock up front, so two writers never deadlock
  // upgrading read locks.
  Status begin_write() override { return db_.exec("BEGIN IMMEDIATE"); }
  Status commit() override { return db_.exec("COMMIT"); }
  void rollback() override { (void)db_.exec("ROLLBACK"); }

 protected:
  Result<sql::Outcome> execute(std::string_view text, const std::vector<sql::Value>& params) override {
    AUTOLAND_TRY_ASSIGN(auto s, db_.prepare_kept(text));
    int index = 1;
    for (const sql::Value& v : params) {
      if (v.is_null()) {
        s.bind_null(index);
      } else if (v.is_integer()) {
        s.bind(index, v.integer());
      } else {
        s.bind(index, v.text());
      }
      ++index;
    }
    sql::Outcome out;
    for (;;) {
      AUTOLAND_TRY_ASSIGN(bool row, s.step());
      if (!row) break;
      sql::Row r;
      const int columns = s.column_count();
      r.reserve(static_cast<size_t>(columns));
      for (int col = 0; col < columns; ++col) {
        if (s.column_is_null(col)) {
          r.emplace_back();
        } else if (s.column_is_integer(col)) {
          r.emplace_back(s.column_int(col));
        } else {
          r.emplace_back(s.column_text(col));
        }
      }
      out.rows.push_back(std::move(r));
    }
    out.changed = db_.changes();
    return out;
  }

 private:
  Database db_;
};

// One writer connection (SQLite has one write lock per file; threads queue
// here rather than sleep in SQLite's busy handler) and a few readers beside
// it (WAL: a reader never waits for the writer). In memory, one connection
// is the whole database and serves both.
class SqliteSource final : public sql::ConnectionSource {
 public:
  SqliteSource(Database first, const SqliteOptions& options, std::shared_ptr<sqlite::FileHealth> health, bool in_memory)
      : path_(in_memory ? std::string() : options.path),
        health_(std::move(health)),
        writer_("SQLite writer", 1, opener(options, health_), kWait),
        readers_("SQLite reader", kReaders, opener(options, health_), kWait),
        in_memory_(in_memory) {
    writer_.adopt(std::make_unique<SqliteConnection>(std::move(first)));
    struct stat st {};
    if (!path_.empty() && ::stat(path_.c_str(), &st) == 0) {
      device_ = st.st_dev;
      inode_ = st.st_ino;
    }
  }

  sql::Dialect dialect() const override { return sql::Dialect::sqlite; }

  Result<sql::Lease> acquire(bool for_write) override {
    return for_write || in_memory_ ? writer_.acquire() : readers_.acquire();
  }

  // The store can no longer be trusted once its file is corrupt, or was
  // deleted or replaced under it: SQLite would go on writing to the old,
  // unlinked file, and everything written would be lost at the next start.
  // Every call fails from then on, naming the file; a daemon stops.
  Status check_usable() override {
    {
      MutexLock lock(health_->mu);
      if (health_->unusable) return *health_->unusable;
    }
    if (path_.empty()) return {};
    MutexLock lock(file_mu_);
    if (lost_) return *lost_;
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) {
      if (errno != ENOENT) return transient("cannot check the store '" + path_ + "': " + std::strerror(errno));
      lost_ = internal_error("the store '" + path_ +
                             "' was deleted while autoland was using it: stopping, so that nothing more is written "
                             "to the deleted file. Restore it from a backup (or make an empty one with `autoland db "
                             "init`, forgetting every request in flight) and start again");
    } else if (st.st_dev != device_ || st.st_ino != inode_) {
      lost_ = internal_error("the store '" + path_ +
                             "' was replaced by another file while autoland was using it: stopping; start again "
                             "to use the file that is there now");
    }
    if (lost_) return *lost_;
    return {};
  }

 private:
  static constexpr size_t kReaders = 4;
  static constexpr std::chrono::milliseconds kWait{60'000};

  static sql::Pool::Opener opener(const SqliteOptions& options, const std::shared_ptr<sqlite::FileHealth>& health) {
    return
        [path = options.path, timeout = options.busy_timeout_ms, health]() -> Result<std::unique_ptr<sql::Connection>> {
          AUTOLAND_TRY_ASSIGN(auto db, Database::open(path, timeout, /*create=*/false, health));
          AUTOLAND_TRY(db.exec("PRAGMA synchronous=FULL"));
          return std::unique_ptr<sql::Connection>(std::make_unique<SqliteConnection>(std::move(db)));
        };
  }

  const std::string path_;
  std::shared_ptr<sqlite::FileHealth> health_;
  sql::Pool writer_;
  sql::Pool readers_;
  const bool in_memory_;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  Mutex file_mu_;
  std::optional<Error> lost_ GUARDED_BY(file_mu_);
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options, const Clock& clock) {
  const bool in_memory = options.path == ":memory:";
  auto health = std::make_shared<sqlite::FileHealth>();
  auto db = Database::open(options.path, options.busy_timeout_ms, options.create || in_memory, health);
  if (!db) {
    if (db.error().kind == ErrorKind::not_found) {
      return not_found("the store '" + options.path +
                       "' does not exist. autoland never makes an empty store by itself (a store deleted by "
                       "mistake would silently forget every request in flight): create it with `autoland db "
                       "init`, or restore it from a backup");
    }
    return db.error();
  }
  // Reads the schema before anything is written: a file that is not a
  // database, or a corrupt one, fails here, naming the file.
  bool empty = false;
  bool has_store = false;
  {
    AUTOLAND_TRY_ASSIGN(auto tables,
                        db->prepare("SELECT count(*), count(CASE WHEN name = 'schema_migrations' THEN 1 END) "
                                    "FROM sqlite_master WHERE type = 'table'"));
    AUTOLAND_TRY(tables.step());
    empty = tables.column_int(0) == 0;
    has_store = tables.column_int(1) > 0;
  }
  if (!has_store && !in_memory) {
    if (!empty) {
      return invalid_input("the file '" + options.path +
                           "' is an SQLite database but not an autoland store (it has no schema_migrations table)");
    }
    if (!options.create) {
      return not_found("the store '" + options.path +
                       "' is empty: autoland never fills an empty store by itself (it may stand where a store was "
                       "lost); create it with `autoland db init`, or restore it from a backup");
    }
  }
  // After the checks above: these write to the file.
  if (!in_memory) {
    // WAL lets readers run beside a writer (the API reads while services write).
    AUTOLAND_TRY(db->exec("PRAGMA journal_mode=WAL"));
    // FULL: a committed write (a push intent above all) is on disk before
    // the side effect it announces happens, even across a power cut.
    AUTOLAND_TRY(db->exec("PRAGMA synchronous=FULL"));
  }
  auto source = std::make_unique<SqliteSource>(std::move(*db), options, health, in_memory);
  auto store = sql::make_sql_store(std::move(source), clock);
  if (options.migrate || (options.create && !has_store)) {
    AUTOLAND_TRY(store->migrate());
  }
  return store;
}

}  // namespace autoland
