// A bounded pool of connections shared by threads. A connection found broken
// when it comes back is dropped, and the next acquire opens a new one: that
// is how the store reconnects after its server restarted.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/store/sql/connection.h"
#include "util/mutex.h"
#include "util/result.h"

namespace autoland::sql {

class Pool;

// A connection borrowed from a pool, given back when the lease goes.
class Lease : public HeldWhileAlive {
 public:
  Lease(Pool* pool, std::unique_ptr<Connection> connection) : pool_(pool), connection_(std::move(connection)) {}
  Lease(Lease&& other) noexcept = default;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  ~Lease();
  Connection& operator*() const { return *connection_; }
  Connection* operator->() const { return connection_.get(); }

 private:
  Pool* pool_;
  std::unique_ptr<Connection> connection_;
};

class Pool {
 public:
  using Opener = std::function<Result<std::unique_ptr<Connection>>()>;
  // At most `size` connections, opened by `open` when needed. An acquire
  // that finds them all busy waits up to `wait` and then fails (transient).
  Pool(std::string name, size_t size, Opener open, std::chrono::milliseconds wait);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  Result<Lease> acquire();
  // Adds a connection opened beforehand (counted against the size).
  void adopt(std::unique_ptr<Connection> connection);
  // Drops every idle connection (a test restarting the server, or shutdown).
  void clear();

 private:
  friend class Lease;
  void give_back(std::unique_ptr<Connection> connection);

  const std::string name_;
  const size_t size_;
  const Opener open_;
  const std::chrono::milliseconds wait_;
  Mutex mu_;
  std::condition_variable_any freed_;
  std::vector<std::unique_ptr<Connection>> idle_ GUARDED_BY(mu_);
  size_t open_count_ GUARDED_BY(mu_) = 0;  // idle and lent
};

// Where the SQL store gets its connections: a pool per purpose, and the
// engine's own view of whether the store can still be trusted.
class ConnectionSource {
 public:
  virtual ~ConnectionSource() = default;
  virtual Dialect dialect() const = 0;
  // For a write transaction, or for reads only (may be another connection:
  // SQLite's readers run beside its one writer).
  virtual Result<Lease> acquire(bool for_write) = 0;
  // An error once the store must not be used any more (see Store::unusable);
  // checked before every call. Must not wait for a connection.
  virtual Status check_usable() { return {}; }
  // A connection was found lost: the idle ones most likely went with it
  // (the server restarted), so none of them is handed out again.
  virtual void drop_idle() {}
};

}  // namespace autoland::sql
