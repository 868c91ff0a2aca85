// The queue (the seed's autoland_queue): drives every patchset through the
// lifecycle with the core transition table and the ports only.
//
// One pass, each part re-reading the store (so a lost, repeated or stray
// wake-up changes nothing, and a restart resumes where the store says):
//   queued      past the grace period (and past its back-off after a
//               temporary failure) → validating
//   validating  patches parse; trunk rules (headers, a message naming the
//               bug, review+ from a level-3 reviewer on every patch); the
//               requester's level → waiting, or rejected with every problem
//   waiting     the landing policy (kill switch, pusher switch, disabled
//               branch, closed tree, threshold, priority then age) → pushing
//   pushing     the pusher applies and pushes the stage (crash-safe by its
//               push intent) → testing, or failed with the patch, file and hunk
//   backing_out the landing's changesets backed out in one commit →
//               backed_out (a sheriff is asked when it cannot be pushed)
// Testing is the results poller's (services/results). A green try run of a
// branch with a pretest branch comes back as waiting at the landing stage,
// and its patches are applied again on the branch's current tip.
//
// Failures: temporary ones (Bugzilla or the directory unreachable, a push
// race, the remote down) go back a step and are tried again after a back-off
// that doubles, up to `max_deferrals` times; permanent ones end the patchset
// with one comment.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/landing_policy.h"
#include "core/lifecycle.h"
#include "core/patch.h"
#include "ports/bug_tracker.h"
#include "ports/clock.h"
#include "ports/directory.h"
#include "ports/store.h"
#include "ports/tree_status.h"
#include "ports/vcs.h"
#include "services/claims.h"
#include "util/result.h"

namespace autoland {

struct QueueOptions {
  std::string actor = "queue";
  int grace_period_seconds = 60;
  uint64_t patch_max_bytes = kDefaultPatchMaxBytes;
  int max_deferrals = 8;     // temporary failures in a row before the patchset ends
  int backoff_seconds = 30;  // after the first; doubles each time, at most 30 minutes
  int vcs_max_race_retries = 3;
  bool allow_self_review = false;  // a review+ by the patch's own author counts on a trunk
  // Autoland's share of try (core/landing_policy.h); pending_jobs is asked
  // of `try_pending_jobs` each pass.
  TryBudget try_budget;
  // Jobs waiting on a try branch's CI now; null, or an error: the CI cannot say.
  std::function<Result<int>(const std::string& try_branch)> try_pending_jobs;
  // Requests validated at once: each waits on Bugzilla and the directory,
  // and one slow bug must not hold the others (27 s behind others at 1-2 s
  // per Bugzilla request). REQUIRES: the BugTracker and Directory are thread-safe.
  int validation_concurrency = 4;
  // Which parts a pass runs: the intake (validation, and scheduling against
  // the thresholds: one worker, the queue's leader) and the pushes (pushing
  // and backing out: any number of pushers, each patchset claimed by one).
  bool run_intake = true;
  bool run_pushes = true;
  // Set when other workers share the store (null: this process is alone).
  // REQUIRES: outlives the Queue.
  Claims* claims = nullptr;
};

struct QueuePassStats {
  int validating = 0;  // started validation
  int validated = 0;
  int rejected = 0;
  int withdrawn = 0;  // taken back by the requester during the grace period
  int deferred = 0;   // temporary failures (tried again later)
  int started = 0;    // given a push slot
  int pushed = 0;
  int failed = 0;  // pushes or backouts that failed for good
  int backed_out = 0;
  int tree_status_unknown = 0;  // trees held because their status could not be read
  int errors = 0;               // store or wiring trouble (logged)
  int user_lookups = 0;         // Bugzilla user lookups (cached for the pass)

  QueuePassStats& operator+=(const QueuePassStats& o);
};

// Settings the queue reads (sheriffs write them through services/queue/sheriff.h).
inline constexpr std::string_view kKillSwitchSetting = "killswitch";
std::string component_setting(std::string_view component);  // "component/pusher"

class Queue {
 public:
  // The VersionControl for a branch's kind (hg or git); null: cannot push there.
  using VcsLookup = std::function<VersionControl*(const Branch& branch)>;
  // `trees`: a Treestatus-compatible source (null: the store's tree status
  // alone). When set, the stricter of the two holds; a status that cannot be
  // read holds the branch's landings (fail closed).
  Queue(Store& store, BugTracker& bugs, Directory& directory, const Clock& clock, VcsLookup vcs_for,
        QueueOptions options = {}, TreeStatusSource* trees = nullptr);

  Result<QueuePassStats> pass();

 private:
  Status start_validations(QueuePassStats& stats);
  Status validate(const PatchSet& ps, QueuePassStats& stats);
  // validate() on each, options_.validation_concurrency at a time.
  void validate_all(const std::vector<PatchSet>& validating, QueuePassStats& stats,
                    const std::function<void(Status)>& report);
  Status schedule(QueuePassStats& stats);
  Status push(const PatchSet& ps, QueuePassStats& stats);
  Status push_unreadable(const PatchSet& ps, const Branch& target, VersionControl& vcs, QueuePassStats& stats);
  // A temporary failure (a Bugzilla user lookup) as the error.
  Status name_reviewers(std::vector<PatchToApply>& patches,
                        const std::map<AttachmentId, std::vector<std::string>>& add_reviewers, QueuePassStats& stats);
  Result<std::string> try_syntax_for(const PatchSet& ps, const Branch& target);
  Status record_pushed(const PatchSet& ps, const PushOutcome& outcome, const std::string& reason,
                       QueuePassStats& stats);
  Status back_out(const PatchSet& ps, QueuePassStats& stats);

  // Every rule the patchset breaks (empty: fine); a temporary failure as an
  // error. `add_reviewers` gets, for each patch whose summary names no
  // reviewer, the emails of the level-3 reviewers whose review+ lets it land.
  Result<std::vector<std::string>> problems(const PatchSet& ps, const Branch& final_branch,
                                            const std::vector<Attachment>& patches,
                                            std::map<AttachmentId, std::vector<std::string>>* add_reviewers = nullptr);
  // Why the requester took the request back ("" = they did not): the marker
  // gone from the whiteboard, or the checkin-needed keyword for a keyword request.
  Result<std::string> withdrawn(const PatchSet& ps, const Bug& bug);
  Result<std::vector<Attachment>> fetch_patches(const PatchSet& ps);
  // Steps `ps` with `event`; a conflict (another process moved it) is not an error.
  Status step(const PatchSet& ps, Event event, std::string reason, PatchSetChanges changes = {},
              std::vector<std::string> problems = {}, std::string failed_step = "", std::string actor = "");
  // A temporary failure: back a step (or give up after max_deferrals).
  Status defer(const PatchSet& ps, Event back, Event give_up, const Error& why, QueuePassStats& stats);
  bool backing_off(const PatchSet& ps) const;
  std::string who(const PatchSet& ps) const;

  // A Bugzilla user, looked up once per pass (nullopt: no such user).
  Result<std::optional<User>> user(const std::string& email, QueuePassStats& stats);

  Store& store_;
  BugTracker& bugs_;
  Directory& directory_;
  const Clock& clock_;
  VcsLookup vcs_for_;
  QueueOptions options_;
  TreeStatusSource* trees_;
  std::map<std::string, std::optional<User>> users_;  // this pass's lookups, by lower-case email
  // The holds last written (nullopt: none yet by this process, which may
  // have taken over from a leader that left others).
  std::optional<std::string> published_holds_;
};

}  // namespace autoland
