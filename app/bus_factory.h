// Chooses the Bus adapter from bus.url (one table, STYLE §2):
//   inproc://                           the components of one process
//   amqp://USER:PASSWORD@HOST[:PORT]/VHOST, amqps://...   RabbitMQ
#pragma once

#include <memory>

#include "app/config.h"
#include "ports/bus.h"
#include "util/result.h"

namespace autoland {

Result<std::unique_ptr<Bus>> open_bus(const BusConfig& config);

}  // namespace autoland
