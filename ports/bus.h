// Bus: how components wake each other up. Messages carry ids only ("patchset
// 42 changed"); every handler re-reads the store, so a lost, repeated or late
// message changes nothing but timing (the seed lost every second message and
// had components eating each other's). Each subscriber has its own queue: a
// message for the queue is never taken by the commenter; two subscribers of
// one name (two pushers on two hosts) share that name's queue, each message
// going to one of them.
//
// A delivery is acknowledged once the work it woke has been committed to the
// store: a subscriber that dies before that leaves it to be delivered again
// (to another of its name, or to itself after a restart). Since handlers
// re-read the store, a second delivery costs a pass and nothing else, and a
// periodic pass finds whatever a lost message would have announced.
// Implementations: adapters/bus/inproc (the embedded default),
// adapters/bus/rabbitmq (AMQP 0-9-1, several hosts).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace autoland {

struct BusMessage {
  std::string topic;  // "patchset", "comment", "branch", ...
  int64_t id = 0;     // what changed; 0: "something, look"
};

struct BusDelivery {
  BusMessage message;
  uint64_t tag = 0;  // what ack() names; per subscriber
};

class Bus {
 public:
  virtual ~Bus() = default;
  // From now on `subscriber` gets every message on `topics`.
  virtual void subscribe(const std::string& subscriber, const std::vector<std::string>& topics) = 0;
  virtual Status publish(const BusMessage& message) = 0;
  // The next message for `subscriber`, waiting up to `timeout`; nullopt when
  // none came (or the bus closed, or its broker is away).
  virtual std::optional<BusDelivery> wait(const std::string& subscriber, std::chrono::milliseconds timeout) = 0;
  // The work `tag` woke is committed: the delivery is done with. Unknown or
  // stale tags (a broker reconnected meanwhile) are ignored: the message
  // comes again, and a pass more is harmless.
  virtual void ack(const std::string& subscriber, uint64_t tag) = 0;
  // Wakes every waiter; later waits return at once.
  virtual void close() = 0;
  // Ok while messages can be sent; otherwise why not: closed, or (a
  // networked bus) its broker away, with the last failure's own words.
  virtual Status health() = 0;
};

}  // namespace autoland
