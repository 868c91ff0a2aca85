// The Bus over RabbitMQ (AMQP 0-9-1, rabbitmq-c), for components on several
// hosts. One durable topic exchange; one durable queue per subscriber name
// (NAME.SUBSCRIBER), bound to its topics, shared by every process of that
// name (two pushers split the work; a poller never sees a pusher's
// message); persistent messages, each publish confirmed by the broker;
// manual acks (ports/bus.h: after the pass that answered them committed)
// with a bounded prefetch; reconnection with backoff when the broker goes
// away, while waits return empty and publishes fail (transient) meanwhile.
//
// Wire format (docs/operators.md), routing key = topic, content type
// application/json, delivery mode 2:
//   {"_meta": {"format": "autoland.bus/1", "sent": UNIXTIME, "from": "HOST/PID"},
//    "payload": {"topic": "patchset", "id": 42}}
// A message that does not parse is acknowledged and dropped (logged): a
// stray or foreign message must neither stop a consumer nor come back for
// ever.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "ports/bus.h"
#include "util/result.h"

namespace autoland {

struct RabbitMqOptions {
  // amqp://USER:PASSWORD@HOST[:PORT]/VHOST, or amqps:// for TLS (the
  // broker's certificate checked against `tls_ca_file`, its name against
  // HOST). The password is never logged.
  std::string url;
  std::string name = "autoland";  // the exchange; queues are NAME.SUBSCRIBER
  int prefetch = 16;              // unacknowledged deliveries per subscriber
  std::string tls_ca_file;
  std::chrono::milliseconds confirm_timeout{10'000};
};

// Checks the URL (a malformed one is invalid_input); connects lazily, so a
// broker that is not up yet delays wake-ups but nothing else.
Result<std::unique_ptr<Bus>> open_rabbitmq_bus(const RabbitMqOptions& options);

std::string encode_bus_message(const BusMessage& message, std::string_view from, int64_t sent);
Result<BusMessage> decode_bus_message(std::string_view body);

}  // namespace autoland
