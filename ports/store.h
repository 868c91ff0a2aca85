// Store: the database behind autoland, the source of truth (docs/design.md §2, §5).
//
// Everything that matters is written here before anything is done about it,
// and every lifecycle step is one transaction: the new state, its audit event
// and the comments it asks for go in together or not at all. Writes to a
// patchset are checked against the state the caller read (optimistic
// concurrency), so two components or two processes can never both move it.
//
// Implementations: adapters/store/sqlite (the embedded default). The interface
// speaks only domain types so that a PostgreSQL adapter can follow without
// changing callers. Thread-safety: an implementation may be shared by threads.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "util/result.h"

namespace autoland {

struct NewPatchSet {
  BugId bug_id = 0;
  std::vector<AttachmentId> patches;
  std::string branch;
  Stage stage = Stage::landing;
  std::string try_syntax;
  std::string author;
  std::string requester;
  int priority = 0;
  // Unique per request (e.g. "bug 12/whiteboard/[autoland-try]/2026-11-25T10:00:00Z").
  // A second create with the same key is a conflict and creates nothing.
  std::string request_key;
  RequestOrigin origin = RequestOrigin::whiteboard;
};

// Fields a transition may change; unset ones stay as they are.
struct PatchSetChanges {
  std::optional<Stage> stage;
  std::optional<std::string> try_revision;
  std::optional<std::string> landing_revision;
  std::optional<std::string> backout_revision;
  std::optional<std::string> landing_parent;
  std::optional<std::string> backout_parent;
  std::optional<int> retries;
  std::optional<int> priority;
  std::optional<UnixTime> push_time;
  std::optional<UnixTime> completion_time;
  std::optional<std::string> author;
  // Clears push_time and completion_time (a retried patchset starts afresh).
  bool clear_times = false;
};

struct NewComment {
  BugId bug_id = 0;
  std::string kind;
  std::string body;
  std::string dedup_key;  // a comment whose key exists already is not added again
};

// One lifecycle step. REQUIRES: the patchset is in `expected_state` with
// `expected_version`, else conflict and nothing is written.
struct TransitionWrite {
  PatchSetId patchset_id = 0;
  State expected_state = State::queued;
  int64_t expected_version = 0;
  State new_state = State::queued;
  std::string state_reason;
  PatchSetChanges changes;
  std::string actor;
  std::string what;    // audit verb, e.g. "transition" or "force"
  std::string detail;  // audit detail, e.g. "testing -> retrying (results_orange)"
  std::vector<NewComment> comments;
};

struct PatchSetQuery {
  std::optional<BugId> bug_id;
  std::optional<std::string> branch;
  std::vector<State> states;             // empty: any
  std::optional<std::string> revision;   // its try, landing or backout revision (a full node)
  std::optional<std::string> requester;  // who asked for it, compared as Bugzilla does (case-insensitive)
  // Set: only ids above it, in id order (paging through a long list).
  std::optional<PatchSetId> after_id;
  size_t limit = 1000;
};

struct EventQuery {
  int64_t after_id = 0;  // events with a larger id
  std::optional<UnixTime> since;
  std::optional<PatchSetId> patchset_id;
  size_t limit = 1000;
  bool newest = false;  // the `limit` newest that match, still oldest first
};

// What a push is about to send, written before it leaves (docs/design.md §5): after a
// crash the pusher asks the remote whether these changesets got there.
struct PushIntent {
  std::string key;  // one per push: "patchset/42/landing", "patchset/42/backout"
  std::string branch;
  std::vector<std::string> nodes;  // oldest first
  UnixTime recorded_time = 0;
};

// A push autoland did not make whose try syntax asks for its results on bugs
// (`--post-to-bug N`), watched until its results are complete.
struct WatchedPush {
  std::string branch;
  std::string revision;
  std::vector<BugId> bugs;
  std::string pusher;
  UnixTime push_time = 0;  // as CI reports it
  UnixTime seen_time = 0;  // when autoland first saw it (the deadline counts from here)
  bool reported = false;
};

// A process doing one role ("trigger", "pusher", ... or "run": all of them),
// as it last said through heartbeat().
struct WorkerRecord {
  std::string id;  // unique per process start: HOST/PID/STARTTIME
  std::string host;
  std::string role;
  int64_t pid = 0;
  UnixTime started_time = 0;
  UnixTime heartbeat_time = 0;  // set by the store
  std::string doing;            // what its last pass did, in a few words
};

// Something one live worker at a time may do: "leader/trigger" (the one
// Bugzilla poll), "patchset/42/push" (a push under way).
struct LeaseRecord {
  std::string key;
  std::string holder;  // a WorkerRecord id
  UnixTime taken_time = 0;
};

struct SchemaStatus {
  int current_version = 0;
  int latest_version = 0;
  std::vector<std::string> pending;  // names of migrations not applied yet
};

class Store {
 public:
  virtual ~Store() = default;

