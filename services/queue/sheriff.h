// What sheriffs can do, as store operations (the REST API and `autoland ctl`
// call these). Every one leaves an audit event naming who did it; patchset
// actions go through the lifecycle, so an action that makes no sense in the
// patchset's state is refused with the reason and changes nothing.
#pragma once

#include <string>

#include "core/model.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "util/result.h"

namespace autoland {

// The components a switch can turn off.
inline constexpr std::string_view kComponents[] = {"trigger", "queue", "pusher", "results", "commenter"};

Status set_kill_switch(Store& store, bool on, const std::string& who);
Result<bool> kill_switch_on(Store& store);
Status set_component(Store& store, const std::string& component, bool on, const std::string& who);
Result<bool> component_on(Store& store, const std::string& component);

Result<Branch> set_branch_enabled(Store& store, const std::string& branch, bool enabled, const std::string& who);
Result<Branch> set_branch_threshold(Store& store, const std::string& branch, int threshold, const std::string& who);
Result<Branch> set_tree_status(Store& store, const std::string& branch, TreeStatus status, const std::string& reason,
                               const std::string& who);

// Deletes a patchset autoland is not working on (conflict while it is);
// one not yet ended gives its [autoland-in-queue] marker back to the
// commenter to take off, as a cancel would.
Status delete_patchset(Store& store, PatchSetId id, const std::string& who);
Result<PatchSet> set_patchset_priority(Store& store, PatchSetId id, int priority, const std::string& who);
// force: despite oranges or reds (testing/retrying); cancel; retry (an ended
// one starts again); backout (a landed one). `reason` goes on the bug.
Result<PatchSet> force_patchset(Store& store, const Clock& clock, PatchSetId id, const std::string& who,
                                const std::string& reason);
Result<PatchSet> cancel_patchset(Store& store, const Clock& clock, PatchSetId id, const std::string& who,
                                 const std::string& reason);
Result<PatchSet> retry_patchset(Store& store, const Clock& clock, PatchSetId id, const std::string& who);
Result<PatchSet> back_out_patchset(Store& store, const Clock& clock, PatchSetId id, const std::string& who,
                                   const std::string& reason);

}  // namespace autoland
