#include "adapters/bus/inproc/inproc_bus.h"

#include <algorithm>

namespace autoland {

void InProcessBus::subscribe(const std::string& subscriber, const std::vector<std::string>& topics) {
  MutexLock lock(mu_);
  Queue& q = queues_[subscriber];
  q.topics.insert(topics.begin(), topics.end());
}

Status InProcessBus::publish(const BusMessage& message) {
  {
    MutexLock lock(mu_);
    for (auto& [name, q] : queues_) {
      if (!q.topics.count(message.topic)) continue;
      bool queued = std::any_of(q.pending.begin(), q.pending.end(),
                                [&](const BusMessage& m) { return m.topic == message.topic && m.id == message.id; });
      if (!queued) q.pending.push_back(message);
    }
  }
  changed_.notify_all();
  return {};
}

bool InProcessBus::has_pending(const std::string& subscriber) {
  auto it = queues_.find(subscriber);
  return it != queues_.end() && !it->second.pending.empty();
}

std::optional<BusDelivery> InProcessBus::wait(const std::string& subscriber, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  MutexLock lock(mu_);
  while (!closed_ && !has_pending(subscriber)) {
    if (changed_.wait_until(mu_, deadline) == std::cv_status::timeout) break;
  }
  if (closed_ || !has_pending(subscriber)) return std::nullopt;
  Queue& q = queues_[subscriber];
  BusDelivery d{q.pending.front(), ++delivered_};
  q.pending.pop_front();
  return d;
}

void InProcessBus::close() {
  {
    MutexLock lock(mu_);
    closed_ = true;
  }
  changed_.notify_all();
}

Status InProcessBus::health() {
  MutexLock lock(mu_);
  if (closed_) return transient("the bus is closed");
  return {};
}

}  // namespace autoland