  // Schema. migrate() applies pending numbered migrations in order, each in its
  // own transaction, and returns how many it applied.
  virtual Result<int> migrate() = 0;
  virtual Result<SchemaStatus> schema_status() = 0;

  // Set once the store can no longer be trusted: its data is corrupt, or it
  // was deleted or replaced while in use. Every call fails from then on, and
  // a process that runs for long must stop with this error rather than go on.
  virtual std::optional<Error> unusable() { return std::nullopt; }

  // Branches. create: conflict when the name exists. get: not_found when absent.
  // delete: conflict while the branch has patchsets that have not ended.
  virtual Result<Branch> create_branch(const Branch& branch, const std::string& actor) = 0;
  virtual Result<Branch> get_branch(const std::string& name) = 0;
  virtual Result<std::vector<Branch>> list_branches() = 0;
  virtual Result<Branch> update_branch(const Branch& branch, const std::string& actor) = 0;
  // Reads the branch, lets `change` edit it and writes it back, in one
  // transaction: two sheriffs changing different fields never undo each
  // other. `change` is told how many patchsets not yet ended push to the
  // branch (for it, or on it as their pretest branch: Branch::branch_for),
  // counted in the same transaction, so a rule on them cannot race a new
  // one. `change` must not call the store; its error aborts the write.
  using BranchChange = std::function<Status(Branch& branch, int64_t in_flight)>;
  virtual Result<Branch> change_branch(const std::string& name, const BranchChange& change,
                                       const std::string& actor) = 0;
  // Refused (conflict) while patchsets not yet ended push to it, counted as
  // for change_branch.
  virtual Status delete_branch(const std::string& name, const std::string& actor) = 0;

  // Patchsets. create: the patchset starts queued, with an audit event.
  virtual Result<PatchSet> create_patchset(const NewPatchSet& request, const std::string& actor) = 0;
  virtual Result<PatchSet> get_patchset(PatchSetId id) = 0;
  // Oldest first. Empty vector when nothing matches.
  virtual Result<std::vector<PatchSet>> find_patchsets(const PatchSetQuery& query) = 0;
  // nullopt when no patchset has that request key.
  virtual Result<std::optional<PatchSet>> find_by_request_key(const std::string& key) = 0;
  // Applies one lifecycle step atomically and returns the patchset as written.
  virtual Result<PatchSet> apply_transition(const TransitionWrite& write) = 0;
  // A field change outside the lifecycle (priority), with its audit event.
  virtual Result<PatchSet> set_priority(PatchSetId id, int priority, const std::string& actor) = 0;
  // Deletes a patchset in one transaction: `decide` sees it as stored and
  // either refuses (its error aborts; nothing changes) or names the outbox
  // entries to queue beside the deletion (which rule: services/queue/sheriff).
  // `decide` must not call the store.
  using PatchSetDeletion = std::function<Result<std::vector<NewComment>>(const PatchSet& current)>;
  virtual Status delete_patchset(PatchSetId id, const PatchSetDeletion& decide, const std::string& actor) = 0;
  // Adds an attachment to a patchset still queued (nothing read or pushed
  // yet); conflict in any other state. Adding one it has changes nothing.
  virtual Result<PatchSet> add_patch(PatchSetId id, AttachmentId patch, const std::string& actor) = 0;

