// How many requests may be in flight at once, per bug and per requester: one
// whiteboard edit with 40 tags made 40 patchsets and 40 try pushes. The one
// home of the rule, for tags, the checkin-needed keyword and the API alike.
#pragma once

#include <string>

#include "ports/store.h"
#include "util/result.h"

namespace autoland {

struct RequestLimits {
  int per_bug = 5;         // live patchsets on one bug
  int per_requester = 50;  // live patchsets asked for by one person, on any bug
};

// Why `adding` more patchsets for `bug`, asked for by `requester`, would go
// over a limit ("" when they fit). Counts the patchsets that have not ended.
Result<std::string> over_request_limit(Store& store, BugId bug, const std::string& requester, int adding,
                                       const RequestLimits& limits);

}  // namespace autoland
