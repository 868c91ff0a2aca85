#include "core/landing_policy.h"

#include <algorithm>
#include <charconv>

namespace autoland {

std::string_view to_string(HoldCode c) {
  switch (c) {
    case HoldCode::none: return "";
    case HoldCode::kill_switch: return "kill_switch";
    case HoldCode::pusher_off: return "pusher_off";
    case HoldCode::unknown_branch: return "unknown_branch";
    case HoldCode::branch_disabled: return "branch_disabled";
    case HoldCode::tree_closed: return "tree_closed";
    case HoldCode::needs_approval: return "needs_approval";
    case HoldCode::threshold: return "threshold";
    case HoldCode::try_busy: return "try_busy";
  }
  return "?";
}

namespace {

// Why autoland starts no more try pushes of its own now ("" when it may).
std::string try_busy(const TryBudget& budget, int own_in_flight) {
  if (budget.max_in_flight > 0 && own_in_flight >= budget.max_in_flight) {
    return "try is busy: autoland has " + std::to_string(own_in_flight) + " try pushes in flight, its most (" +
           std::to_string(budget.max_in_flight) + ")";
  }
  if (budget.max_pending_jobs > 0 && budget.pending_jobs > budget.max_pending_jobs) {
    return "try is busy: " + std::to_string(budget.pending_jobs) + " jobs wait there, above " +
           std::to_string(budget.max_pending_jobs) + "; autoland leaves it to people until they run";
  }
  return "";
}

}  // namespace

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
  int own_try = 0;
  for (const PolicyBranch& b : input.branches) {
    if (b.is_try) own_try += used[b.name];
  }

  std::vector<PolicyDecision> decisions;
  for (const WaitingPatchSet& p : queue) {
    PolicyDecision d{p.id, false, "", HoldCode::none};
    auto it = branches.find(p.branch);
    const PolicyBranch* b = it == branches.end() ? nullptr : it->second;
    auto hold = [&](HoldCode code, std::string reason) {
      d.hold = code;
      d.hold_reason = std::move(reason);
    };
    std::string busy = b && b->is_try && p.priority <= 0 ? try_busy(input.try_budget, own_try) : "";
    if (input.kill_switch) {
      hold(HoldCode::kill_switch, "the global kill switch is on");
    } else if (!input.pusher_enabled) {
      hold(HoldCode::pusher_off, "the pusher is switched off");
    } else if (!b) {
      hold(HoldCode::unknown_branch, "branch '" + p.branch + "' is not configured");
    } else if (!b->enabled) {
      hold(HoldCode::branch_disabled, "branch '" + p.branch + "' is disabled");
    } else if (!b->is_try && b->tree == TreeStatus::closed) {
      hold(HoldCode::tree_closed, "the " + p.branch + " tree is closed");
    } else if (!b->is_try && b->tree == TreeStatus::approval_required && !p.has_approval) {
      hold(HoldCode::needs_approval, "the " + p.branch + " tree needs approval (a=) and this patchset has none");
    } else if (used[p.branch] >= b->threshold) {
      hold(HoldCode::threshold,
           "branch '" + p.branch + "' is at its threshold (" + std::to_string(b->threshold) + " in flight)");
    } else if (!busy.empty()) {
      hold(HoldCode::try_busy, busy);
    } else {
      d.start = true;
      ++used[p.branch];
      if (b->is_try) ++own_try;
    }
    decisions.push_back(std::move(d));
  }
  return decisions;
}

std::string encode_holds(const std::vector<PolicyDecision>& decisions) {
  std::string text;
  for (const PolicyDecision& d : decisions) {
    if (d.start) continue;
    std::string reason = d.hold_reason;
    std::replace(reason.begin(), reason.end(), '\n', ' ');
    text += std::to_string(d.id) + " " + std::string(to_string(d.hold)) + " " + reason + "\n";
  }
  return text;
}

std::map<PatchSetId, Hold> decode_holds(std::string_view text) {
  std::map<PatchSetId, Hold> holds;
  while (!text.empty()) {
    const size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    const size_t first = line.find(' ');
    const size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
    if (second == std::string_view::npos) continue;
    PatchSetId id = 0;
    if (std::from_chars(line.data(), line.data() + first, id).ec != std::errc()) continue;
    const std::string_view code = line.substr(first + 1, second - first - 1);
    Hold h;
    for (HoldCode c : {HoldCode::kill_switch, HoldCode::pusher_off, HoldCode::unknown_branch, HoldCode::branch_disabled,
                       HoldCode::tree_closed, HoldCode::needs_approval, HoldCode::threshold, HoldCode::try_busy}) {
      if (to_string(c) == code) h.code = c;
    }
    h.reason = std::string(line.substr(second + 1));
    holds[id] = std::move(h);
  }
  return holds;
}

}  // namespace autoland
