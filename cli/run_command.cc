// autoland run: every component in one process; autoland worker ROLE: one
// of them (app/run_components.h). SIGTERM or SIGINT: each finishes its pass
// and stops.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>

#include "app/run_components.h"
#include "cli/command.h"
#include "cli/wiring.h"
#include "util/log.h"

namespace autoland::cli {
namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

// Sleeps `wait` unless told to stop meanwhile; false when told.
bool pause_unless_stopped(std::chrono::milliseconds wait) {
  for (auto slept = std::chrono::milliseconds(0); slept < wait && !g_stop; slept += std::chrono::milliseconds(50)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return !g_stop;
}

int run(const Invocation& inv, const std::string& role) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  // A store that cannot be reached yet (PostgreSQL restarting, or started
  // after autoland) is waited for, as a broker is: workers start in any
  // order. Anything else (a bad config, a missing store) stops at once.
  auto w = wire(inv);
  for (auto wait = std::chrono::milliseconds(200); !w && w.error().kind == ErrorKind::transient;
       wait = std::min(wait * 2, std::chrono::milliseconds(5000))) {
    if (wait == std::chrono::milliseconds(200)) LOG_WARN("run", w.error().message + "; waiting for it");
    if (!pause_unless_stopped(wait)) return kExitOk;  // stopped while waiting: nothing was started
    w = wire(inv);
  }
  if (!w) return fail(w.error());
  Status ran = run_components(**w, role, g_stop);
  return ran.ok() ? kExitOk : fail(ran.error());
}

}  // namespace

void register_run_command(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand(
      "run",
      "Run every component (trigger, queue, pusher, results, commenter; the API with api.listen) in one process");
  cmd->callback([&inv] { inv.action = [&inv] { return run(inv, "run"); }; });

  auto* worker = app.add_subcommand(
      "worker", "Run one component, beside others on this or other hosts sharing the store and the bus");
  auto role = std::make_shared<std::string>();
  worker->add_option("role", *role, "trigger, queue, pusher, results, commenter or api")
      ->required()
      ->check(CLI::IsMember(worker_roles()));
  worker->callback([&inv, role] { inv.action = [&inv, role] { return run(inv, *role); }; });
}

}  // namespace autoland::cli
