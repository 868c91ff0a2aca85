#include "services/queue/sheriff.h"

#include <algorithm>
#include <functional>

#include "services/queue/queue.h"
#include "services/transitions.h"

namespace autoland {

namespace {

Status check_who(const std::string& who) {
  if (who.empty()) return invalid_input("a sheriff action needs the name of who does it");
  return {};
}

Result<PatchSet> act(Store& store, const Clock& clock, PatchSetId id, Event event, const std::string& who,
                     const std::string& reason) {
  AUTOLAND_TRY(check_who(who));
  AUTOLAND_TRY_ASSIGN(auto ps, store.get_patchset(id));
  StepRequest r;
  r.event = event;
  r.actor = who;
  r.reason = reason;
  if (event == Event::retry) r.changes.retries = 0;
  AUTOLAND_TRY_ASSIGN(auto out, advance(store, clock, ps, r));
  return out.patchset;
}

Result<Branch> change_branch(Store& store, const std::string& name, const std::string& who,
                             const std::function<void(Branch&)>& change) {
  AUTOLAND_TRY(check_who(who));
  return store.change_branch(
      name,
      [&](Branch& b, int64_t) -> Status {
        change(b);
        return {};
      },
      who);
}

}  // namespace

Status set_kill_switch(Store& store, bool on, const std::string& who) {
  AUTOLAND_TRY(check_who(who));
  return store.set_setting(std::string(kKillSwitchSetting), on ? "on" : "off", who);
}

Result<bool> kill_switch_on(Store& store) {
  AUTOLAND_TRY_ASSIGN(auto v, store.get_setting(std::string(kKillSwitchSetting)));
  return v.value_or("off") == "on";
}

Status set_component(Store& store, const std::string& component, bool on, const std::string& who) {
  AUTOLAND_TRY(check_who(who));
  if (std::find(std::begin(kComponents), std::end(kComponents), component) == std::end(kComponents)) {
    return invalid_input("unknown component '" + component + "' (trigger, queue, pusher, results or commenter)");
  }
  return store.set_setting(component_setting(component), on ? "on" : "off", who);
}

Result<bool> component_on(Store& store, const std::string& component) {
  AUTOLAND_TRY_ASSIGN(auto v, store.get_setting(component_setting(component)));
  return v.value_or("on") != "off";
}

Result<Branch> set_branch_enabled(Store& store, const std::string& branch, bool enabled, const std::string& who) {
  return change_branch(store, branch, who,
                       [&](Branch& b) { b.status = enabled ? BranchStatus::enabled : BranchStatus::disabled; });
}

Result<Branch> set_branch_threshold(Store& store, const std::string& branch, int threshold, const std::string& who) {
  if (threshold < 0 || threshold > 1000)
    return invalid_input("a threshold is 0 to 1000, not " + std::to_string(threshold));
  return change_branch(store, branch, who, [&](Branch& b) { b.threshold = threshold; });
}

Result<Branch> set_tree_status(Store& store, const std::string& branch, TreeStatus status, const std::string& reason,
                               const std::string& who) {
  return change_branch(store, branch, who, [&](Branch& b) {
    b.tree = status;
    b.tree_reason = reason;
  });
}

Status delete_patchset(Store& store, PatchSetId id, const std::string& who) {
  AUTOLAND_TRY(check_who(who));
  return store.delete_patchset(
      id,
      [id](const PatchSet& current) -> Result<std::vector<NewComment>> {
        if (is_processing(current.state)) {
          return conflict("patchset " + std::to_string(id) + " is " + std::string(to_string(current.state)) +
                          " right now; cancel it first (or wait until it has ended), then delete it");
        }
        if (is_terminal(current.state)) return std::vector<NewComment>{};
        // The bug still carries [autoland-in-queue]; the commenter removes it.
        return std::vector<NewComment>{{current.bug_id, std::string(kReleaseMarkerAction), "",
                                        make_marker_action_key(id, kReleaseMarkerAction, "deleted")}};
      },
      who);
}

Result<PatchSet> set_patchset_priority(Store& store, PatchSetId id, int priority, const std::string& who) {
  AUTOLAND_TRY(check_who(who));
  return store.set_priority(id, priority, who);
}

Result<PatchSet> force_patchset(Store& store, const Clock& clock, PatchSetId id, const std::string& who,
                                const std::string& reason) {
  return act(store, clock, id, Event::force, who, reason);
}

Result<PatchSet> cancel_patchset(Store& store, const Clock& clock, PatchSetId id, const std::string& who,
                                 const std::string& reason) {
  return act(store, clock, id, Event::cancel, who, reason);
}

Result<PatchSet> retry_patchset(Store& store, const Clock& clock, PatchSetId id, const std::string& who) {
  return act(store, clock, id, Event::retry, who, "");
}

Result<PatchSet> back_out_patchset(Store& store, const Clock& clock, PatchSetId id, const std::string& who,
                                   const std::string& reason) {
  return act(store, clock, id, Event::backout, who, reason.empty() ? "a sheriff's request" : reason);
}

}  // namespace autoland
