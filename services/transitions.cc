#include "services/transitions.h"

namespace autoland {

Result<StepOutcome> advance(Store& store, const Clock& clock, const PatchSet& current, const StepRequest& r) {
  auto branch = store.get_branch(current.branch);
  if (!branch) {
    return Error{branch.error().kind, "patchset " + std::to_string(current.id) + " (bug " +
                                          std::to_string(current.bug_id) + "): " + branch.error().message};
  }
  TransitionContext context{current.stage, branch->continues_after(current.stage)};
  auto transition = next_transition(current.state, r.event, context);
  if (!transition) {
    return conflict("patchset " + std::to_string(current.id) + " (bug " + std::to_string(current.bug_id) +
                    "): " + transition.error().message);
  }

  TransitionWrite write;
  write.patchset_id = current.id;
  write.expected_state = current.state;
  write.expected_version = current.version;
  write.new_state = transition->to;
  write.state_reason = r.reason;
  write.changes = r.changes;
  write.actor = r.actor;
  write.what = "transition";
  write.detail = std::string(to_string(current.state)) + " -> " + std::string(to_string(transition->to)) + " (" +
                 std::string(to_string(r.event)) + ")" + (r.reason.empty() ? "" : ": " + r.reason);

  for (const Effect& e : transition->effects) {
    if (e.kind == EffectKind::begin_landing) write.changes.stage = Stage::landing;
    if (e.kind == EffectKind::reset_stage) write.changes.stage = branch->initial_stage();
  }
  if (r.event == Event::retry) write.changes.clear_times = true;
  if (r.event == Event::pushed && !write.changes.push_time) write.changes.push_time = clock.now();
  if (is_terminal(transition->to) && !write.changes.completion_time) write.changes.completion_time = clock.now();

  for (const Effect& e : transition->effects) {
    if (e.kind != EffectKind::post_comment || !e.comment) continue;
    CommentInput in;
    in.kind = *e.comment;
    in.bug = current.bug_id;
    in.patchset = current.id;
    // A refusal or a cancel names where the request was going ("to
    // mozilla-inbound"), not the try run it may have been in.
    const bool destination = in.kind == CommentKind::rejected || in.kind == CommentKind::cancelled;
    in.branch = destination ? current.branch : branch->branch_for(current.stage);
    in.stage = current.stage;
    in.patches = current.patches;
    in.revision = current.revision();
    if (r.changes.try_revision && current.stage == Stage::try_run) in.revision = *r.changes.try_revision;
    if (r.changes.landing_revision && current.stage == Stage::landing) in.revision = *r.changes.landing_revision;
    in.revision_url = r.revision_url;
    in.report = r.report;
    in.step = r.step;
    in.reason = r.reason;
    in.problems = r.problems;
    in.actor = r.actor;
    in.backout_revision = r.changes.backout_revision.value_or(current.backout_revision);
    in.timeout_minutes = r.timeout_minutes;
    // One comment per patchset, kind, stage and version: replaying this step
    // (after a crash) finds the same key and adds nothing.
    in.dedup_key = make_dedup_key(current.id, in.kind,
                                  std::string(to_string(current.stage)) + "-v" + std::to_string(current.version));
    write.comments.push_back({current.bug_id, std::string(to_string(in.kind)), render_comment(in), in.dedup_key});
  }

  // Marker edits go after the comments: the bug says why before the tag goes.
  for (const Effect& e : transition->effects) {
    if (e.kind != EffectKind::release_marker && e.kind != EffectKind::restore_marker) continue;
    std::string_view action = e.kind == EffectKind::release_marker ? kReleaseMarkerAction : kRestoreMarkerAction;
    write.comments.push_back({current.bug_id, std::string(action), "",
                              make_marker_action_key(current.id, action, "v" + std::to_string(current.version))});
  }

  AUTOLAND_TRY_ASSIGN(auto stored, store.apply_transition(write));
  return StepOutcome{stored, transition->effects};
}

}  // namespace autoland
