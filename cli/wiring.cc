#include "cli/wiring.h"

#include "app/bug_tracker_factory.h"
#include "app/store_factory.h"
#include "util/log.h"

namespace autoland::cli {

Result<std::unique_ptr<Wiring>> wire(const Invocation& inv, bool with_bugzilla) {
  auto w = std::make_unique<Wiring>();
  auto config = inv.load_config();
  if (!config) return config.error();
  w->config = std::move(*config);
  util::set_log_level(util::parse_log_level(w->config.log_level));
  auto store = open_store(w->config.store_url, w->clock);
  if (!store) return store.error();
  w->store = std::move(*store);
  if (with_bugzilla) {
    auto bugs = open_bug_tracker(w->config.bugzilla);
    if (!bugs) return bugs.error();
    w->bugs = std::move(*bugs);
  }
  // Branches from the config file become the store's initial branches; the
  // store (and sheriffs, through the API) own them afterwards.
  for (const Branch& b : w->config.branches) {
    auto existing = w->store->get_branch(b.name);
    if (existing) continue;
    if (existing.error().kind != ErrorKind::not_found) return existing.error();
    auto created = w->store->create_branch(b, "config");
    if (!created && created.error().kind != ErrorKind::conflict) return created.error();
  }
  return w;
}

}  // namespace autoland::cli
