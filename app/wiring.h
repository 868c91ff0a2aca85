// What every command that touches the store and Bugzilla shares: the config,
// the clock, the store (with the config's branches created in it on first
// use) and, when asked for, the Bugzilla client.
#pragma once

#include <memory>

#include "app/config.h"
#include "ports/bug_tracker.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "util/result.h"

namespace autoland {

struct Wiring {
  Config config;
  SystemClock clock;
  std::unique_ptr<Store> store;
  std::unique_ptr<BugTracker> bugs;  // null when not asked for
};

// Opens the store `config` names (and Bugzilla when `with_bugzilla`) and
// seeds the branches. The error names what could not be opened.
Result<std::unique_ptr<Wiring>> open_wiring(Config config, bool with_bugzilla);

// The config's [[branches]] become the store's initial branches; the store
// (and sheriffs, through the API) own them afterwards: one that exists is
// left as it is.
Status seed_branches(Store& store, const std::vector<Branch>& branches);

}  // namespace autoland
