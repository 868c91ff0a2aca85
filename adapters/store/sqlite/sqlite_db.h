// A thin RAII layer over sqlite3: a connection, prepared statements with
// typed binds, and a transaction guard. Errors become Result values; SQLITE_BUSY
// and SQLITE_LOCKED (after the busy timeout) are transient.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/mutex.h"
#include "util/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace autoland::sqlite {

class Statement;

// What a connection learnt about its file that makes it unusable for good: the
// file is corrupt or not a database. Set by any statement that meets it.
struct FileHealth {
  Mutex mu;
  std::optional<Error> unusable GUARDED_BY(mu);
};

class Database {
 public:
  // Opens `path` (":memory:" for a private in-memory db). A missing file is
  // created only when `create`; otherwise it is a not_found error. Connections
  // to one file may share `health`, so that what one learns all know.
  static Result<Database> open(const std::string& path, int busy_timeout_ms, bool create,
                               std::shared_ptr<FileHealth> health = nullptr);
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  Status exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  // The same, kept by the connection for the next use of the same text:
  // reset and unbound when the Statement goes instead of finalized (a
  // parse costs more than most of the store's queries). A fresh one while
  // the kept one is in use, or once kKeptStatements texts are kept.
  Result<Statement> prepare_kept(std::string_view sql);
  int64_t last_insert_rowid() const;
  int changes() const;
  Error error(std::string_view what) const;  // from the connection's last error
  // Set once a statement found the file corrupt or not a database.
  std::optional<Error> unusable() const;

 private:
  Database(sqlite3* db, std::shared_ptr<FileHealth> health)
      : db_(db), health_(health ? std::move(health) : std::make_shared<FileHealth>()) {}
  void close();
  struct Kept {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  static constexpr size_t kKeptStatements = 128;
  sqlite3* db_ = nullptr;
  std::shared_ptr<FileHealth> health_;
  // On the heap: a Statement points at its entry's in_use across moves.
  std::unique_ptr<std::unordered_map<std::string, Kept>> kept_ =
      std::make_unique<std::unordered_map<std::string, Kept>>();
};

// REQUIRES: used by one thread at a time, and the Database outlives it.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  // Binds are 1-based, as in SQL.
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, const std::string& value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind_null(int index);
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // true: a row is ready; false: done.
  Result<bool> step();
  // Runs to completion (for writes).
  Status run();

  int64_t column_int(int col) const;
  std::string column_text(int col) const;
  bool column_is_null(int col) const;
  bool column_is_integer(int col) const;
  int column_count() const;
  std::optional<int64_t> column_optional_int(int col) const;

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt, FileHealth* health, bool* kept_in_use = nullptr)
      : db_(db), stmt_(stmt), health_(health), kept_in_use_(kept_in_use) {}
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  FileHealth* health_;
  bool* kept_in_use_;  // a kept statement: reset and handed back, not finalized
  Status bind_error_;
};

// BEGIN IMMEDIATE on construction (takes the write lock up front, so two
// writers never deadlock upgrading read locks); ROLLBACK unless commit()ed.
class Transaction : public HeldWhileAlive {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction(const Transaction&) = delete;
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace autoland::sqlite
