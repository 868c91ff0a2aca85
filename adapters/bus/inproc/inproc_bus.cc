#include "adapters/bus/inproc/inproc_bus.h"

#include <algorithm>

namespace autoland {

void InProcessBus::subscribe(const std::string& subscriber, const std::vector<std::string>& topics) {
  std::lock_guard lock(mu_);
  Queue& q = queues_[subscriber];
  q.topics.insert(topics.begin(), topics.end());
}

Status InProcessBus::publish(const BusMessage& message) {
  {
    std::lock_guard lock(mu_);
    for (auto& [name, q] : queues_) {
      if (!q.topics.count(message.topic)) continue;
      bool queued = std::any_of(q.pending.begin(), q.pending.end(), [&](const BusMessage& m) {
        return m.topic == message.topic && m.id == message.id;
      });
      if (!queued) q.pending.push_back(message);
    }
  }
  changed_.notify_all();
  return {};
}

std::optional<BusMessage> InProcessBus::wait(const std::string& subscriber, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  auto ready = [&] {
    auto it = queues_.find(subscriber);
    return closed_ || (it != queues_.end() && !it->second.pending.empty());
  };
  if (!changed_.wait_for(lock, timeout, ready) || closed_) return std::nullopt;
  Queue& q = queues_[subscriber];
  BusMessage m = q.pending.front();
  q.pending.pop_front();
  return m;
}

void InProcessBus::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  changed_.notify_all();
}

bool InProcessBus::is_open() {
  std::lock_guard lock(mu_);
  return !closed_;
}

}  // namespace autoland
