// Bus: how components wake each other up. Messages carry ids only ("patchset
// 42 changed"); every handler re-reads the store, so a lost, repeated or late
// message changes nothing but timing (the seed lost every second message and
// had components eating each other's). Each subscriber has its own queue: a
// message for the queue is never taken by the commenter.
// Implementations: an in-process one (the embedded default); RabbitMQ later.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace autoland {

struct BusMessage {
  std::string topic;  // "patchset", "comment", "branch", ...
  int64_t id = 0;     // what changed; 0: "something, look"
};

class Bus {
 public:
  virtual ~Bus() = default;
  // From now on `subscriber` gets every message on `topics`.
  virtual void subscribe(const std::string& subscriber, const std::vector<std::string>& topics) = 0;
  virtual Status publish(const BusMessage& message) = 0;
  // The next message for `subscriber`, waiting up to `timeout`; nullopt when
  // none came (or the bus closed).
  virtual std::optional<BusMessage> wait(const std::string& subscriber, std::chrono::milliseconds timeout) = 0;
  // Wakes every waiter; later waits return at once.
  virtual void close() = 0;
  // False once closed (or, for a networked bus, while its broker is away).
  virtual bool is_open() = 0;
};

}  // namespace autoland
