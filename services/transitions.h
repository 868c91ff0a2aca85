// Carries a patchset through one lifecycle step: asks the core transition
// table, renders the comments the step asks for, and writes state, audit event
// and outbox comments in one store transaction. Every service moves patchsets
// through here and nowhere else.
#pragma once

#include <string>
#include <vector>

#include "core/comments.h"
#include "core/lifecycle.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "util/result.h"

namespace autoland {

struct StepRequest {
  Event event = Event::start_validation;
  std::string actor;        // component ("queue") or "user:NAME"
  std::string reason;       // stored as state_reason and used in comments
  PatchSetChanges changes;  // extra fields to write with the step
  // Facts for the comments this step may post.
  std::string revision_url;
  std::optional<VerdictReport> report;
  std::string step;  // push_failed: which step failed
  std::vector<std::string> problems;
  int timeout_minutes = 0;
};

struct StepOutcome {
  PatchSet patchset;            // as stored after the step
  std::vector<Effect> effects;  // what the caller must now do (comments are queued already)
};

// REQUIRES: `current` was read from `store` (its state and version are checked).
// Conflict when the event is illegal in the current state or the patchset
// changed meanwhile; nothing is written then.
// Where a green try run leads, and which branch a stage pushes to, come from
// the patchset's branch in the store. Comments and marker edits on the bug are
// queued in the outbox in the same transaction. Sets push_time when a push is
// reported and completion_time when the patchset ends, from `clock`.
Result<StepOutcome> advance(Store& store, const Clock& clock, const PatchSet& current, const StepRequest& request);

}  // namespace autoland
