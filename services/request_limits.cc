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

}  // namespace

Result<std::string> over_request_limit(Store& store, BugId bug, const std::string& requester, int adding,
                                       const RequestLimits& limits) {
  PatchSetQuery on_bug;
  on_bug.bug_id = bug;
  on_bug.states = live_states();
  on_bug.limit = static_cast<size_t>(limits.per_bug) + 1;
  auto live = store.find_patchsets(on_bug);
  if (!live) return live.error();
  if (static_cast<int>(live->size()) + adding > limits.per_bug) {
    return "bug " + std::to_string(bug) + " has " + std::to_string(live->size()) +
           " requests in flight, and one bug may have " + std::to_string(limits.per_bug) +
           " (queue.max_requests_per_bug); tag it again once one has ended";
  }
  if (requester.empty()) return std::string();
  PatchSetQuery by_requester;
  by_requester.requester = requester;
  by_requester.states = live_states();
  by_requester.limit = static_cast<size_t>(limits.per_requester) + 1;
  auto theirs = store.find_patchsets(by_requester);
  if (!theirs) return theirs.error();
  if (static_cast<int>(theirs->size()) + adding > limits.per_requester) {
    return requester + " has " + std::to_string(theirs->size()) + " requests in flight, and one person may have " +
           std::to_string(limits.per_requester) +
           " (queue.max_requests_per_requester); ask again once one has ended";
  }
  return std::string();
}

}  // namespace autoland
