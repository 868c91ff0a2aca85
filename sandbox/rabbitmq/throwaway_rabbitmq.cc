#include "sandbox/rabbitmq/throwaway_rabbitmq.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "sandbox/server/throwaway_server.h"
#include "util/ports.h"

namespace autoland::sandbox {
namespace {

namespace fs = std::filesystem;

// The real programs: /usr/sbin's wrappers switch to the rabbitmq account
// as root and drop the environment that makes this node our own.
constexpr const char* kServer = "/usr/lib/rabbitmq/bin/rabbitmq-server";
constexpr const char* kCtl = "/usr/lib/rabbitmq/bin/rabbitmqctl";

Status write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) return internal_error("cannot write " + path.string());
  return {};
}

}  // namespace

bool ThrowawayRabbitMq::installed() { return ::access(kServer, X_OK) == 0 && ::access(kCtl, X_OK) == 0; }

std::string ThrowawayRabbitMq::url() const { return "amqp://guest:guest@127.0.0.1:" + std::to_string(port_); }

std::string ThrowawayRabbitMq::tls_url() const { return "amqps://guest:guest@127.0.0.1:" + std::to_string(tls_port_); }

std::map<std::string, std::string> ThrowawayRabbitMq::environment() const {
  const fs::path dir(dir_);
  return {
      {"HOME", (dir / "home").string()},  // the Erlang cookie lives here
      {"RABBITMQ_CONF_ENV_FILE", (dir / "rabbitmq-env.conf").string()},
      {"RABBITMQ_CONFIG_FILE", (dir / "rabbitmq").string()},
      {"RABBITMQ_ENABLED_PLUGINS_FILE", (dir / "enabled_plugins").string()},
      {"RABBITMQ_NODENAME", "autoland" + std::to_string(port_) + "@localhost"},
      {"RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1"},
      {"RABBITMQ_NODE_PORT", std::to_string(port_)},
      {"RABBITMQ_DIST_PORT", std::to_string(dist_port_)},
      {"RABBITMQ_MNESIA_BASE", (dir / "mnesia").string()},
      {"RABBITMQ_LOG_BASE", (dir / "log").string()},
      {"RABBITMQ_PID_FILE", (dir / "rabbitmq.pid").string()},
      {"ERL_EPMD_ADDRESS", "127.0.0.1"},
      {"ERL_EPMD_PORT", std::to_string(epmd_port_)},
      {"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}"},
  };
}

Result<std::unique_ptr<ThrowawayRabbitMq>> ThrowawayRabbitMq::start(const std::string& dir_name, int port,
                                                                    std::optional<BrokerTls> tls) {
  if (!installed()) return invalid_input("RabbitMQ is not installed (apt-get install rabbitmq-server)");
  if (port == 0) port = util::unused_local_port();
  const int tls_port = tls ? util::unused_local_port() : 0;
  const int dist_port = util::unused_local_port();
  const int epmd_port = util::unused_local_port();
  if (port == 0 || (tls && tls_port == 0) || dist_port == 0 || epmd_port == 0) {
    return internal_error("no free ports for RabbitMQ");
  }
  std::error_code ec;
  const fs::path dir = fs::absolute(dir_name, ec);
  fs::remove_all(dir, ec);
  fs::create_directories(dir / "home", ec);
  fs::create_directories(dir / "log", ec);
  if (ec) return internal_error("cannot make " + dir.string() + ": " + ec.message());
  AUTOLAND_TRY(write_file(dir / "rabbitmq-env.conf", ""));
  AUTOLAND_TRY(write_file(dir / "enabled_plugins", "[].\n"));
  std::string conf = "listeners.tcp.1 = 127.0.0.1:" + std::to_string(port) + "\n";
  if (tls) {
    conf += "listeners.ssl.1 = 127.0.0.1:" + std::to_string(tls_port) + "\n" +
            "ssl_options.certfile = " + fs::absolute(tls->cert_file).string() + "\n" +
            "ssl_options.keyfile = " + fs::absolute(tls->key_file).string() + "\n" +
            "ssl_options.verify = verify_none\n"
            "ssl_options.fail_if_no_peer_cert = false\n";
  }
  AUTOLAND_TRY(write_file(dir / "rabbitmq.conf", conf));
  std::unique_ptr<ThrowawayRabbitMq> broker(new ThrowawayRabbitMq(dir.string(), port, tls_port, dist_port, epmd_port));
  AUTOLAND_TRY(broker->run_node());
  return broker;
}

Status ThrowawayRabbitMq::run_node() {
  SpawnOptions run;
  run.argv = {kServer};
  run.env_set = environment();
  run.output_file = (fs::path(dir_) / "server.out").string();
  run.own_process_group = true;  // the node's Erlang helpers die with it
  AUTOLAND_TRY_ASSIGN(node_, Subprocess::spawn(run));
  for (int port : {port_, tls_port_}) {
    if (port != 0 && !wait_until_answers(port, std::chrono::seconds(60))) {
      return internal_error("RabbitMQ did not answer on port " + std::to_string(port) +
                            " within 60 s: " + log_tail((fs::path(dir_) / "server.out").string()));
    }
  }
  return {};
}

Result<std::string> ThrowawayRabbitMq::ctl(const std::vector<std::string>& args) {
  SpawnOptions run;
  run.argv = {kCtl, "-n", "autoland" + std::to_string(port_) + "@localhost"};
  run.argv.insert(run.argv.end(), args.begin(), args.end());
  run.env_set = environment();
  AUTOLAND_TRY_ASSIGN(auto done, run_program(run, {}, std::chrono::seconds(60)));
  if (done.exit_code != 0) return internal_error("rabbitmqctl failed: " + done.err + done.out);
  return done.out;
}

void ThrowawayRabbitMq::stop_node() {
  if (!node_) return;
  // SIGTERM to the node's group and a wait (rabbitmqctl stop returns before
  // the node is gone); whatever is left is killed with the group.
  ::kill(-node_->pid(), SIGTERM);
  for (int i = 0; i < 200 && ::kill(node_->pid(), 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  node_->kill_group();
  node_.reset();
}

Status ThrowawayRabbitMq::restart() {
  stop_node();
  return run_node();
}

ThrowawayRabbitMq::~ThrowawayRabbitMq() {
  stop_node();
  // epmd outlives the node it served.
  SpawnOptions kill_epmd;
  kill_epmd.argv = {"epmd", "-port", std::to_string(epmd_port_), "-kill"};
  kill_epmd.env_set = environment();
  (void)run_program(kill_epmd, {}, std::chrono::seconds(10));
}

}  // namespace autoland::sandbox
