// The domain records that every layer shares: branches, patchsets, audit
// events and outbox comments (docs/design.md §2). Plain data; no behaviour beyond
// naming. Times are Unix seconds (UTC).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace autoland {

using UnixTime = int64_t;
using BugId = uint64_t;
using AttachmentId = uint64_t;
using PatchSetId = int64_t;

// Lifecycle states (docs/design.md §3). Terminal ones end the patchset.
enum class State {
  queued,       // picked up; inside the cancel grace period, nothing pushed
  validating,   // patches and rules being checked
  waiting,      // valid; held by the landing policy until a slot is free
  pushing,      // the pusher is applying and pushing the current stage
  testing,      // pushed; watching CI for the current stage
  retrying,     // oranges retriggered; watching the reruns
  backing_out,  // trunk went red; backout being pushed
  reported,     // terminal: try-only request, results posted
  landed,       // terminal: on trunk and trunk green
  rejected,     // terminal: a rule was broken (before anything was pushed)
  failed,       // terminal: apply/push failed, or try was red
  backed_out,   // terminal: landed, went red, backed out
  cancelled,    // terminal: by a sheriff, or builds cancelled in CI
  timed_out,    // terminal: no complete results within the branch's limit
};

// Which push a patchset is at: a test run on the pretest branch (try) or the
// landing on its final branch.
enum class Stage { try_run, landing };

enum class BranchStatus { enabled, disabled };
// How landings go onto a trunk branch (docs/sheriffs.md):
//   serial     one in flight, each waits for the previous one's whole CI run
//   pipelined  up to `threshold` in flight, each on top of the previous one;
//              a red one is judged by the culprit finder, never blindly
//   batch      (not available yet: core/branch_rules refuses it) up to
//              `max_batch` try-green patchsets pushed together (one push
//              each), CI asked to run only on the top; a red batch is bisected
enum class LandingStrategy { serial, pipelined, batch };
enum class TreeStatus { open, closed, approval_required };
enum class Vcs { hg, git };
// How a landing was asked for: a whiteboard tag, the checkin-needed keyword,
// or the REST API. Withdrawing a request and releasing its marker depend on it.
enum class RequestOrigin { whiteboard, keyword, api };

std::string_view to_string(State s);
std::string_view to_string(Stage s);
std::string_view to_string(BranchStatus s);
std::string_view to_string(LandingStrategy s);
std::string_view to_string(TreeStatus s);
std::string_view to_string(Vcs v);
std::string_view to_string(RequestOrigin o);
Result<State> parse_state(std::string_view text);
Result<Stage> parse_stage(std::string_view text);
Result<BranchStatus> parse_branch_status(std::string_view text);
Result<LandingStrategy> parse_landing_strategy(std::string_view text);
Result<TreeStatus> parse_tree_status(std::string_view text);
Result<Vcs> parse_vcs(std::string_view text);
Result<RequestOrigin> parse_request_origin(std::string_view text);

bool is_terminal(State s);
// States in which autoland is working on a patchset (validating, pushing,
// watching its CI, backing out): it cannot be deleted then (cancel first).
bool is_processing(State s);
std::vector<State> all_states();

struct Branch {
  int64_t id = 0;
  std::string name;
  std::string repo_url;  // where pushes go
  std::string pull_url;  // where clones come from; empty = repo_url
  Vcs vcs = Vcs::hg;
  int threshold = 1;  // patchsets in flight at most; 0 holds every new one
  BranchStatus status = BranchStatus::enabled;
  int required_level = 3;      // commit level the requester needs (try: 1)
  std::string pretest_branch;  // e.g. "try" for a trunk; empty for try itself
  std::string default_try_syntax;
  bool try_syntax_in_tip = false;     // true: appended to the last patch's message; false: an empty commit on top
  std::string ci_source = "local";    // which CI source reports its results (core/branch_rules)
  int max_retriggers = 2;             // reruns of each orange job before it counts as red
  int results_timeout_minutes = 360;  // push to complete results; later: timed out
  TreeStatus tree = TreeStatus::open;
  std::string tree_reason;
  LandingStrategy landing_strategy = LandingStrategy::serial;
  int max_batch = 1;  // batch: patchsets pushed together at most

  // A test branch (try): no pretest branch of its own and open to level 1.
  bool is_try() const { return pretest_branch.empty() && required_level <= 1; }
  // Where a request for this branch starts: on the pretest branch when there
  // is one, on try itself for try, else straight on this branch.
  Stage initial_stage() const { return !pretest_branch.empty() || is_try() ? Stage::try_run : Stage::landing; }
  // Whether a green run at `stage` goes on to land here.
  bool continues_after(Stage stage) const { return stage == Stage::try_run && !pretest_branch.empty(); }
  // The branch a push at `stage` goes to.
  const std::string& branch_for(Stage stage) const {
    return stage == Stage::try_run && !pretest_branch.empty() ? pretest_branch : name;
  }
};

struct PatchSet {
  PatchSetId id = 0;
  BugId bug_id = 0;
  std::vector<AttachmentId> patches;  // in landing order
  std::string branch;                 // final destination
  Stage stage = Stage::landing;
  std::string try_syntax;  // empty: use the branch default
  std::string author;
  std::string requester;  // email of who set the tag
  int retries = 0;
  int priority = 0;  // higher starts first
  State state = State::queued;
  std::string state_reason;
  std::string try_revision;
  std::string landing_revision;
  std::string backout_revision;
  // The revisions the landing and its backout were pushed on: they chain a
  // trunk's pushes in order for the culprit finder ("" before the push).
  std::string landing_parent;
  std::string backout_parent;
  UnixTime creation_time = 0;
  std::optional<UnixTime> push_time;
  std::optional<UnixTime> completion_time;
  UnixTime updated_time = 0;
  std::string request_key;  // unique per request; makes pick-up idempotent
  RequestOrigin origin = RequestOrigin::whiteboard;
  int64_t version = 0;  // bumped on every write; optimistic concurrency

  // The revision of the current stage ("" until pushed).
  const std::string& revision() const { return stage == Stage::try_run ? try_revision : landing_revision; }
};

// Request keys of patchsets asked for through the API ("api/BUG/ID"); the
// trigger's come from the bug ("bugN/..."). Keys are only compared: what a
// request came from is its RequestOrigin.
inline constexpr std::string_view kApiRequestKeyPrefix = "api/";

struct AuditEvent {
  int64_t id = 0;
  UnixTime time = 0;
  std::optional<PatchSetId> patchset_id;
  std::string actor;  // component name ("queue") or "user:NAME"
  std::string what;   // short verb: "transition", "killswitch", ...
  std::string detail;
};

enum class CommentState { pending, posted, dropped };
std::string_view to_string(CommentState s);
Result<CommentState> parse_comment_state(std::string_view text);

struct OutboxComment {
  int64_t id = 0;
  BugId bug_id = 0;
  std::optional<PatchSetId> patchset_id;
  std::string kind;
  std::string body;
  std::string dedup_key;  // unique; also written as the comment's marker line
  CommentState state = CommentState::pending;
  int attempts = 0;
  UnixTime next_attempt_time = 0;
  std::optional<int64_t> bugzilla_comment_id;
  std::string last_error;
  UnixTime created_time = 0;
};

}  // namespace autoland
