// What the SQL store needs from a database engine, and nothing more: run one
// statement with `?` placeholders, run a migration script, and open a write
// transaction. adapters/store/sqlite and adapters/store/postgres implement
// it; adapters/store/sql/sql_store holds every query, so the rules of the
// store have one home whatever the engine.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "util/result.h"

namespace autoland::sql {

enum class Dialect { sqlite, postgres };

// A value bound to a placeholder or read from a column: NULL, an integer or
// text. Engines that answer in text (PostgreSQL) give text; integer() parses it.
class Value {
 public:
  Value() = default;
  Value(std::nullopt_t) {}  // NOLINT: implicit by design, like the types below
  template <std::integral I>
  Value(I value) : value_(static_cast<int64_t>(value)) {}        // NOLINT
  Value(std::string value) : value_(std::move(value)) {}         // NOLINT
  Value(std::string_view value) : value_(std::string(value)) {}  // NOLINT
  Value(const char* value) : value_(std::string(value)) {}       // NOLINT
  template <typename T>
  Value(const std::optional<T>& value) {  // NOLINT
    if (value) *this = Value(*value);
  }

  bool is_null() const { return std::holds_alternative<std::monostate>(value_); }
  bool is_integer() const { return std::holds_alternative<int64_t>(value_); }
  // 0 for NULL; text is parsed as a decimal integer (0 when it is not one).
  int64_t integer() const;
  std::optional<int64_t> optional_integer() const;
  // "" for NULL; an integer in decimal.
  std::string text() const;

 private:
  std::variant<std::monostate, int64_t, std::string> value_;
};

using Row = std::vector<Value>;

struct Outcome {
  std::vector<Row> rows;
  int64_t changed = 0;  // rows inserted, updated or deleted by the statement
};

// One connection, used by one thread at a time. Errors are mapped to the
// Result kinds: a unique or check constraint → conflict; busy, lock timeout,
// serialization failure → transient; a lost connection → transient with
// `lost_connection()` true (nothing of the open transaction was kept unless
// the error says outcome_unknown, which only commit() can).
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // One statement; `?` placeholders are bound in order. Text is stored as
  // UTF-8 without NUL, which is all PostgreSQL's text holds: a byte sequence
  // that is not UTF-8 (or a NUL) is stored as U+FFFD, by every engine alike,
  // rather than refused (a reason quoting a broken patch must still be written).
  Result<Outcome> run(std::string_view sql, const std::vector<Value>& params);
  Result<Outcome> run(std::string_view sql, std::initializer_list<Value> params = {}) {
    return run(sql, std::vector<Value>(params));
  }
  // Several statements without placeholders (a migration).
  virtual Status run_script(std::string_view sql) = 0;
  // Opens a transaction that holds the store's one write lock until commit
  // or rollback: writers are serialised, whichever host they run on (the
  // store's contract counts and checks inside a write as SQLite's single
  // writer lets it); readers never wait for it.
  virtual Status begin_write() = 0;
  // A write transaction without the write lock, for a write that checks
  // nothing against other rows (a worker's heartbeat): it neither waits
  // behind the other writers nor holds them up, so a busy store cannot
  // make a live worker look dead. SQLite has one writer whatever is asked.
  virtual Status begin_unlocked_write() { return begin_write(); }
  virtual Status commit() = 0;
  virtual void rollback() = 0;
  // True once the connection cannot be used again (the pool drops it).
  virtual bool broken() const { return false; }

 protected:
  // run() with text already made storable.
  virtual Result<Outcome> execute(std::string_view sql, const std::vector<Value>& params) = 0;
};

// `text` with every byte sequence that is not UTF-8, and every NUL, replaced by U+FFFD.
std::string storable_text(std::string_view text);

// An error of this code means the connection was lost before anything was
// committed: the whole call may run again on a new connection.
inline constexpr int kConnectionLost = -2;
inline bool lost_connection(const Error& e) { return e.kind == ErrorKind::transient && e.code == kConnectionLost; }

}  // namespace autoland::sql
