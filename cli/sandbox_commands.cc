// autoland sandbox bugzilla: the sandbox Bugzilla on its own.
#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/command.h"
#include "sandbox/bugzilla/bugzilla_server.h"

namespace autoland::cli {
namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }
}  // namespace

void register_sandbox_commands(CLI::App& app, Invocation& inv) {
  auto* sandbox = app.add_subcommand(
      "sandbox", "The whole cycle on this machine (no subcommand), or one local stand-in (staging, demo, tests)");
  sandbox->require_subcommand(0, 1);
  register_sandbox_cycle(sandbox, inv);
  struct Args {
    int port = 8081;
    std::string seed;
    double error_rate = 0, stall_rate = 0, reset_rate = 0, late_rate = 0;
    int stall_ms = 2000, latency_ms = 0, late_ms = 1000;
    bool ignore_header_key = false;
    std::string tls_cert, tls_key;
  };
  auto args = std::make_shared<Args>();
  auto* bz = sandbox->add_subcommand("bugzilla", "Run a Bugzilla-compatible REST server on 127.0.0.1");
  bz->add_option("--port", args->port, "Port (0: any free one, printed)")->capture_default_str();
  bz->add_option("--seed", args->seed, "JSON file with users, keywords and bugs (see docs/sandbox.md)")
      ->check(CLI::ExistingFile);
  bz->add_option("--error-rate", args->error_rate, "Share of requests answered with an HTML 500")
      ->check(CLI::Range(0.0, 1.0));
  bz->add_option("--stall-rate", args->stall_rate, "Share of requests that stall for --stall-ms")
      ->check(CLI::Range(0.0, 1.0));
  bz->add_option("--reset-rate", args->reset_rate, "Share of answers cut off mid-way")->check(CLI::Range(0.0, 1.0));
  bz->add_option("--late-rate", args->late_rate,
                 "Share of requests answered 504 at once and carried out --late-ms later (a proxy giving up)")
      ->check(CLI::Range(0.0, 1.0));
  bz->add_option("--late-ms", args->late_ms, "How much later a --late-rate request is carried out")
      ->capture_default_str();
  bz->add_option("--stall-ms", args->stall_ms, "How long a stall lasts")->capture_default_str();
  bz->add_option("--latency-ms", args->latency_ms, "Latency added to every request")->capture_default_str();
  bz->add_option("--tls-cert", args->tls_cert, "Serve HTTPS with this PEM certificate")->check(CLI::ExistingFile);
  bz->add_option("--tls-key", args->tls_key, "The certificate's PEM private key")->check(CLI::ExistingFile);
  bz->add_flag("--ignore-header-key", args->ignore_header_key,
               "Ignore X-BUGZILLA-API-KEY like upstream Bugzilla 5.2 (only api_key= works)");
  bz->callback([&inv, args] {
    inv.action = [args] {
      std::string seed = "{}";
      if (!args->seed.empty()) {
        std::ifstream in(args->seed);
        std::ostringstream ss;
        ss << in.rdbuf();
        seed = ss.str();
      }
      sandbox::ServerOptions options;
      options.port = args->port;
      options.honor_header_key = !args->ignore_header_key;
      options.tls_cert = args->tls_cert;
      options.tls_key = args->tls_key;
      options.faults.error_rate = args->error_rate;
      options.faults.stall_rate = args->stall_rate;
      options.faults.reset_rate = args->reset_rate;
      options.faults.late_rate = args->late_rate;
      options.faults.late_ms = args->late_ms;
      options.faults.stall_ms = args->stall_ms;
      options.faults.latency_ms = args->latency_ms;
      options.faults.seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
      auto server = sandbox::BugzillaServer::start(seed, options);
      if (!server) return fail(server.error());
      std::cout << "sandbox bugzilla listening on " << (*server)->url() << std::endl;
      std::signal(SIGINT, on_signal);
      std::signal(SIGTERM, on_signal);
      while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      return kExitOk;
    };
  });
}

}  // namespace autoland::cli
