// What the commands that touch the store and Bugzilla share: the config,
// the clock, the store (with the config's branches created in it on first
// use) and, when asked for, the Bugzilla client.
#pragma once

#include <atomic>
#include <memory>

#include "app/config.h"
#include "cli/command.h"
#include "ports/bug_tracker.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "services/commenter/commenter.h"
#include "services/request_limits.h"
#include "services/trigger/trigger.h"

namespace autoland::cli {

struct Wiring {
  Config config;
  SystemClock clock;
  std::unique_ptr<Store> store;
  std::unique_ptr<BugTracker> bugs;  // null when not asked for
};

Result<std::unique_ptr<Wiring>> wire(const Invocation& inv, bool with_bugzilla = true);

// The components' options from the config: one place, whichever command runs them.
TriggerOptions trigger_options(const Config& config);
CommenterOptions commenter_options(const Config& config);
RequestLimits request_limits(const Config& config);
PatchLimits patch_limits(const Config& config);

// Every component (trigger, queue, results, commenter) on its own thread
// until `stop` turns true; then each finishes its pass (cli/run_command.cc).
int run_components(Wiring& wiring, const std::atomic<bool>& stop);

}  // namespace autoland::cli
