#include "app/run_components.h"

#include <map>
#include <optional>
#include <thread>

#include "adapters/ci/local/local_ci.h"
#include "adapters/treestatus/treestatus_client.h"
#include "app/api_wiring.h"
#include "app/bus_factory.h"
#include "app/ci_factory.h"
#include "app/component_options.h"
#include "app/directory_factory.h"
#include "app/vcs_factory.h"
#include "services/commenter/commenter.h"
#include "services/queue/queue.h"
#include "services/queue/sheriff.h"
#include "services/results/push_watcher.h"
#include "services/results/results_poller.h"
#include "services/trigger/trigger.h"
#include "util/log.h"

namespace autoland {
namespace {

struct Component {
  std::string name;  // also its switch: component/<name>
  int interval_seconds = 10;
  // One pass; true when it moved something others may act on.
  std::function<Result<bool>()> pass;
};

// At most this many waiting deliveries are answered by one pass (a steady
// stream of them must not keep the pass from running).
constexpr size_t kMostAnsweredAtOnce = 64;

void loop(Component& c, Store& store, Bus& bus, const std::atomic<bool>& stop) {
  // Deliveries that woke this pass: acknowledged once it has run (its
  // writes committed), so a process killed meanwhile leaves them to be
  // delivered again.
  std::vector<uint64_t> woken;
  while (!stop) {
    auto on = component_on(store, c.name);
    if (on && *on) {
      auto moved = c.pass();
      if (!moved) {
        LOG_ERROR(c.name, moved.error().message);
      } else if (*moved) {
        (void)bus.publish({"patchset", 0});
      }
    }
    for (uint64_t tag : woken) bus.ack(c.name, tag);
    woken.clear();
    // Until the next pass is due, or another component moved something;
    // whatever else is waiting already is answered by the same pass.
    auto first = bus.wait(c.name, std::chrono::seconds(c.interval_seconds));
    if (first) {
      woken.push_back(first->tag);
      while (woken.size() < kMostAnsweredAtOnce) {
        auto more = bus.wait(c.name, std::chrono::milliseconds(0));
        if (!more) break;
        woken.push_back(more->tag);
      }
    }
  }
}

}  // namespace

Status run_components(Wiring& wiring, const std::atomic<bool>& stop) {
  const Config& config = wiring.config;
  AUTOLAND_TRY_ASSIGN(auto directory, open_directory(config));
  AUTOLAND_TRY_ASSIGN(auto sources, open_ci_sources(config, *wiring.store, wiring.clock));
  if (sources.local) sources.local->start();
  auto ci_for = [&](const std::string& name) { return sources.find(name); };

  std::map<Vcs, std::unique_ptr<VersionControl>> vcs;
  auto vcs_for = [&](const Branch& b) -> VersionControl* {
    auto it = vcs.find(b.vcs);
    if (it == vcs.end()) {
      auto opened = open_vcs(b.vcs, config.vcs_cache_dir);
      if (!opened) {
        LOG_ERROR("queue", opened.error().message);
        return nullptr;
      }
      it = vcs.emplace(b.vcs, std::move(*opened)).first;
    }
    return it->second.get();
  };

  Trigger trigger(*wiring.store, *wiring.bugs, trigger_options(config));

  std::unique_ptr<TreeStatusClient> trees;
  if (!config.tree_status_url.empty()) {
    trees = make_tree_status_client(config.tree_status_url, 10, config.tree_status_cache_seconds);
  }
  Queue queue(*wiring.store, *wiring.bugs, *directory, wiring.clock, vcs_for, queue_options(config), trees.get());

  ResultsPoller poller(*wiring.store, wiring.clock, ci_for);
  PushWatcher watcher(*wiring.store, wiring.clock, ci_for);

  Commenter commenter(*wiring.store, *wiring.bugs, wiring.clock, commenter_options(config));

  std::vector<Component> components = {
      {"trigger", config.run_trigger_interval_seconds,
       [&]() -> Result<bool> {
         AUTOLAND_TRY_ASSIGN(auto s, trigger.poll_once());
         return s.patchsets_created > 0;
       }},
      {"queue", config.run_queue_interval_seconds,
       [&]() -> Result<bool> {
         AUTOLAND_TRY_ASSIGN(auto s, queue.pass());
         return s.validating + s.validated + s.rejected + s.started + s.pushed + s.failed + s.backed_out > 0;
       }},
      {"results", config.results_interval_seconds,
       [&]() -> Result<bool> {
         AUTOLAND_TRY_ASSIGN(auto s, poller.pass());
         AUTOLAND_TRY_ASSIGN(auto p, watcher.pass());
         return s.stepped + p.reported > 0;
       }},
      {"commenter", config.run_commenter_interval_seconds,
       [&]() -> Result<bool> {
         AUTOLAND_TRY(commenter.drain_once());
         return false;
       }},
  };
  AUTOLAND_TRY_ASSIGN(auto bus_owned, open_bus(config.bus));
  Bus& bus = *bus_owned;
  for (const Component& c : components) bus.subscribe(c.name, {"patchset"});

  // The API serves on its own threads beside the components.
  std::unique_ptr<api::ApiServer> api_server;
  if (!config.api.listen.empty()) {
    AUTOLAND_TRY_ASSIGN(auto started,
                        start_api(wiring, {directory.get(), trees.get(), &sources, &bus}, config.api.listen));
    api_server = std::move(started);
  }

  LOG_INFO("run", "autoland is running: trigger, queue, results, commenter (SIGTERM stops it)");
  std::atomic<bool> quit{false};
  std::vector<std::thread> threads;
  for (Component& c : components) {
    threads.emplace_back([&c, &wiring, &bus, &quit] { loop(c, *wiring.store, bus, quit); });
  }
  // A store that was deleted, replaced or found corrupt stops everything:
  // going on would act on state that is no longer kept anywhere.
  std::optional<Error> store_lost;
  while (!stop && !store_lost) {
    store_lost = wiring.store->unusable();
    if (!store_lost) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (store_lost) LOG_ERROR("run", store_lost->message);
  LOG_INFO("run", "stopping: each component finishes its pass");
  quit = true;
  bus.close();
  for (std::thread& t : threads) t.join();
  if (api_server) api_server->stop();
  LOG_INFO("run", "stopped");
  if (store_lost) return *store_lost;
  return {};
}

}  // namespace autoland
