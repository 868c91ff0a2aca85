// Which waiting patchsets may start pushing now. Pure: given the branches, the
// switches and the queue, it says for every waiting patchset "start" or "hold,
// because ...", so sheriffs can always see why something does not move.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/model.h"

namespace autoland {

struct PolicyBranch {
  std::string name;
  int threshold = 1;  // in flight at most (pushing, testing, retrying, backing out)
  bool enabled = true;
  TreeStatus tree = TreeStatus::open;
  bool is_try = false;  // try is never held by tree status
};

struct WaitingPatchSet {
  PatchSetId id = 0;
  std::string branch;  // the branch its current stage pushes to
  int priority = 0;
  UnixTime created = 0;
  bool has_approval = false;  // the message carries a= (for "approval required")
};

struct PolicyInput {
  bool kill_switch = false;    // true: nothing starts
  bool pusher_enabled = true;  // the per-component switch for the pusher
  std::vector<PolicyBranch> branches;
  std::map<std::string, int> in_flight;  // branch -> patchsets in flight now
  std::vector<WaitingPatchSet> waiting;
};

struct PolicyDecision {
  PatchSetId id = 0;
  bool start = false;
  std::string hold_reason;  // "" when start
};

// One decision per waiting patchset, in queue order: priority (high first),
// then age (old first), then id.
std::vector<PolicyDecision> decide_landings(const PolicyInput& input);

}  // namespace autoland
