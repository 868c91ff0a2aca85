// autoland results: the seed's SchedulerDBPoller on the command line. Watches
// the CI results of every pushed patchset and moves it on; reports the
// results of try pushes others made with --post-to-bug; with the local CI
// configured, runs its jobs too.
#include <iostream>

#include "adapters/ci/local/local_ci.h"
#include "app/ci_factory.h"
#include "cli/command.h"
#include "cli/loop.h"
#include "cli/wiring.h"
#include "services/results/push_watcher.h"
#include "services/results/results_poller.h"
#include "util/log.h"

namespace autoland::cli {

void register_results_command(CLI::App& app, Invocation& inv) {
  auto args = std::make_shared<LoopArgs>();
  auto* results = app.add_subcommand("results", "Watch CI for every pushed patchset and act on the verdict");
  add_loop_options(results, *args, 30);
  results->callback([&inv, args, results] {
    inv.action = [&inv, args, results] {
      auto w = wire(inv, false);
      if (!w) return fail(w.error());
      auto sources = open_ci_sources((*w)->config, *(*w)->store, (*w)->clock);
      if (!sources) return fail(sources.error());
      if (sources->local) sources->local->start();
      ResultsPoller poller(*(*w)->store, (*w)->clock, [&](const std::string& name) { return sources->find(name); });
      PushWatcher watcher(*(*w)->store, (*w)->clock, [&](const std::string& name) { return sources->find(name); });
      int interval = results->count("--interval") ? args->interval : (*w)->config.results_interval_seconds;
      int code = run_passes(args->once, interval, *(*w)->store, [&] {
        auto stats = poller.pass();
        if (!stats) {
          LOG_ERROR("results", stats.error().message);
          if (args->once) std::cerr << "error: " << stats.error().message << "\n";
          return false;
        }
        auto pushes = watcher.pass();
        if (!pushes) {
          LOG_ERROR("results", pushes.error().message);
          if (args->once) std::cerr << "error: " << pushes.error().message << "\n";
          return false;
        }
        if (args->once) {
          std::cout << "results: " << stats->watched << " watched, " << stats->stepped << " moved on, "
                    << stats->waiting << " waiting, " << stats->retriggered << " retriggered, " << stats->errors
                    << " errors" << std::endl;
          std::cout << "--post-to-bug: " << pushes->seen << " new pushes, " << pushes->watched << " watched, "
                    << pushes->reported << " reported, " << pushes->waiting << " waiting, " << pushes->errors
                    << " errors" << std::endl;
        }
        return stats->errors == 0 && pushes->errors == 0;
      });
      // Jobs in progress finish (within their timeouts) before the runner stops.
      return code;
    };
  });
}

}  // namespace autoland::cli
