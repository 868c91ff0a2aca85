// autoland sandbox: its options; the cycle itself is sandbox/cycle/cycle.h.
#include <atomic>
#include <csignal>
#include <memory>

#include "cli/command.h"
#include "sandbox/cycle/cycle.h"

namespace autoland::cli {
namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

}  // namespace

void register_sandbox_cycle(CLI::App* sandbox, Invocation& inv) {
  auto args = std::make_shared<sandbox::cycle::CycleOptions>();
  sandbox->add_option("--dir", args->dir, "Where to put everything (default: a temp dir, removed after a good run)");
  sandbox->add_flag("--keep-running", args->keep_running, "Stay up after the scenarios, to play with");
  sandbox->add_option("--timeout", args->timeout_seconds, "Give up on the scenarios after this many seconds")
      ->capture_default_str();
  sandbox
      ->add_option("--crash-rounds", args->crash_rounds,
                   "Run autoland as a child process and kill it with SIGKILL this many times at random moments")
      ->check(CLI::Range(0, 1000));
  sandbox->add_flag("--distributed", args->distributed,
                    "Run the components as worker processes on a throwaway PostgreSQL and RabbitMQ");
  sandbox->add_option("--bulk", args->bulk, "Bulk bugs beside the scenarios (nine in ten try only, one lands)")
      ->check(CLI::Range(0, 5000));
  sandbox->add_flag("--chaos", args->chaos,
                    "With --distributed: kill workers, restart the broker and the database, purge a queue meanwhile");
  sandbox->add_flag("--reverse-order", args->reverse_order, "With --distributed: start the workers in reverse order");
  sandbox->add_option("--pushers", args->pushers, "With --distributed: how many pusher workers")
      ->check(CLI::Range(1, 8))
      ->capture_default_str();
  sandbox->add_flag("--measure-failover", args->measure_failover,
                    "With --distributed: time how long a killed pusher's patchset and a killed trigger leader take "
                    "to move again");
  sandbox->callback([&inv, args, sandbox] {
    if (!sandbox->get_subcommands().empty()) return;  // `sandbox bugzilla` and the like
    inv.action = [args] {
      std::signal(SIGINT, on_signal);
      std::signal(SIGTERM, on_signal);
      return sandbox::cycle::run_cycle(*args, g_stop);
    };
  });
}

}  // namespace autoland::cli
