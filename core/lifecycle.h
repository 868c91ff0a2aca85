// The patchset lifecycle (docs/design.md §3) as an explicit transition table:
// (state, event, guard) -> (next state, effects). Services never set a state
// directly: they feed an event, get back the next state and the effects to
// carry out (post a comment, push a stage, ...), and store the transition, its
// audit event and its outbox comments in one transaction.
//
// An event that has no entry for the current state is an error (conflict), so
// a stray, late or repeated message can never move a patchset silently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "util/result.h"

namespace autoland {

enum class Event {
  start_validation,  // the queue picked it up after the grace period
  validated,         // patches and rules are fine
  rule_broken,       // a landing rule failed (permanent)
  deferred,          // a dependency is down (LDAP, Bugzilla): validate later
  start_push,        // the landing policy gave it a slot
  pushed,            // the pusher reports a revision
  push_failed,       // permanent push failure (conflict, hook rejected)
  push_deferred,     // temporary push failure (race, closed tree, 5xx)
  results_green,
  results_orange,  // retriggerable failures; reruns requested
  results_red,
  results_cancelled,       // the builds were cancelled in CI
  results_timed_out,       // no complete results within the branch's limit
  results_infrastructure,  // CI could not run some jobs, reruns used up: no verdict on the patch
  backed_out,              // backout pushed
  backout_failed,          // backout could not be pushed: a sheriff must act
  cancel,                  // sheriff or requester
  force,                   // sheriff: carry on despite oranges/reds
  retry,                   // sheriff: start an ended patchset again
  backout,                 // sheriff: back out a landed patchset
};

std::string_view to_string(Event e);
Result<Event> parse_event(std::string_view text);

// What a service must do after a transition. Data, not behaviour.
enum class EffectKind {
  post_comment,    // enqueue comment `comment` in the outbox
  push_stage,      // push the patchset's current stage
  watch_results,   // start polling CI for the pushed revision
  retrigger_jobs,  // rerun the orange jobs
  push_backout,    // back out the landing
  begin_landing,   // switch the patchset's stage to landing
  release_marker,  // drop [autoland-in-queue] / checkin-needed from the bug
  restore_marker,  // put [autoland-in-queue] back (a sheriff retried the request)
  reset_stage,     // start again at the branch's first stage
};

enum class CommentKind {
  try_results,
  landed,
  push_failed,
  rejected,
  cancelled,
  builds_cancelled,
  timed_out,
  backed_out,
  backout_failed,
  forced,
  refused,       // a request refused before any patchset existed (bad tag, no patches, ...)
  push_results,  // a try push autoland did not make asked for its results on a bug (--post-to-bug)
  ci_trouble,    // the CI could not judge a try run (infrastructure exceptions): not the patch's fault
};

std::string_view to_string(EffectKind k);
std::string_view to_string(CommentKind k);

// Outbox kinds that are not comments but whiteboard edits the commenter makes.
inline constexpr std::string_view kReleaseMarkerAction = "release_marker";
inline constexpr std::string_view kRestoreMarkerAction = "restore_marker";

struct Effect {
  EffectKind kind;
  std::optional<CommentKind> comment;  // set for post_comment

  bool operator==(const Effect& other) const { return kind == other.kind && comment == other.comment; }
};

// Facts about the patchset that some transitions depend on.
struct TransitionContext {
  Stage stage = Stage::landing;
  // The final branch is not the pretest branch: a green try run goes on to land.
  bool continues_to_landing = false;
};

struct Transition {
  State from;
  Event event;
  State to;
  std::vector<Effect> effects;
};

// The transition for `event` in `from`, or a conflict error saying why not
// ("cannot cancel a patchset that is pushing").
Result<Transition> next_transition(State from, Event event, const TransitionContext& context);

// Events that are legal in `from` for this context (for UIs and error texts).
std::vector<Event> legal_events(State from, const TransitionContext& context);

}  // namespace autoland
