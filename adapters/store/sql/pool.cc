#include "adapters/store/sql/pool.h"

namespace autoland::sql {

Lease::~Lease() {
  if (pool_ && connection_) pool_->give_back(std::move(connection_));
}

Pool::Pool(std::string name, size_t size, Opener open, std::chrono::milliseconds wait)
    : name_(std::move(name)), size_(size == 0 ? 1 : size), open_(std::move(open)), wait_(wait) {}

Result<Lease> Pool::acquire() {
  {
    MutexLock lock(mu_);
    auto deadline = std::chrono::steady_clock::now() + wait_;
    while (idle_.empty() && open_count_ >= size_) {
      if (freed_.wait_until(mu_, deadline) == std::cv_status::timeout && idle_.empty() && open_count_ >= size_) {
        return transient("all " + std::to_string(size_) + " " + name_ + " connections stayed busy for " +
                         std::to_string(wait_.count()) + " ms");
      }
    }
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(connection));
    }
    ++open_count_;  // a slot taken while opening outside the lock
  }
  auto opened = open_();
  if (!opened) {
    MutexLock lock(mu_);
    --open_count_;
    freed_.notify_one();
    return opened.error();
  }
  return Lease(this, std::move(*opened));
}

void Pool::give_back(std::unique_ptr<Connection> connection) {
  MutexLock lock(mu_);
  if (connection->broken()) {
    --open_count_;
  } else {
    idle_.push_back(std::move(connection));
  }
  freed_.notify_one();
}

void Pool::adopt(std::unique_ptr<Connection> connection) {
  MutexLock lock(mu_);
  ++open_count_;
  idle_.push_back(std::move(connection));
  freed_.notify_one();
}

void Pool::clear() {
  std::vector<std::unique_ptr<Connection>> dropped;
  MutexLock lock(mu_);
  open_count_ -= idle_.size();
  dropped.swap(idle_);
}

}  // namespace autoland::sql
