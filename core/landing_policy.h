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

// Autoland's share of try, so that try stays usable for people: at most
// `max_in_flight` of its own try pushes at once, and none started while
// the CI says more than `max_pending_jobs` jobs wait on try (where it can
// say). 0 means no limit. A patchset a sheriff gave a priority above 0
// goes past the budget (not past a branch's threshold or switches).
struct TryBudget {
  int max_in_flight = 0;
  int max_pending_jobs = 0;
  int pending_jobs = -1;  // jobs waiting on try now; -1: the CI cannot say
};

struct PolicyInput {
  bool kill_switch = false;    // true: nothing starts
  bool pusher_enabled = true;  // the per-component switch for the pusher
  std::vector<PolicyBranch> branches;
  std::map<std::string, int> in_flight;  // branch -> patchsets in flight now
  std::vector<WaitingPatchSet> waiting;
  TryBudget try_budget;
};

// Why a patchset holds, as a code for programs and the queue's page.
enum class HoldCode {
  none,
  kill_switch,
  pusher_off,
  unknown_branch,
  branch_disabled,
  tree_closed,
  needs_approval,
  threshold,
  try_busy,
};
std::string_view to_string(HoldCode c);

struct PolicyDecision {
  PatchSetId id = 0;
  bool start = false;
  std::string hold_reason;  // "" when start
  HoldCode hold = HoldCode::none;
};

// One decision per waiting patchset, in queue order: priority (high first),
// then age (old first), then id.
std::vector<PolicyDecision> decide_landings(const PolicyInput& input);

// Why each held patchset waits, as the queue leaves it for GET /queue: one
// line per held patchset, "ID CODE REASON".
struct Hold {
  HoldCode code = HoldCode::none;
  std::string reason;
};
inline constexpr std::string_view kHoldsSetting = "queue/holds";
std::string encode_holds(const std::vector<PolicyDecision>& decisions);
std::map<PatchSetId, Hold> decode_holds(std::string_view text);

}  // namespace autoland
