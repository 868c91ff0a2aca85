#include "core/landing_policy.h"

#include <algorithm>

namespace autoland {

std::vector<PolicyDecision> decide_landings(const PolicyInput& input) {
  std::vector<WaitingPatchSet> queue = input.waiting;
  std::stable_sort(queue.begin(), queue.end(), [](const WaitingPatchSet& a, const WaitingPatchSet& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.created != b.created) return a.created < b.created;
    return a.id < b.id;
  });

  std::map<std::string, const PolicyBranch*> branches;
  for (const PolicyBranch& b : input.branches) branches[b.name] = &b;
  std::map<std::string, int> used = input.in_flight;

  std::vector<PolicyDecision> decisions;
  for (const WaitingPatchSet& p : queue) {
    PolicyDecision d{p.id, false, ""};
    auto it = branches.find(p.branch);
    const PolicyBranch* b = it == branches.end() ? nullptr : it->second;
    if (input.kill_switch) {
      d.hold_reason = "the global kill switch is on";
    } else if (!input.pusher_enabled) {
      d.hold_reason = "the pusher is switched off";
    } else if (!b) {
      d.hold_reason = "branch '" + p.branch + "' is not configured";
    } else if (!b->enabled) {
      d.hold_reason = "branch '" + p.branch + "' is disabled";
    } else if (!b->is_try && b->tree == TreeStatus::closed) {
      d.hold_reason = "the " + p.branch + " tree is closed";
    } else if (!b->is_try && b->tree == TreeStatus::approval_required && !p.has_approval) {
      d.hold_reason = "the " + p.branch + " tree needs approval (a=) and this patchset has none";
    } else if (used[p.branch] >= b->threshold) {
      d.hold_reason = "branch '" + p.branch + "' is at its threshold (" + std::to_string(b->threshold) + " in flight)";
    } else {
      d.start = true;
      ++used[p.branch];
    }
    decisions.push_back(std::move(d));
  }
  return decisions;
}

}  // namespace autoland
