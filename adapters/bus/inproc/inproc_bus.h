// The Bus inside one process: a queue per subscriber, guarded by one mutex.
// Messages are coalesced per subscriber (a second "patchset 42" while the
// first waits adds nothing): they only wake the subscriber, which re-reads
// the store. Nothing outlives the process, so there is nothing to
// acknowledge: ack() does nothing. Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include "ports/bus.h"
#include "util/mutex.h"

namespace autoland {

class InProcessBus final : public Bus {
 public:
  void subscribe(const std::string& subscriber, const std::vector<std::string>& topics) override;
  Status publish(const BusMessage& message) override;
  std::optional<BusDelivery> wait(const std::string& subscriber, std::chrono::milliseconds timeout) override;
  void ack(const std::string& /*subscriber*/, uint64_t /*tag*/) override {}
  void close() override;
  Status health() override;

 private:
  struct Queue {
    std::set<std::string> topics;
    std::deque<BusMessage> pending;
  };
  bool has_pending(const std::string& subscriber) REQUIRES(mu_);

  Mutex mu_;
  std::condition_variable_any changed_;
  std::map<std::string, Queue> queues_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
  uint64_t delivered_ GUARDED_BY(mu_) = 0;
};

}  // namespace autoland
