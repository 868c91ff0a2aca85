#include "services/request_limits.h"

#include "core/lifecycle.h"

namespace autoland {
namespace {

std::vector<State> live_states() {
  std::vector<State> live;
  for (State s : all_states()) {
    if (!is_terminal(s)) live.push_back(s);
  }
  return live;
}

// How many patchsets matching `query` have not ended, counting up to `most` + 1.
Result<int> live(Store& store, PatchSetQuery query, int most) {
  query.states = live_states();
  query.limit = static_cast<size_t>(most) + 1;
  AUTOLAND_TRY_ASSIGN(auto found, store.find_patchsets(query));
  return static_cast<int>(found.size());
}

}  // namespace

Result<std::string> over_request_limit(Store& store, BugId bug, const std::string& requester, int adding,
                                       const RequestLimits& limits) {
  AUTOLAND_TRY_ASSIGN(auto on_bug, live(store, {.bug_id = bug}, limits.per_bug));
  if (on_bug + adding > limits.per_bug) {
    return "bug " + std::to_string(bug) + " has " + std::to_string(on_bug) +
           " requests in flight, and one bug may have " + std::to_string(limits.per_bug) +
           " (queue.max_requests_per_bug); tag it again once one has ended";
  }
  if (requester.empty()) return std::string();
  AUTOLAND_TRY_ASSIGN(auto theirs, live(store, {.requester = requester}, limits.per_requester));
  if (theirs + adding > limits.per_requester) {
    return requester + " has " + std::to_string(theirs) + " requests in flight, and one person may have " +
           std::to_string(limits.per_requester) + " (queue.max_requests_per_requester); ask again once one has ended";
  }
  return std::string();
}

}  // namespace autoland
