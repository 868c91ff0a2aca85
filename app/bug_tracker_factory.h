// The BugTracker from the configuration (Bugzilla's REST API over libcurl).
#pragma once

#include <memory>

#include "app/config.h"
#include "ports/bug_tracker.h"
#include "util/result.h"

namespace autoland {

Result<std::unique_ptr<BugTracker>> open_bug_tracker(const BugzillaConfig& config);

}  // namespace autoland
