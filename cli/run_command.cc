// autoland run: every component in one process; autoland worker ROLE: one
// of them (app/run_components.h). SIGTERM or SIGINT: each finishes its pass
// and stops.
#include <atomic>
#include <csignal>
#include <memory>
#include <string>

#include "app/run_components.h"
#include "cli/command.h"
#include "cli/wiring.h"

namespace autoland::cli {
namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

int run(const Invocation& inv, const std::string& role) {
  auto w = wire(inv);
  if (!w) return fail(w.error());
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
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
