#include "adapters/store/sql/sql_store.h"

#include <algorithm>
#include <optional>
#include <type_traits>
#include <utility>

#include "adapters/store/sql/schema.h"
#include "core/comments.h"
#include "core/lifecycle.h"
#include "util/strings.h"

namespace autoland::sql {
namespace {

std::string join_ids(const std::vector<AttachmentId>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  return out;
}

std::vector<AttachmentId> split_ids(const std::string& text) {
  std::vector<AttachmentId> ids;
  if (text.empty()) return ids;
  for (std::string_view part : util::split(text, ',')) {
    if (auto id = util::parse_uint(part)) ids.push_back(*id);
  }
  return ids;
}

constexpr std::string_view kBranchColumns =
    "id, name, repo_url, pull_url, vcs, threshold, status, required_level, pretest_branch, default_try_syntax, "
    "ci_source, tree_status, tree_reason, try_syntax_in_tip, max_retriggers, results_timeout_minutes, "
    "landing_strategy, max_batch";

constexpr std::string_view kPatchSetColumns =
    "id, bug_id, patches, branch, stage, try_syntax, author, requester, retries, priority, state, state_reason, "
    "try_revision, landing_revision, backout_revision, creation_time, push_time, completion_time, updated_time, "
    "request_key, version, origin, landing_parent, backout_parent";

constexpr std::string_view kCommentColumns =
    "id, bug_id, patchset_id, kind, body, dedup_key, state, attempts, next_attempt_time, bugzilla_comment_id, "
    "last_error, created_time";

int as_int(const Value& v) { return static_cast<int>(v.integer()); }

Result<Branch> read_branch(const Row& r) {
  Branch b;
  b.id = r[0].integer();
  b.name = r[1].text();
  b.repo_url = r[2].text();
  b.pull_url = r[3].text();
  AUTOLAND_TRY_ASSIGN(b.vcs, parse_vcs(r[4].text()));
  b.threshold = as_int(r[5]);
  AUTOLAND_TRY_ASSIGN(b.status, parse_branch_status(r[6].text()));
  b.required_level = as_int(r[7]);
  b.pretest_branch = r[8].text();
  b.default_try_syntax = r[9].text();
  b.ci_source = r[10].text();
  AUTOLAND_TRY_ASSIGN(b.tree, parse_tree_status(r[11].text()));
  b.tree_reason = r[12].text();
  b.try_syntax_in_tip = r[13].integer() != 0;
  b.max_retriggers = as_int(r[14]);
  b.results_timeout_minutes = as_int(r[15]);
  AUTOLAND_TRY_ASSIGN(b.landing_strategy, parse_landing_strategy(r[16].text()));
  b.max_batch = as_int(r[17]);
  return b;
}

Result<PatchSet> read_patchset(const Row& r) {
  PatchSet p;
  p.id = r[0].integer();
  p.bug_id = static_cast<BugId>(r[1].integer());
  p.patches = split_ids(r[2].text());
  p.branch = r[3].text();
  AUTOLAND_TRY_ASSIGN(p.stage, parse_stage(r[4].text()));
  p.try_syntax = r[5].text();
  p.author = r[6].text();
  p.requester = r[7].text();
  p.retries = as_int(r[8]);
  p.priority = as_int(r[9]);
  AUTOLAND_TRY_ASSIGN(p.state, parse_state(r[10].text()));
  p.state_reason = r[11].text();
  p.try_revision = r[12].text();
  p.landing_revision = r[13].text();
  p.backout_revision = r[14].text();
  p.creation_time = r[15].integer();
  p.push_time = r[16].optional_integer();
  p.completion_time = r[17].optional_integer();
  p.updated_time = r[18].integer();
  p.request_key = r[19].text();
  p.version = r[20].integer();
  AUTOLAND_TRY_ASSIGN(p.origin, parse_request_origin(r[21].text()));
  p.landing_parent = r[22].text();
  p.backout_parent = r[23].text();
  return p;
}

Result<OutboxComment> read_comment(const Row& r) {
  OutboxComment c;
  c.id = r[0].integer();
  c.bug_id = static_cast<BugId>(r[1].integer());
  c.patchset_id = r[2].optional_integer();
  c.kind = r[3].text();
  c.body = r[4].text();
  c.dedup_key = r[5].text();
  AUTOLAND_TRY_ASSIGN(c.state, parse_comment_state(r[6].text()));
  c.attempts = as_int(r[7]);
  c.next_attempt_time = r[8].integer();
  c.bugzilla_comment_id = r[9].optional_integer();
  c.last_error = r[10].text();
  c.created_time = r[11].integer();
  return c;
}

AuditEvent read_event(const Row& r) {
  AuditEvent e;
  e.id = r[0].integer();
  e.time = r[1].integer();
  e.patchset_id = r[2].optional_integer();
  e.actor = r[3].text();
  e.what = r[4].text();
  e.detail = r[5].text();
  return e;
}

template <typename T, typename Reader>
Result<std::vector<T>> read_all(const Outcome& outcome, Reader reader) {
  std::vector<T> out;
  out.reserve(outcome.rows.size());
  for (const Row& row : outcome.rows) {
    AUTOLAND_TRY_ASSIGN(auto item, reader(row));
    out.push_back(std::move(item));
  }
  return out;
}

// The states a patchset ends in, as an SQL list: ('landed','cancelled',...).
std::string terminal_list() {
  std::string list = "(";
  bool first = true;
  for (State s : all_states()) {
    if (!is_terminal(s)) continue;
    list += first ? "'" : ",'";
    list += std::string(to_string(s)) + "'";
    first = false;
  }
  return list + ")";
}

std::string describe_branch(const Branch& b) {
  return b.name + ": threshold=" + std::to_string(b.threshold) + " status=" + std::string(to_string(b.status)) +
         " tree=" + std::string(to_string(b.tree)) + " landing_strategy=" + std::string(to_string(b.landing_strategy)) +
         " max_batch=" + std::to_string(b.max_batch);
}

std::vector<Value> branch_values(const Branch& b) {
  return {b.name,
          b.repo_url,
          b.pull_url,
          to_string(b.vcs),
          b.threshold,
          to_string(b.status),
          b.required_level,
          b.pretest_branch,
          b.default_try_syntax,
          b.ci_source,
          to_string(b.tree),
          b.tree_reason,
          b.try_syntax_in_tip ? 1 : 0,
          b.max_retriggers,
          b.results_timeout_minutes,
          to_string(b.landing_strategy),
          b.max_batch};
}

// A worker silent this long is forgotten (its leases are free long before).
constexpr int64_t kForgetWorkersAfter = int64_t{24} * 3600;

class SqlStore final : public Store {
 public:
  SqlStore(std::unique_ptr<ConnectionSource> source, const Clock& clock) : source_(std::move(source)), clock_(clock) {}

