// A throwaway RabbitMQ broker (Debian's `rabbitmq-server`) on 127.0.0.1,
// for the bus contract suite and `autoland sandbox --distributed`: a node of
// its own (its own Erlang cookie, data, logs, epmd port) in a directory of
// its own, the default guest account (allowed on loopback only). Stopped,
// with its epmd, when the object goes.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "adapters/process/subprocess.h"
#include "util/result.h"

namespace autoland::sandbox {

// A second listener speaking AMQP over TLS with this certificate and key
// (PEM files); clients are not asked for certificates of their own.
struct BrokerTls {
  std::string cert_file;
  std::string key_file;
};

class ThrowawayRabbitMq {
 public:
  static bool installed();
  // A new node under `dir` (emptied first) listening for AMQP on `port`
  // (0: a free one), and over TLS on a free port of its own with `tls`;
  // returns once the ports accept. The error carries the broker's own words.
  static Result<std::unique_ptr<ThrowawayRabbitMq>> start(const std::string& dir, int port,
                                                          std::optional<BrokerTls> tls = std::nullopt);
  ~ThrowawayRabbitMq();
  ThrowawayRabbitMq(const ThrowawayRabbitMq&) = delete;
  ThrowawayRabbitMq& operator=(const ThrowawayRabbitMq&) = delete;

  // amqp://guest:guest@127.0.0.1:PORT (the default vhost, /)
  std::string url() const;
  int port() const { return port_; }
  // amqps://guest:guest@127.0.0.1:TLS_PORT, when started with `tls`.
  std::string tls_url() const;
  // Stops the node (waited for) and starts it again on the same data: the
  // durable queues and persistent messages are there again.
  Status restart();
  // `rabbitmqctl ARGS...` against this node: its output, or its error.
  Result<std::string> ctl(const std::vector<std::string>& args);

 private:
  ThrowawayRabbitMq(std::string dir, int port, int tls_port, int dist_port, int epmd_port)
      : dir_(std::move(dir)), port_(port), tls_port_(tls_port), dist_port_(dist_port), epmd_port_(epmd_port) {}
  std::map<std::string, std::string> environment() const;
  Status run_node();
  void stop_node();
  std::string dir_;
  int port_;
  int tls_port_;  // 0: no TLS listener
  int dist_port_;
  int epmd_port_;
  std::optional<Subprocess> node_;
};

}  // namespace autoland::sandbox