  // Outbox. due_comments: pending comments whose next attempt is at or before
  // `now`, oldest first.
  virtual Result<std::vector<OutboxComment>> due_comments(UnixTime now, size_t limit) = 0;
  // How many outbox entries there are of each kind in each state ("posted",
  // "pending", "dropped"): {kind: {state: count}}.
  virtual Result<std::map<std::string, std::map<std::string, int64_t>>> count_comments() = 0;
  virtual Result<std::vector<OutboxComment>> comments_for(PatchSetId id) = 0;
  virtual Result<OutboxComment> get_comment(int64_t id) = 0;
  // Queues a comment (or marker action) outside a lifecycle step, e.g. a
  // refusal before any patchset exists. Returns the new entry's id, or
  // nullopt when an entry with the same dedup key exists (nothing is added).
  virtual Result<std::optional<int64_t>> enqueue_comment(const NewComment& comment,
                                                         std::optional<PatchSetId> patchset) = 0;
  // Drops every pending entry for `bug` with `reason` (the bug is gone or
  // hidden); returns how many.
  virtual Result<int> drop_pending_comments(BugId bug, const std::string& reason) = 0;
  // Claims a pending entry before it is sent: counts the attempt (so that
  // after a crash the commenter knows it may have gone out and checks the bug
  // first) and hides it from other drains until `lease_until`. Conflict when
  // the entry is no longer pending, is not due (another process's lease
  // runs, whatever its caller read), or another process claimed it
  // meanwhile (its attempts differ from `seen_attempts`).
  virtual Status record_comment_attempt(int64_t id, int seen_attempts, UnixTime lease_until) = 0;
  // Settles an entry as posted, stamped with the store's clock (a
  // whiteboard edit has no `bugzilla_comment_id`).
  virtual Status mark_comment_posted(int64_t id, std::optional<int64_t> bugzilla_comment_id) = 0;
  // A failed attempt; `retry_at` nullopt drops the comment for good.
  virtual Status mark_comment_failed(int64_t id, const std::string& error, std::optional<UnixTime> retry_at) = 0;
  // Puts an entry that is due and unclaimed off until `until` without
  // counting an attempt (a rate limit steps aside). Conflict when it is no
  // longer pending, not due, or its attempts differ from `seen_attempts`:
  // another poster's claim is never shortened.
  virtual Status defer_comment(int64_t id, int seen_attempts, UnixTime until, const std::string& reason) = 0;
  // Comments (not whiteboard edits) posted at or after `since`, on `bug` or,
  // without one, on every bug: what every commenter on every host sent.
  virtual Result<int64_t> count_posted_comments(std::optional<BugId> bug, UnixTime since) = 0;

  // Audit log, oldest first.
  virtual Status append_event(const AuditEvent& event) = 0;
  virtual Result<std::vector<AuditEvent>> list_events(const EventQuery& query) = 0;

  // Settings: kill switch, component switches, poll cursors. get: nullopt when unset.
  virtual Result<std::optional<std::string>> get_setting(const std::string& key) = 0;
  // Writes the setting and an audit event (actor, "setting", "key=value") atomically.
  virtual Status set_setting(const std::string& key, const std::string& value, const std::string& actor) = 0;
  // A setting written without an audit event (poll cursors change every poll).
  virtual Status set_cursor(const std::string& key, const std::string& value) = 0;

  // Watched pushes. watch: false (and nothing written) when the push is
  // watched already. report: marks it reported, queues its comments and an
  // audit event in one transaction; conflict when it was reported already.
  virtual Result<bool> watch_push(const WatchedPush& push) = 0;
  virtual Result<std::vector<WatchedPush>> unreported_pushes(size_t limit) = 0;
  virtual Status report_watched_push(const std::string& branch, const std::string& revision,
                                     const std::vector<NewComment>& comments, const std::string& actor) = 0;

  // Workers. heartbeat: writes the record with heartbeat_time = now (and
  // forgets workers silent for a day). retire: a worker that stops cleanly;
  // its record and its leases go.
  virtual Status heartbeat(const WorkerRecord& worker) = 0;
  virtual Result<std::vector<WorkerRecord>> list_workers() = 0;
  virtual Status retire_worker(const std::string& id) = 0;
  // The clock workers on every host are compared against, in whole
  // seconds: the database server's (PostgreSQL), or this host's own (SQLite,
  // which is one host by construction). A worker whose clock is far from it
  // takes no work (services/claims.h).
  virtual Result<UnixTime> server_time() = 0;
  // Leases. take: `holder` has `key` afterwards (true) when it was free, its
  // own already, or held by a worker whose last heartbeat is before
  // `stale_before` or that is gone (taken over, with an audit event); false
  // while another live worker holds it. release: no-op unless `holder` has it.
  virtual Result<bool> take_lease(const std::string& key, const std::string& holder, UnixTime stale_before) = 0;
  virtual Status release_lease(const std::string& key, const std::string& holder) = 0;
  virtual Result<std::vector<LeaseRecord>> list_leases() = 0;

  // Push intents. record replaces an earlier intent with the same key (a
  // rebased retry sends new nodes); get: nullopt when none; clear: no-op when none.
  virtual Status record_push_intent(const PushIntent& intent) = 0;
  virtual Result<std::optional<PushIntent>> get_push_intent(const std::string& key) = 0;
  virtual Status clear_push_intent(const std::string& key) = 0;
  // The key of an intent whose changesets include `node` (a full node);
  // nullopt when none does.
  virtual Result<std::optional<std::string>> find_push_intent_with_node(const std::string& node) = 0;
};

}  // namespace autoland