  ConnectionSource& source() { return *source_; }

  std::optional<Error> unusable() override {
    Status s = source_->check_usable();
    if (s.ok() || s.error().kind == ErrorKind::transient) return std::nullopt;
    return s.error();
  }

  Result<int> migrate() override {
    int applied = 0;
    for (const Migration& m : migrations()) {
      AUTOLAND_TRY_ASSIGN(bool ran, writing([&](Connection& c) { return apply_migration(c, m); }));
      if (ran) ++applied;
    }
    return applied;
  }

  Result<SchemaStatus> schema_status() override {
    AUTOLAND_TRY_ASSIGN(auto applied, reading([&](Connection& c) { return applied_migrations(c); }));
    // Each migration is pending until its own number is recorded: a gap
    // stays pending, never hidden behind a larger number.
    SchemaStatus status;
    status.current_version = applied.empty() ? 0 : applied.back();
    for (const auto& m : migrations()) {
      status.latest_version = std::max(status.latest_version, m.version);
      if (std::find(applied.begin(), applied.end(), m.version) == applied.end()) status.pending.emplace_back(m.name);
    }
    return status;
  }

  Result<Branch> create_branch(const Branch& b, const std::string& actor) override {
    return writing([&](Connection& c) -> Result<Branch> {
      AUTOLAND_TRY_ASSIGN(auto existing, find_branch(c, b.name));
      if (existing) return conflict("branch '" + b.name + "' exists already");
      AUTOLAND_TRY(
          c.run("INSERT INTO branches (name, repo_url, pull_url, vcs, threshold, status, required_level, "
                "pretest_branch, default_try_syntax, ci_source, tree_status, tree_reason, try_syntax_in_tip, "
                "max_retriggers, results_timeout_minutes, landing_strategy, max_batch) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                branch_values(b)));
      AUTOLAND_TRY(insert_event(c, {0, clock_.now(), std::nullopt, actor, "branch.create", b.name}));
      AUTOLAND_TRY_ASSIGN(auto created, find_branch(c, b.name));
      return *created;
    });
  }

  Result<Branch> get_branch(const std::string& name) override {
    return reading([&](Connection& c) -> Result<Branch> {
      AUTOLAND_TRY_ASSIGN(auto b, find_branch(c, name));
      if (!b) return not_found("no branch named '" + name + "'");
      return *b;
    });
  }

  Result<std::vector<Branch>> list_branches() override {
    return reading([&](Connection& c) -> Result<std::vector<Branch>> {
      AUTOLAND_TRY_ASSIGN(auto rows, c.run("SELECT " + std::string(kBranchColumns) + " FROM branches ORDER BY name"));
      return read_all<Branch>(rows, read_branch);
    });
  }

  Result<Branch> update_branch(const Branch& b, const std::string& actor) override {
    return writing([&](Connection& c) -> Result<Branch> {
      AUTOLAND_TRY(write_branch(c, b, actor));
      AUTOLAND_TRY_ASSIGN(auto updated, find_branch(c, b.name));
      return *updated;
    });
  }

  Result<Branch> change_branch(const std::string& name, const BranchChange& change, const std::string& actor) override {
    return writing([&](Connection& c) -> Result<Branch> {
      AUTOLAND_TRY_ASSIGN(auto current, find_branch(c, name));
      if (!current) return not_found("no branch named '" + name + "'");
      Branch b = *current;
      AUTOLAND_TRY_ASSIGN(auto in_flight, count_in_flight(c, name));
      AUTOLAND_TRY(change(b, in_flight));
      b.name = name;
      AUTOLAND_TRY(write_branch(c, b, actor));
      AUTOLAND_TRY_ASSIGN(auto updated, find_branch(c, name));
      return *updated;
    });
  }

  Status delete_branch(const std::string& name, const std::string& actor) override {
    return writing([&](Connection& c) -> Status {
      AUTOLAND_TRY_ASSIGN(auto in_flight, count_in_flight(c, name));
      if (in_flight > 0) {
        return conflict("branch '" + name + "' has " + std::to_string(in_flight) +
                        " patchset(s) in flight; cancel or finish them first");
      }
      AUTOLAND_TRY_ASSIGN(auto del, c.run("DELETE FROM branches WHERE name = ?", {name}));
      if (del.changed == 0) return not_found("no branch named '" + name + "'");
      return insert_event(c, {0, clock_.now(), std::nullopt, actor, "branch.delete", name});
    });
  }

  Result<PatchSet> create_patchset(const NewPatchSet& r, const std::string& actor) override {
    if (r.branch.empty()) return invalid_input("a patchset needs a branch");
    if (r.bug_id == 0) return invalid_input("a patchset needs a bug");
    return writing([&](Connection& c) -> Result<PatchSet> {
      if (!r.request_key.empty()) {
        AUTOLAND_TRY_ASSIGN(auto existing, select_patchsets_where(c, "request_key = ?", r.request_key));
        if (!existing.empty()) {
          return conflict("request '" + r.request_key + "' was taken already as patchset " +
                          std::to_string(existing.front().id));
        }
      }
      UnixTime now = clock_.now();
      AUTOLAND_TRY_ASSIGN(
          auto inserted,
          c.run("INSERT INTO patchsets (bug_id, patches, branch, stage, try_syntax, author, requester, priority, "
                "state, creation_time, updated_time, request_key, origin) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
                "RETURNING id",
                {r.bug_id, join_ids(r.patches), r.branch, to_string(r.stage), r.try_syntax, r.author, r.requester,
                 r.priority, to_string(State::queued), now, now, r.request_key.empty() ? Value() : Value(r.request_key),
                 to_string(r.origin)}));
      PatchSetId id = inserted.rows.front()[0].integer();
      AUTOLAND_TRY(insert_event(
          c, {0, now, id, actor, "patchset.create",
              "bug " + std::to_string(r.bug_id) + " to " + r.branch + " patches [" + join_ids(r.patches) + "]"}));
      return load_patchset(c, id);
    });
  }

  Result<PatchSet> get_patchset(PatchSetId id) override {
    return reading([&](Connection& c) { return load_patchset(c, id); });
  }

  Result<std::vector<PatchSet>> find_patchsets(const PatchSetQuery& q) override {
    std::string sql = "SELECT " + std::string(kPatchSetColumns) + " FROM patchsets WHERE 1=1";
    std::vector<Value> params;
    if (q.bug_id) {
      sql += " AND bug_id = ?";
      params.emplace_back(*q.bug_id);
    }
    if (q.branch) {
      sql += " AND branch = ?";
      params.emplace_back(*q.branch);
    }
    if (q.revision) {
      sql += " AND (try_revision = ? OR landing_revision = ? OR backout_revision = ?)";
      params.emplace_back(*q.revision);
      params.emplace_back(*q.revision);
      params.emplace_back(*q.revision);
    }
    if (q.requester) {
      // As Bugzilla compares logins: without regard to case.
      sql += " AND lower(requester) = lower(?)";
      params.emplace_back(*q.requester);
    }
    if (q.after_id) {
      sql += " AND id > ?";
      params.emplace_back(*q.after_id);
    }
    if (!q.states.empty()) {
      sql += " AND state IN (";
      for (size_t i = 0; i < q.states.size(); ++i) {
        sql += i ? ",?" : "?";
        params.emplace_back(to_string(q.states[i]));
      }
      sql += ")";
    }
    sql += q.after_id ? " ORDER BY id LIMIT ?" : " ORDER BY creation_time, id LIMIT ?";
    params.emplace_back(q.limit);
    return reading([&](Connection& c) -> Result<std::vector<PatchSet>> {
      AUTOLAND_TRY_ASSIGN(auto rows, c.run(sql, params));
      return read_all<PatchSet>(rows, read_patchset);
    });
  }

  Result<std::optional<PatchSet>> find_by_request_key(const std::string& key) override {
    return reading([&](Connection& c) -> Result<std::optional<PatchSet>> {
      AUTOLAND_TRY_ASSIGN(auto found, select_patchsets_where(c, "request_key = ?", key));
      if (found.empty()) return std::optional<PatchSet>();
      return std::optional<PatchSet>(found.front());
    });
  }

  Result<PatchSet> apply_transition(const TransitionWrite& w) override {
    return writing([&](Connection& c) -> Result<PatchSet> {
      AUTOLAND_TRY_ASSIGN(auto current, load_patchset(c, w.patchset_id));
      if (current.state != w.expected_state || current.version != w.expected_version) {
        return conflict("patchset " + std::to_string(w.patchset_id) + " changed meanwhile: it is " +
                        std::string(to_string(current.state)) + " (version " + std::to_string(current.version) +
                        "), expected " + std::string(to_string(w.expected_state)) + " (version " +
                        std::to_string(w.expected_version) + ")");
      }
      UnixTime now = clock_.now();
      const PatchSetChanges& ch = w.changes;
      const int clear = ch.clear_times ? 1 : 0;
      AUTOLAND_TRY_ASSIGN(
          auto updated,
          c.run("UPDATE patchsets SET state=?, state_reason=?, stage=COALESCE(?, stage), "
                "try_revision=COALESCE(?, try_revision), landing_revision=COALESCE(?, landing_revision), "
                "backout_revision=COALESCE(?, backout_revision), landing_parent=COALESCE(?, landing_parent), "
                "backout_parent=COALESCE(?, backout_parent), retries=COALESCE(?, retries), "
                "priority=COALESCE(?, priority), "
                "push_time=CASE WHEN ? = 1 THEN NULL ELSE COALESCE(?, push_time) END, "
                "completion_time=CASE WHEN ? = 1 THEN NULL ELSE COALESCE(?, completion_time) END, "
                "author=COALESCE(?, author), updated_time=?, version=version+1 WHERE id=? AND version=?",
                {to_string(w.new_state), w.state_reason, ch.stage ? Value(to_string(*ch.stage)) : Value(),
                 ch.try_revision, ch.landing_revision, ch.backout_revision, ch.landing_parent, ch.backout_parent,
                 ch.retries, ch.priority, clear, ch.push_time, clear, ch.completion_time, ch.author, now, w.patchset_id,
                 w.expected_version}));
      if (updated.changed != 1) return conflict("patchset " + std::to_string(w.patchset_id) + " changed meanwhile");
      AUTOLAND_TRY(insert_event(c, {0, now, w.patchset_id, w.actor, w.what.empty() ? "transition" : w.what, w.detail}));
      for (const NewComment& comment : w.comments) {
        AUTOLAND_TRY(insert_comment(c, comment, w.patchset_id, now));
      }
      return load_patchset(c, w.patchset_id);
    });
  }

  Result<PatchSet> set_priority(PatchSetId id, int priority, const std::string& actor) override {
    return writing([&](Connection& c) -> Result<PatchSet> {
      AUTOLAND_TRY_ASSIGN(auto updated,
                          c.run("UPDATE patchsets SET priority=?, updated_time=?, version=version+1 WHERE id=?",
                                {priority, clock_.now(), id}));
      if (updated.changed == 0) return not_found("no patchset " + std::to_string(id));
      AUTOLAND_TRY(insert_event(c, {0, clock_.now(), id, actor, "priority", std::to_string(priority)}));
      return load_patchset(c, id);
    });
  }

  Status delete_patchset(PatchSetId id, const PatchSetDeletion& decide, const std::string& actor) override {
    return writing([&](Connection& c) -> Status {
      AUTOLAND_TRY_ASSIGN(auto current, load_patchset(c, id));
      AUTOLAND_TRY_ASSIGN(auto entries, decide(current));
      AUTOLAND_TRY(c.run("DELETE FROM patchsets WHERE id = ?", {id}));
      for (const NewComment& entry : entries) {
        AUTOLAND_TRY(insert_comment(c, entry, id, clock_.now()));
      }
      return insert_event(
          c, {0, clock_.now(), id, actor, "patchset.delete", "was " + std::string(to_string(current.state))});
    });
  }

  Result<PatchSet> add_patch(PatchSetId id, AttachmentId patch, const std::string& actor) override {
    return writing([&](Connection& c) -> Result<PatchSet> {
      AUTOLAND_TRY_ASSIGN(auto current, load_patchset(c, id));
      if (std::find(current.patches.begin(), current.patches.end(), patch) != current.patches.end()) return current;
      if (current.state != State::queued) {
        return conflict("patchset " + std::to_string(id) + " is " + std::string(to_string(current.state)) +
                        ": patches can only be added while it is queued");
      }
      std::vector<AttachmentId> patches = current.patches;
      patches.push_back(patch);
      AUTOLAND_TRY_ASSIGN(
          auto updated,
          c.run("UPDATE patchsets SET patches=?, updated_time=?, version=version+1 WHERE id=? AND version=?",
                {join_ids(patches), clock_.now(), id, current.version}));
      if (updated.changed == 0) return conflict("patchset " + std::to_string(id) + " changed meanwhile");
      AUTOLAND_TRY(
          insert_event(c, {0, clock_.now(), id, actor, "patchset.add_patch", "attachment " + std::to_string(patch)}));
      return load_patchset(c, id);
    });
  }

  Result<std::map<std::string, std::map<std::string, int64_t>>> count_comments() override {
    return reading([&](Connection& c) -> Result<std::map<std::string, std::map<std::string, int64_t>>> {
      AUTOLAND_TRY_ASSIGN(auto rows, c.run("SELECT kind, state, COUNT(*) FROM comments GROUP BY kind, state"));
      std::map<std::string, std::map<std::string, int64_t>> out;
      for (const Row& r : rows.rows) out[r[0].text()][r[1].text()] = r[2].integer();
      return out;
    });
  }

  Result<std::vector<OutboxComment>> due_comments(UnixTime now, size_t limit) override {
    return reading([&](Connection& c) -> Result<std::vector<OutboxComment>> {
      AUTOLAND_TRY_ASSIGN(auto rows, c.run("SELECT " + std::string(kCommentColumns) +
                                               " FROM comments WHERE state = 'pending' AND next_attempt_time <= ? "
                                               "ORDER BY id LIMIT ?",
                                           {now, limit}));
      return read_all<OutboxComment>(rows, read_comment);
    });
  }

  Result<std::vector<OutboxComment>> comments_for(PatchSetId id) override {
    return reading([&](Connection& c) -> Result<std::vector<OutboxComment>> {
      AUTOLAND_TRY_ASSIGN(
          auto rows,
          c.run("SELECT " + std::string(kCommentColumns) + " FROM comments WHERE patchset_id = ? ORDER BY id", {id}));
      return read_all<OutboxComment>(rows, read_comment);
    });
  }

  Result<OutboxComment> get_comment(int64_t id) override {
    return reading([&](Connection& c) -> Result<OutboxComment> {
      AUTOLAND_TRY_ASSIGN(auto rows,
                          c.run("SELECT " + std::string(kCommentColumns) + " FROM comments WHERE id = ?", {id}));
      if (rows.rows.empty()) return not_found("no comment " + std::to_string(id));
      return read_comment(rows.rows.front());
    });
  }

  Result<std::optional<int64_t>> enqueue_comment(const NewComment& comment,
                                                 std::optional<PatchSetId> patchset) override {
    return writing([&](Connection& c) { return insert_comment(c, comment, patchset, clock_.now()); });
  }

  Result<int> drop_pending_comments(BugId bug, const std::string& reason) override {
    return writing([&](Connection& c) -> Result<int> {
      AUTOLAND_TRY_ASSIGN(
          auto dropped,
          c.run("UPDATE comments SET state='dropped', last_error=? WHERE bug_id=? AND state='pending'", {reason, bug}));
      return static_cast<int>(dropped.changed);
    });
  }

  Status record_comment_attempt(int64_t id, int seen_attempts, UnixTime lease_until) override {
    return writing([&](Connection& c) -> Status {
      // Due now, too: a claim another poster holds (its lease runs) is
      // not taken, even by one that read the entry after that claim.
      AUTOLAND_TRY_ASSIGN(auto claimed, c.run("UPDATE comments SET attempts=attempts+1, next_attempt_time=? WHERE "
                                              "id=? AND state='pending' AND attempts=? AND next_attempt_time <= ?",
                                              {lease_until, id, seen_attempts, clock_.now()}));
      if (claimed.changed == 0) {
        return conflict("comment " + std::to_string(id) +
                        " is no longer pending, or another process claimed it and its lease runs");
      }
      return {};
    });
  }

  Status mark_comment_posted(int64_t id, std::optional<int64_t> bugzilla_comment_id) override {
    return writing([&](Connection& c) -> Status {
      AUTOLAND_TRY_ASSIGN(auto posted, c.run("UPDATE comments SET state='posted', bugzilla_comment_id=?, "
                                             "last_error='', posted_time=? WHERE id=? AND state='pending'",
                                             {bugzilla_comment_id, clock_.now(), id}));
      if (posted.changed == 0) return conflict("comment " + std::to_string(id) + " is not pending");
      return {};
    });
  }

  Status mark_comment_failed(int64_t id, const std::string& error, std::optional<UnixTime> retry_at) override {
    return writing([&](Connection& c) -> Status {
      AUTOLAND_TRY_ASSIGN(auto failed, c.run("UPDATE comments SET state=?, last_error=?, "
                                             "next_attempt_time=COALESCE(?, next_attempt_time) WHERE id=? AND "
                                             "state='pending'",
                                             {retry_at ? "pending" : "dropped", error, retry_at, id}));
      if (failed.changed == 0) return conflict("comment " + std::to_string(id) + " is not pending");
      return {};
    });
  }

  Status defer_comment(int64_t id, int seen_attempts, UnixTime until, const std::string& reason) override {
    return writing([&](Connection& c) -> Status {
      AUTOLAND_TRY_ASSIGN(auto deferred, c.run("UPDATE comments SET next_attempt_time=?, last_error=? WHERE id=? AND "
                                               "state='pending' AND attempts=? AND next_attempt_time <= ?",
                                               {until, reason, id, seen_attempts, clock_.now()}));
      if (deferred.changed == 0) {
        return conflict("comment " + std::to_string(id) +
                        " is no longer pending, or another process claimed it and its lease runs");
      }
      return {};
    });
  }

  Result<int64_t> count_posted_comments(std::optional<BugId> bug, UnixTime since) override {
    return reading([&](Connection& c) -> Result<int64_t> {
      std::string sql = "SELECT COUNT(*) FROM comments WHERE posted_time >= ? AND bugzilla_comment_id IS NOT NULL";
      std::vector<Value> params{since};
      if (bug) {
        sql += " AND bug_id = ?";
        params.emplace_back(*bug);
      }
      AUTOLAND_TRY_ASSIGN(auto rows, c.run(sql, params));
      return rows.rows.front()[0].integer();
    });
  }

  Status append_event(const AuditEvent& e) override {
    AuditEvent stamped = e;
    if (stamped.time == 0) stamped.time = clock_.now();
    return writing([&](Connection& c) { return insert_event(c, stamped); });
  }

  Result<std::vector<AuditEvent>> list_events(const EventQuery& q) override {
    std::string sql = "SELECT id, time, patchset_id, actor, what, detail FROM events WHERE id > ?";
    std::vector<Value> params{q.after_id};
    if (q.since) {
      sql += " AND time >= ?";
      params.emplace_back(*q.since);
    }
    if (q.patchset_id) {
      sql += " AND patchset_id = ?";
      params.emplace_back(*q.patchset_id);
    }
    sql += q.newest ? " ORDER BY id DESC LIMIT ?" : " ORDER BY id LIMIT ?";
    params.emplace_back(q.limit);
    if (q.newest) sql = "SELECT * FROM (" + sql + ") AS newest ORDER BY id";
    return reading([&](Connection& c) -> Result<std::vector<AuditEvent>> {
      AUTOLAND_TRY_ASSIGN(auto rows, c.run(sql, params));
      std::vector<AuditEvent> out;
      for (const Row& r : rows.rows) out.push_back(read_event(r));
      return out;
    });
  }

  Result<std::optional<std::string>> get_setting(const std::string& key) override {
    return reading([&](Connection& c) -> Result<std::optional<std::string>> {
      AUTOLAND_TRY_ASSIGN(auto rows, c.run("SELECT value FROM settings WHERE key = ?", {key}));
      if (rows.rows.empty()) return std::optional<std::string>();
      return std::optional<std::string>(rows.rows.front()[0].text());
    });
  }

  Status set_setting(const std::string& key, const std::string& value, const std::string& actor) override {
    return writing([&](Connection& c) -> Status {
      AUTOLAND_TRY(upsert_setting(c, key, value));
      return insert_event(c, {0, clock_.now(), std::nullopt, actor, "setting", key + "=" + value});
    });
  }

  Status set_cursor(const std::string& key, const std::string& value) override {
    return writing([&](Connection& c) { return upsert_setting(c, key, value); });
  }

  Result<bool> watch_push(const WatchedPush& push) override {
    std::vector<std::string> bugs;
    for (BugId b : push.bugs) bugs.push_back(std::to_string(b));
    return writing([&](Connection& c) -> Result<bool> {
      AUTOLAND_TRY_ASSIGN(
          auto inserted,
          c.run("INSERT INTO watched_pushes (branch, revision, bugs, pusher, push_time, seen_time) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (branch, revision) DO NOTHING",
                {push.branch, push.revision, util::join(bugs, ","), push.pusher, push.push_time, clock_.now()}));
      return inserted.changed > 0;
    });
  }

  Result<std::vector<WatchedPush>> unreported_pushes(size_t limit) override {
    return reading([&](Connection& c) -> Result<std::vector<WatchedPush>> {
      AUTOLAND_TRY_ASSIGN(auto rows, c.run("SELECT branch, revision, bugs, pusher, push_time, seen_time FROM "
                                           "watched_pushes WHERE reported = 0 ORDER BY seen_time, push_time, branch, "
                                           "revision LIMIT ?",
                                           {limit}));
      std::vector<WatchedPush> out;
      for (const Row& r : rows.rows) {
        WatchedPush p;
        p.branch = r[0].text();
        p.revision = r[1].text();
        const std::string bugs = r[2].text();
        for (std::string_view b : util::split(bugs, ',')) {
          if (auto bug = util::parse_uint(b)) p.bugs.push_back(static_cast<BugId>(*bug));
        }
        p.pusher = r[3].text();
        p.push_time = r[4].integer();
        p.seen_time = r[5].integer();
        out.push_back(std::move(p));
      }
      return out;
    });
  }

  Status report_watched_push(const std::string& branch, const std::string& revision,
                             const std::vector<NewComment>& comments, const std::string& actor) override {
    return writing([&](Connection& c) -> Status {
      AUTOLAND_TRY_ASSIGN(
          auto marked,
          c.run("UPDATE watched_pushes SET reported = 1 WHERE branch = ? AND revision = ? AND reported = 0",
                {branch, revision}));
      if (marked.changed == 0)
        return conflict("push " + revision + " on " + branch + " is not watched or was reported");
      std::vector<std::string> bugs;
      for (const NewComment& comment : comments) {
        AUTOLAND_TRY(insert_comment(c, comment, std::nullopt, clock_.now()));
        bugs.push_back(std::to_string(comment.bug_id));
      }
      return insert_event(c, {0, clock_.now(), std::nullopt, actor, "push.reported",
                              branch + " " + revision + " on bug(s) " + util::join(bugs, ",")});
    });
  }

  Status heartbeat(const WorkerRecord& w) override {
    return writing(
        [&](Connection& c) -> Status {
          const UnixTime now = clock_.now();
          AUTOLAND_TRY(
              c.run("INSERT INTO workers (id, host, role, pid, started_time, heartbeat_time, doing) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET heartbeat_time=excluded.heartbeat_time, "
                    "doing=excluded.doing",
                    {w.id, w.host, w.role, w.pid, w.started_time, now, w.doing}));
          AUTOLAND_TRY(c.run("DELETE FROM workers WHERE heartbeat_time < ?", {now - kForgetWorkersAfter}));
          return {};
        },
        WriteLock::not_needed);  // a heartbeat checks nothing: it never queues behind the writers
  }

  Result<std::vector<WorkerRecord>> list_workers() override {
    return reading([&](Connection& c) -> Result<std::vector<WorkerRecord>> {
      AUTOLAND_TRY_ASSIGN(auto rows, c.run("SELECT id, host, role, pid, started_time, heartbeat_time, doing FROM "
                                           "workers ORDER BY role, host, started_time, id"));
      std::vector<WorkerRecord> out;
      for (const Row& r : rows.rows) {
        out.push_back(
            {r[0].text(), r[1].text(), r[2].text(), r[3].integer(), r[4].integer(), r[5].integer(), r[6].text()});
      }
      return out;
    });
  }

  Status retire_worker(const std::string& id) override {
    return writing([&](Connection& c) -> Status {
      AUTOLAND_TRY(c.run("DELETE FROM leases WHERE holder = ?", {id}));
      AUTOLAND_TRY(c.run("DELETE FROM workers WHERE id = ?", {id}));
      return {};
    });
  }

  Result<UnixTime> server_time() override {
    return reading([&](Connection& c) -> Result<UnixTime> {
      if (c.dialect() == Dialect::sqlite) return clock_.now();
      AUTOLAND_TRY_ASSIGN(auto rows, c.run("SELECT CAST(floor(extract(epoch FROM clock_timestamp())) AS BIGINT)"));
      return rows.rows.front()[0].integer();
    });
  }

  Result<bool> take_lease(const std::string& key, const std::string& holder, UnixTime stale_before) override {
    return writing([&](Connection& c) -> Result<bool> {
      AUTOLAND_TRY_ASSIGN(auto held, c.run("SELECT l.holder, w.heartbeat_time FROM leases l LEFT JOIN workers w ON "
                                           "w.id = l.holder WHERE l.key = ?",
                                           {key}));
      const UnixTime now = clock_.now();
      if (held.rows.empty()) {
        AUTOLAND_TRY(c.run("INSERT INTO leases (key, holder, taken_time) VALUES (?, ?, ?)", {key, holder, now}));
        return true;
      }
      const Row& r = held.rows.front();
      if (r[0].text() == holder) return true;
      const std::optional<int64_t> last_heard = r[1].optional_integer();
      if (last_heard && *last_heard >= stale_before) return false;
      AUTOLAND_TRY(c.run("UPDATE leases SET holder = ?, taken_time = ? WHERE key = ?", {holder, now, key}));
      AUTOLAND_TRY(insert_event(
          c, {0, now, std::nullopt, holder, "lease.takeover",
              key + " from " + r[0].text() +
                  (last_heard ? " (silent since " + std::to_string(*last_heard) + ")" : " (no longer running)")}));
      return true;
    });
  }

  Status release_lease(const std::string& key, const std::string& holder) override {
    return writing([&](Connection& c) -> Status {
      AUTOLAND_TRY(c.run("DELETE FROM leases WHERE key = ? AND holder = ?", {key, holder}));
      return {};
    });
  }

  Result<std::vector<LeaseRecord>> list_leases() override {
    return reading([&](Connection& c) -> Result<std::vector<LeaseRecord>> {
      AUTOLAND_TRY_ASSIGN(auto rows, c.run("SELECT key, holder, taken_time FROM leases ORDER BY key"));
      std::vector<LeaseRecord> out;
      for (const Row& r : rows.rows) out.push_back({r[0].text(), r[1].text(), r[2].integer()});
      return out;
    });
  }

  Status record_push_intent(const PushIntent& intent) override {
    return writing([&](Connection& c) -> Status {
      AUTOLAND_TRY(
          c.run("INSERT INTO push_intents (key, branch, nodes, recorded_time) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET branch=excluded.branch, nodes=excluded.nodes, "
                "recorded_time=excluded.recorded_time",
                {intent.key, intent.branch, util::join(intent.nodes, " "), clock_.now()}));
      return {};
    });
  }

  Result<std::optional<PushIntent>> get_push_intent(const std::string& key) override {
    return reading([&](Connection& c) -> Result<std::optional<PushIntent>> {
      AUTOLAND_TRY_ASSIGN(auto rows,
                          c.run("SELECT branch, nodes, recorded_time FROM push_intents WHERE key = ?", {key}));
      if (rows.rows.empty()) return std::optional<PushIntent>();
      const Row& r = rows.rows.front();
      PushIntent intent;
      intent.key = key;
      intent.branch = r[0].text();
      const std::string nodes = r[1].text();
      for (std::string_view n : util::split(nodes, ' ')) {
        if (!n.empty()) intent.nodes.emplace_back(n);
      }
      intent.recorded_time = r[2].integer();
      return std::optional<PushIntent>(std::move(intent));
    });
  }

  Status clear_push_intent(const std::string& key) override {
    return writing([&](Connection& c) -> Status {
      AUTOLAND_TRY(c.run("DELETE FROM push_intents WHERE key = ?", {key}));
      return {};
    });
  }

  Result<std::optional<std::string>> find_push_intent_with_node(const std::string& node) override {
    AUTOLAND_TRY(source_->check_usable());
    if (node.empty() || node.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return std::optional<std::string>();
    }
    return reading([&](Connection& c) -> Result<std::optional<std::string>> {
      // Nodes are stored space-separated; a whole node never matches a part of another.
      AUTOLAND_TRY_ASSIGN(auto rows, c.run("SELECT key FROM push_intents WHERE ' ' || nodes || ' ' LIKE ? LIMIT 1",
                                           {"% " + node + " %"}));
      if (rows.rows.empty()) return std::optional<std::string>();
      return std::optional<std::string>(rows.rows.front()[0].text());
    });
  }

 private:
  // Runs `body` on a connection for reading; once more on a new connection
  // when the first was lost (a read has nothing to undo).
  template <typename Body>
  std::invoke_result_t<Body&, Connection&> reading(Body&& body) {
    for (int attempt = 0;; ++attempt) {
      AUTOLAND_TRY(source_->check_usable());
      AUTOLAND_TRY_ASSIGN(auto lease, source_->acquire(/*for_write=*/false));
      auto result = body(*lease);
      if (result.ok() || attempt > 0 || !lost_connection(result.error())) return result;
      source_->drop_idle();
    }
  }

  // Whether a write takes the store's one write lock (PostgreSQL; SQLite
  // always has one writer): every write that checks or counts other rows
  // does.
  enum class WriteLock { held, not_needed };

  // Runs `body` in one write transaction: committed when it succeeds, rolled
  // back when it fails. When the connection was lost before the commit was
  // sent, nothing was written and the whole body runs once more on a new
  // connection (so `body` and the callbacks it calls must not have other
  // effects). A commit whose answer was lost is reported (outcome_unknown),
  // never repeated: the caller's optimistic checks tell it what happened.
  template <typename Body>
  std::invoke_result_t<Body&, Connection&> writing(Body&& body, WriteLock lock = WriteLock::held) {
    for (int attempt = 0;; ++attempt) {
      AUTOLAND_TRY(source_->check_usable());
      AUTOLAND_TRY_ASSIGN(auto lease, source_->acquire(/*for_write=*/true));
      Status began = lock == WriteLock::held ? lease->begin_write() : lease->begin_unlocked_write();
      if (!began.ok()) {
        lease->rollback();  // a BEGIN whose lock wait timed out leaves its transaction open
        if (!retry_after(began.error(), attempt)) return began.error();
        continue;
      }
      auto result = body(*lease);
      if (!result.ok()) {
        lease->rollback();
        if (!retry_after(result.error(), attempt)) return result;
        continue;
      }
      Status committed = lease->commit();
      if (!committed.ok()) {
        lease->rollback();
        if (!retry_after(committed.error(), attempt)) return committed.error();
        continue;
      }
      return result;
    }
  }

  // Whether a call that failed with `error` runs again: once, when its
  // connection was lost before anything was committed.
  bool retry_after(const Error& error, int attempt) {
    if (attempt > 0 || !lost_connection(error)) return false;
    source_->drop_idle();
    return true;
  }

  // Applies `m` unless its number is recorded; true when it ran.
  Result<bool> apply_migration(Connection& c, const Migration& m) {
    AUTOLAND_TRY(c.run_script(migrations_table(c.dialect())));
    // Read under the write lock: another process may have migrated meanwhile.
    AUTOLAND_TRY_ASSIGN(auto recorded, c.run("SELECT count(*) FROM schema_migrations WHERE version = ?", {m.version}));
    if (recorded.rows.front()[0].integer() > 0) return false;
    auto status = c.run_script(m.sql(c.dialect()));
    if (!status.ok()) {
      Error e = status.error();
      e.message = "migration " + std::to_string(m.version) + " (" + std::string(m.name) + ") failed: " + e.message;
      if (!lost_connection(e)) e.kind = ErrorKind::internal;
      return e;
    }
    AUTOLAND_TRY(c.run("INSERT INTO schema_migrations (version, name, applied_time) VALUES (?, ?, ?)",
                       {m.version, m.name, clock_.now()}));
    return true;
  }

  // The recorded migration numbers, ascending; none before the table exists.
  static Result<std::vector<int>> applied_migrations(Connection& c) {
    AUTOLAND_TRY_ASSIGN(auto exists, c.run(c.dialect() == Dialect::sqlite
                                               ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
                                                 "'schema_migrations'"
                                               : "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                                                 "current_schema() AND table_name = 'schema_migrations'"));
    std::vector<int> versions;
    if (exists.rows.front()[0].integer() == 0) return versions;
    AUTOLAND_TRY_ASSIGN(auto rows, c.run("SELECT version FROM schema_migrations ORDER BY version"));
    for (const Row& r : rows.rows) versions.push_back(as_int(r[0]));
    return versions;
  }

  // Patchsets not yet ended that push to `name`: Branch::branch_for in SQL.
  // Those for the branch itself at any stage, and those of other branches
  // in their try stage whose pretest branch it is.
  static Result<int64_t> count_in_flight(Connection& c, const std::string& name) {
    AUTOLAND_TRY_ASSIGN(auto rows, c.run("SELECT COUNT(*) FROM patchsets WHERE state NOT IN " + terminal_list() +
                                             " AND (branch = ? OR (stage = 'try' AND branch IN (SELECT name FROM "
                                             "branches WHERE pretest_branch = ?)))",
                                         {name, name}));
    return rows.rows.front()[0].integer();
  }

  Status write_branch(Connection& c, const Branch& b, const std::string& actor) {
    std::vector<Value> values = branch_values(b);
    values.emplace_back(b.name);
    AUTOLAND_TRY_ASSIGN(
        auto updated,
        c.run("UPDATE branches SET name=?, repo_url=?, pull_url=?, vcs=?, threshold=?, status=?, required_level=?, "
              "pretest_branch=?, default_try_syntax=?, ci_source=?, tree_status=?, tree_reason=?, "
              "try_syntax_in_tip=?, max_retriggers=?, results_timeout_minutes=?, landing_strategy=?, max_batch=? "
              "WHERE name=?",
              values));
    if (updated.changed == 0) return not_found("no branch named '" + b.name + "'");
    return insert_event(c, {0, clock_.now(), std::nullopt, actor, "branch.update", describe_branch(b)});
  }

  static Result<std::optional<Branch>> find_branch(Connection& c, const std::string& name) {
    AUTOLAND_TRY_ASSIGN(auto rows,
                        c.run("SELECT " + std::string(kBranchColumns) + " FROM branches WHERE name = ?", {name}));
    if (rows.rows.empty()) return std::optional<Branch>();
    AUTOLAND_TRY_ASSIGN(auto b, read_branch(rows.rows.front()));
    return std::optional<Branch>(std::move(b));
  }

  static Result<std::vector<PatchSet>> select_patchsets_where(Connection& c, std::string_view where, Value value) {
    AUTOLAND_TRY_ASSIGN(auto rows,
                        c.run("SELECT " + std::string(kPatchSetColumns) + " FROM patchsets WHERE " + std::string(where),
                              {std::move(value)}));
    return read_all<PatchSet>(rows, read_patchset);
  }

  static Result<PatchSet> load_patchset(Connection& c, PatchSetId id) {
    AUTOLAND_TRY_ASSIGN(auto found, select_patchsets_where(c, "id = ?", id));
    if (found.empty()) return not_found("no patchset " + std::to_string(id));
    return found.front();
  }

  // Queues an outbox entry: its id, or nullopt when its dedup key is queued already.
  static Result<std::optional<int64_t>> insert_comment(Connection& c, const NewComment& comment,
                                                       std::optional<PatchSetId> patchset, UnixTime now) {
    AUTOLAND_TRY_ASSIGN(auto inserted,
                        c.run("INSERT INTO comments (bug_id, patchset_id, kind, body, dedup_key, next_attempt_time, "
                              "created_time) VALUES (?,?,?,?,?,?,?) ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
                              {comment.bug_id, patchset, comment.kind, comment.body, comment.dedup_key, now, now}));
    if (inserted.rows.empty()) return std::optional<int64_t>();
    return std::optional<int64_t>(inserted.rows.front()[0].integer());
  }

  static Status insert_event(Connection& c, const AuditEvent& e) {
    AUTOLAND_TRY(c.run("INSERT INTO events (time, patchset_id, actor, what, detail) VALUES (?,?,?,?,?)",
                       {e.time, e.patchset_id, e.actor, e.what, e.detail}));
    return {};
  }

  static Status upsert_setting(Connection& c, const std::string& key, const std::string& value) {
    AUTOLAND_TRY(
        c.run("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
              "value=excluded.value",
              {key, value}));
    return {};
  }

  std::unique_ptr<ConnectionSource> source_;
  const Clock& clock_;
};

}  // namespace

std::unique_ptr<Store> make_sql_store(std::unique_ptr<ConnectionSource> source, const Clock& clock) {
  return std::make_unique<SqlStore>(std::move(source), clock);
}

ConnectionSource* source_of(Store& store) {
  auto* sql_store = dynamic_cast<SqlStore*>(&store);
  return sql_store ? &sql_store->source() : nullptr;
}

}  // namespace autoland::sql
