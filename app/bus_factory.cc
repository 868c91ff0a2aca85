#include "app/bus_factory.h"

#include "adapters/bus/inproc/inproc_bus.h"
#include "adapters/bus/rabbitmq/rabbitmq_bus.h"
#include "util/strings.h"

namespace autoland {

Result<std::unique_ptr<Bus>> open_bus(const BusConfig& config) {
  if (config.url == "inproc://") return std::unique_ptr<Bus>(std::make_unique<InProcessBus>());
  if (config.url.rfind("amqp://", 0) == 0 || config.url.rfind("amqps://", 0) == 0) {
    RabbitMqOptions options;
    options.url = config.url;
    options.name = config.name;
    options.prefetch = config.prefetch;
    options.tls_ca_file = config.tls_ca_file;
    return open_rabbitmq_bus(options);
  }
  return invalid_input("bus URL '" + util::redact_url(config.url) +
                       "' has an unknown scheme (supported: inproc://, amqp://, amqps://)");
}

}  // namespace autoland
