#include "app/wiring.h"

#include "app/bug_tracker_factory.h"
#include "app/store_factory.h"

namespace autoland {

Result<std::unique_ptr<Wiring>> open_wiring(Config config, bool with_bugzilla) {
  auto w = std::make_unique<Wiring>();
  w->config = std::move(config);
  AUTOLAND_TRY_ASSIGN(auto store, open_store(w->config.store_url, w->clock));
  w->store = std::move(store);
  if (with_bugzilla) {
    AUTOLAND_TRY_ASSIGN(auto bugs, open_bug_tracker(w->config.bugzilla));
    w->bugs = std::move(bugs);
  }
  AUTOLAND_TRY(seed_branches(*w->store, w->config.branches));
  return w;
}

Status seed_branches(Store& store, const std::vector<Branch>& branches) {
  for (const Branch& b : branches) {
    auto existing = store.get_branch(b.name);
    if (existing) continue;
    if (existing.error().kind != ErrorKind::not_found) return existing.error();
    auto created = store.create_branch(b, "config");
    if (!created && created.error().kind != ErrorKind::conflict) return created.error();
  }
  return {};
}

}  // namespace autoland
