// autoland run: every component in one process (app/run_components.h).
// SIGTERM or SIGINT: each finishes its pass and stops.
#include <atomic>
#include <csignal>

#include "app/run_components.h"
#include "cli/command.h"
#include "cli/wiring.h"

namespace autoland::cli {
namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

int run(const Invocation& inv) {
  auto w = wire(inv);
  if (!w) return fail(w.error());
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  Status ran = run_components(**w, g_stop);
  return ran.ok() ? kExitOk : fail(ran.error());
}

}  // namespace

void register_run_command(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand("run", "Run every component (trigger, queue, results, commenter) in one process");
  cmd->callback([&inv] { inv.action = [&inv] { return run(inv); }; });
}

}  // namespace autoland::cli
