#include "adapters/store/sqlite/sqlite_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>

#include "adapters/store/sqlite/migrations.h"
#include "adapters/store/sqlite/sqlite_db.h"
#include "core/comments.h"
#include "core/lifecycle.h"
#include "util/mutex.h"
#include "util/strings.h"
#include "util/thread_annotations.h"

namespace autoland {
namespace {

using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

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
    "ci_source, tree_status, tree_reason, try_syntax_in_tip, max_retriggers, results_timeout_minutes";

constexpr std::string_view kPatchSetColumns =
    "id, bug_id, patches, branch, stage, try_syntax, author, requester, retries, priority, state, state_reason, "
    "try_revision, landing_revision, backout_revision, creation_time, push_time, completion_time, updated_time, "
    "request_key, version, origin";

constexpr std::string_view kCommentColumns =
    "id, bug_id, patchset_id, kind, body, dedup_key, state, attempts, next_attempt_time, bugzilla_comment_id, "
    "last_error, created_time";

Result<Branch> read_branch(const Statement& s) {
  Branch b;
  b.id = s.column_int(0);
  b.name = s.column_text(1);
  b.repo_url = s.column_text(2);
  b.pull_url = s.column_text(3);
  AUTOLAND_TRY_ASSIGN(auto vcs, parse_vcs(s.column_text(4)));
  b.vcs = vcs;
  b.threshold = static_cast<int>(s.column_int(5));
  AUTOLAND_TRY_ASSIGN(auto status, parse_branch_status(s.column_text(6)));
  b.status = status;
  b.required_level = static_cast<int>(s.column_int(7));
  b.pretest_branch = s.column_text(8);
  b.default_try_syntax = s.column_text(9);
  b.ci_source = s.column_text(10);
  AUTOLAND_TRY_ASSIGN(auto tree, parse_tree_status(s.column_text(11)));
  b.tree = tree;
  b.tree_reason = s.column_text(12);
  b.try_syntax_in_tip = s.column_int(13) != 0;
  b.max_retriggers = static_cast<int>(s.column_int(14));
  b.results_timeout_minutes = static_cast<int>(s.column_int(15));
  return b;
}

Result<PatchSet> read_patchset(const Statement& s) {
  PatchSet p;
  p.id = s.column_int(0);
  p.bug_id = static_cast<BugId>(s.column_int(1));
  p.patches = split_ids(s.column_text(2));
  p.branch = s.column_text(3);
  AUTOLAND_TRY_ASSIGN(auto stage, parse_stage(s.column_text(4)));
  p.stage = stage;
  p.try_syntax = s.column_text(5);
  p.author = s.column_text(6);
  p.requester = s.column_text(7);
  p.retries = static_cast<int>(s.column_int(8));
  p.priority = static_cast<int>(s.column_int(9));
  AUTOLAND_TRY_ASSIGN(auto state, parse_state(s.column_text(10)));
  p.state = state;
  p.state_reason = s.column_text(11);
  p.try_revision = s.column_text(12);
  p.landing_revision = s.column_text(13);
  p.backout_revision = s.column_text(14);
  p.creation_time = s.column_int(15);
  p.push_time = s.column_optional_int(16);
  p.completion_time = s.column_optional_int(17);
  p.updated_time = s.column_int(18);
  p.request_key = s.column_text(19);
  p.version = s.column_int(20);
  AUTOLAND_TRY_ASSIGN(auto origin, parse_request_origin(s.column_text(21)));
  p.origin = origin;
  return p;
}

Result<OutboxComment> read_comment(const Statement& s) {
  OutboxComment c;
  c.id = s.column_int(0);
  c.bug_id = static_cast<BugId>(s.column_int(1));
  c.patchset_id = s.column_optional_int(2);
  c.kind = s.column_text(3);
  c.body = s.column_text(4);
  c.dedup_key = s.column_text(5);
  AUTOLAND_TRY_ASSIGN(auto state, parse_comment_state(s.column_text(6)));
  c.state = state;
  c.attempts = static_cast<int>(s.column_int(7));
  c.next_attempt_time = s.column_int(8);
  c.bugzilla_comment_id = s.column_optional_int(9);
  c.last_error = s.column_text(10);
  c.created_time = s.column_int(11);
  return c;
}

template <typename T, typename Reader>
Result<std::vector<T>> read_all(Statement& s, Reader reader) {
  std::vector<T> out;
  while (true) {
    AUTOLAND_TRY_ASSIGN(auto row, s.step());
    if (!row) return out;
    AUTOLAND_TRY_ASSIGN(auto item, reader(s));
    out.push_back(std::move(item));
  }
}

class SqliteStore final : public Store {
 public:
  // `path`: the file the store lives in, whose identity is watched; "" for
  // an in-memory store.
  SqliteStore(Database db, const Clock& clock, std::string path)
      : db_(std::move(db)), clock_(clock), path_(std::move(path)) {
    struct stat st {};
    if (!path_.empty() && ::stat(path_.c_str(), &st) == 0) {
      device_ = st.st_dev;
      inode_ = st.st_ino;
    }
  }

  std::optional<Error> unusable() override {
    Status s = still_usable();
    if (s.ok() || s.error().kind == ErrorKind::transient) return std::nullopt;
    return s.error();
  }

  // The store can no longer be trusted once its file is corrupt, or was
  // deleted or replaced under it: SQLite would go on writing to the old,
  // unlinked file, and everything written would be lost at the next start.
  // Every call fails from then on, naming the file; a daemon stops.
  // Database::unusable() takes the connection's own health lock: asking it
  // needs no mu_, which the daemon's watchdog must never wait for.
  std::optional<Error> file_health() const NO_THREAD_SAFETY_ANALYSIS { return db_.unusable(); }

  Status still_usable() {
    if (auto bad = file_health()) return *bad;
    if (path_.empty()) return {};
    MutexLock lock(file_mu_);
    if (lost_) return *lost_;
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) {
      if (errno != ENOENT) return transient("cannot check the store '" + path_ + "': " + std::strerror(errno));
      lost_ = internal_error("the store '" + path_ +
                             "' was deleted while autoland was using it: stopping, so that nothing more is written "
                             "to the deleted file. Restore it from a backup (or make an empty one with `autoland db "
                             "init`, forgetting every request in flight) and start again");
    } else if (st.st_dev != device_ || st.st_ino != inode_) {
      lost_ = internal_error("the store '" + path_ +
                             "' was replaced by another file while autoland was using it: stopping; start again "
                             "to use the file that is there now");
    }
    if (lost_) return *lost_;
    return {};
  }

  Result<int> migrate() override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY(ensure_migrations_table());
    int applied = 0;
    for (const auto& m : sqlite::migrations()) {
      AUTOLAND_TRY_ASSIGN(auto tx, Transaction::begin(db_));
      // Re-read inside the write lock: another process may have migrated meanwhile.
      AUTOLAND_TRY_ASSIGN(auto current, current_version());
      if (m.version <= current) continue;
      auto status = db_.exec(m.sql);
      if (!status.ok()) {
        return internal_error("migration " + std::to_string(m.version) + " (" + std::string(m.name) +
                              ") failed: " + status.error().message);
      }
      AUTOLAND_TRY_ASSIGN(auto record,
                          db_.prepare("INSERT INTO schema_migrations (version, name, applied_time) VALUES (?, ?, ?)"));
      record.bind(1, static_cast<int64_t>(m.version)).bind(2, m.name).bind(3, clock_.now());
      AUTOLAND_TRY(record.run());
      AUTOLAND_TRY(tx.commit());
      ++applied;
    }
    return applied;
  }

  Result<SchemaStatus> schema_status() override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY(ensure_migrations_table());
    AUTOLAND_TRY_ASSIGN(auto current, current_version());
    SchemaStatus status;
    status.current_version = current;
    for (const auto& m : sqlite::migrations()) {
      status.latest_version = std::max(status.latest_version, m.version);
      if (m.version > current) status.pending.emplace_back(m.name);
    }
    return status;
  }

  Result<Branch> create_branch(const Branch& b, const std::string& actor) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto tx, Transaction::begin(db_));
    AUTOLAND_TRY_ASSIGN(auto existing, find_branch(b.name));
    if (existing) return conflict("branch '" + b.name + "' exists already");
    AUTOLAND_TRY_ASSIGN(
        auto s,
        db_.prepare(
            "INSERT INTO branches (name, repo_url, pull_url, vcs, threshold, status, required_level, pretest_branch, "
            "default_try_syntax, ci_source, tree_status, tree_reason, try_syntax_in_tip, max_retriggers, "
            "results_timeout_minutes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    bind_branch(s, b);
    AUTOLAND_TRY(s.run());
    AUTOLAND_TRY(insert_event({0, clock_.now(), std::nullopt, actor, "branch.create", b.name}));
    AUTOLAND_TRY_ASSIGN(auto created, find_branch(b.name));
    AUTOLAND_TRY(tx.commit());
    return *created;
  }

  Result<Branch> get_branch(const std::string& name) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto b, find_branch(name));
    if (!b) return not_found("no branch named '" + name + "'");
    return *b;
  }

  Result<std::vector<Branch>> list_branches() override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto s, db_.prepare("SELECT " + std::string(kBranchColumns) + " FROM branches ORDER BY name"));
    return read_all<Branch>(s, read_branch);
  }

  Result<Branch> update_branch(const Branch& b, const std::string& actor) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto tx, Transaction::begin(db_));
    AUTOLAND_TRY(write_branch(b, actor));
    AUTOLAND_TRY_ASSIGN(auto updated, find_branch(b.name));
    AUTOLAND_TRY(tx.commit());
    return *updated;
  }

  Result<Branch> change_branch(const std::string& name, const BranchChange& change, const std::string& actor) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto tx, Transaction::begin(db_));
    AUTOLAND_TRY_ASSIGN(auto current, find_branch(name));
    if (!current) return not_found("no branch named '" + name + "'");
    Branch b = *current;
    AUTOLAND_TRY_ASSIGN(auto in_flight, count_in_flight(name));
    AUTOLAND_TRY(change(b, in_flight));
    b.name = name;
    AUTOLAND_TRY(write_branch(b, actor));
    AUTOLAND_TRY_ASSIGN(auto updated, find_branch(name));
    AUTOLAND_TRY(tx.commit());
    return *updated;
  }

  // REQUIRES: mu_ held, in a transaction.
  Status write_branch(const Branch& b, const std::string& actor) REQUIRES(mu_) {
    AUTOLAND_TRY_ASSIGN(
        auto s,
        db_.prepare(
            "UPDATE branches SET name=?, repo_url=?, pull_url=?, vcs=?, threshold=?, status=?, required_level=?, "
            "pretest_branch=?, default_try_syntax=?, ci_source=?, tree_status=?, tree_reason=?, try_syntax_in_tip=?, "
            "max_retriggers=?, results_timeout_minutes=? WHERE name=?"));
    bind_branch(s, b);
    s.bind(16, b.name);
    AUTOLAND_TRY(s.run());
    if (db_.changes() == 0) return not_found("no branch named '" + b.name + "'");
    return insert_event({0, clock_.now(), std::nullopt, actor, "branch.update", describe_branch(b)});
  }

  Status delete_branch(const std::string& name, const std::string& actor) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto tx, Transaction::begin(db_));
    AUTOLAND_TRY_ASSIGN(auto in_flight, count_in_flight(name));
    if (in_flight > 0) {
      return conflict("branch '" + name + "' has " + std::to_string(in_flight) +
                      " patchset(s) in flight; cancel or finish them first");
    }
    AUTOLAND_TRY_ASSIGN(auto del, db_.prepare("DELETE FROM branches WHERE name = ?"));
    del.bind(1, name);
    AUTOLAND_TRY(del.run());
    if (db_.changes() == 0) return not_found("no branch named '" + name + "'");
    AUTOLAND_TRY(insert_event({0, clock_.now(), std::nullopt, actor, "branch.delete", name}));
    return tx.commit();
  }

  Result<PatchSet> create_patchset(const NewPatchSet& r, const std::string& actor) override {
    if (r.branch.empty()) return invalid_input("a patchset needs a branch");
    if (r.bug_id == 0) return invalid_input("a patchset needs a bug");
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto tx, Transaction::begin(db_));
    if (!r.request_key.empty()) {
      AUTOLAND_TRY_ASSIGN(auto existing, select_patchset_where("request_key = ?", r.request_key));
      if (!existing.empty()) {
        return conflict("request '" + r.request_key + "' was taken already as patchset " +
                        std::to_string(existing.front().id));
      }
    }
    UnixTime now = clock_.now();
    AUTOLAND_TRY_ASSIGN(
        auto s,
        db_.prepare(
            "INSERT INTO patchsets (bug_id, patches, branch, stage, try_syntax, author, requester, priority, state, "
            "creation_time, updated_time, request_key, origin) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"));
    s.bind(1, static_cast<int64_t>(r.bug_id))
        .bind(2, join_ids(r.patches))
        .bind(3, r.branch)
        .bind(4, to_string(r.stage))
        .bind(5, r.try_syntax)
        .bind(6, r.author)
        .bind(7, r.requester)
        .bind(8, static_cast<int64_t>(r.priority))
        .bind(9, to_string(State::queued))
        .bind(10, now)
        .bind(11, now);
    if (r.request_key.empty()) {
      s.bind_null(12);
    } else {
      s.bind(12, r.request_key);
    }
    s.bind(13, to_string(r.origin));
    AUTOLAND_TRY(s.run());
    PatchSetId id = db_.last_insert_rowid();
    AUTOLAND_TRY(insert_event(
        {0, now, id, actor, "patchset.create",
         "bug " + std::to_string(r.bug_id) + " to " + r.branch + " patches [" + join_ids(r.patches) + "]"}));
    AUTOLAND_TRY_ASSIGN(auto created, select_patchset_where("id = ?", id));
    AUTOLAND_TRY(tx.commit());
    return created.front();
  }

  Result<PatchSet> get_patchset(PatchSetId id) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    return load_patchset(id);
  }

  Result<std::vector<PatchSet>> find_patchsets(const PatchSetQuery& q) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    std::string sql = "SELECT " + std::string(kPatchSetColumns) + " FROM patchsets WHERE 1=1";
    if (q.bug_id) sql += " AND bug_id = ?";
    if (q.branch) sql += " AND branch = ?";
    if (q.revision) sql += " AND (try_revision = ? OR landing_revision = ?)";
    if (q.requester) sql += " AND requester = ? COLLATE NOCASE";
    if (q.after_id) sql += " AND id > ?";
    if (!q.states.empty()) {
      sql += " AND state IN (";
      for (size_t i = 0; i < q.states.size(); ++i) sql += i ? ",?" : "?";
      sql += ")";
    }
    sql += q.after_id ? " ORDER BY id LIMIT ?" : " ORDER BY creation_time, id LIMIT ?";
    AUTOLAND_TRY_ASSIGN(auto s, db_.prepare(sql));
    int index = 1;
    if (q.bug_id) s.bind(index++, static_cast<int64_t>(*q.bug_id));
    if (q.branch) s.bind(index++, *q.branch);
    if (q.revision) {
      s.bind(index++, *q.revision);
      s.bind(index++, *q.revision);
    }
    if (q.requester) s.bind(index++, *q.requester);
    if (q.after_id) s.bind(index++, static_cast<int64_t>(*q.after_id));
    for (State st : q.states) s.bind(index++, to_string(st));
    s.bind(index, static_cast<int64_t>(q.limit));
    return read_all<PatchSet>(s, read_patchset);
  }

  Result<std::optional<PatchSet>> find_by_request_key(const std::string& key) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto found, select_patchset_where("request_key = ?", key));
    if (found.empty()) return std::optional<PatchSet>();
    return std::optional<PatchSet>(found.front());
  }

  Result<PatchSet> apply_transition(const TransitionWrite& w) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto tx, Transaction::begin(db_));
    AUTOLAND_TRY_ASSIGN(auto current, load_patchset(w.patchset_id));
    if (current.state != w.expected_state || current.version != w.expected_version) {
      return conflict("patchset " + std::to_string(w.patchset_id) + " changed meanwhile: it is " +
                      std::string(to_string(current.state)) + " (version " + std::to_string(current.version) +
                      "), expected " + std::string(to_string(w.expected_state)) + " (version " +
                      std::to_string(w.expected_version) + ")");
    }
    UnixTime now = clock_.now();
    const PatchSetChanges& c = w.changes;
    AUTOLAND_TRY_ASSIGN(
        auto s,
        db_.prepare("UPDATE patchsets SET state=?, state_reason=?, stage=COALESCE(?, stage), "
                    "try_revision=COALESCE(?, try_revision), landing_revision=COALESCE(?, landing_revision), "
                    "backout_revision=COALESCE(?, backout_revision), retries=COALESCE(?, retries), "
                    "priority=COALESCE(?, priority), push_time=CASE WHEN ? THEN NULL ELSE COALESCE(?, push_time) END, "
                    "completion_time=CASE WHEN ? THEN NULL ELSE COALESCE(?, completion_time) END, "
                    "author=COALESCE(?, author), updated_time=?, version=version+1 WHERE id=? AND version=?"));
    s.bind(1, to_string(w.new_state)).bind(2, w.state_reason);
    if (c.stage) {
      s.bind(3, to_string(*c.stage));
    } else {
      s.bind_null(3);
    }
    s.bind(4, c.try_revision).bind(5, c.landing_revision).bind(6, c.backout_revision);
    s.bind(7, c.retries ? std::optional<int64_t>(*c.retries) : std::nullopt);
    s.bind(8, c.priority ? std::optional<int64_t>(*c.priority) : std::nullopt);
    const int64_t clear = c.clear_times ? 1 : 0;
    s.bind(9, clear).bind(10, c.push_time).bind(11, clear).bind(12, c.completion_time).bind(13, c.author);
    s.bind(14, now).bind(15, w.patchset_id).bind(16, w.expected_version);
    AUTOLAND_TRY(s.run());
    if (db_.changes() != 1) return conflict("patchset " + std::to_string(w.patchset_id) + " changed meanwhile");
    AUTOLAND_TRY(insert_event({0, now, w.patchset_id, w.actor, w.what.empty() ? "transition" : w.what, w.detail}));
    for (const NewComment& comment : w.comments) {
      AUTOLAND_TRY(insert_comment(comment, w.patchset_id, now));
    }
    AUTOLAND_TRY_ASSIGN(auto updated, load_patchset(w.patchset_id));
    AUTOLAND_TRY(tx.commit());
    return updated;
  }

  Result<PatchSet> set_priority(PatchSetId id, int priority, const std::string& actor) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto tx, Transaction::begin(db_));
    AUTOLAND_TRY_ASSIGN(auto s,
                        db_.prepare("UPDATE patchsets SET priority=?, updated_time=?, version=version+1 WHERE id=?"));
    s.bind(1, static_cast<int64_t>(priority)).bind(2, clock_.now()).bind(3, id);
    AUTOLAND_TRY(s.run());
    if (db_.changes() == 0) return not_found("no patchset " + std::to_string(id));
    AUTOLAND_TRY(insert_event({0, clock_.now(), id, actor, "priority", std::to_string(priority)}));
    AUTOLAND_TRY_ASSIGN(auto updated, load_patchset(id));
    AUTOLAND_TRY(tx.commit());
    return updated;
  }

  Status delete_patchset(PatchSetId id, const PatchSetDeletion& decide, const std::string& actor) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto tx, Transaction::begin(db_));
    AUTOLAND_TRY_ASSIGN(auto current, load_patchset(id));
    AUTOLAND_TRY_ASSIGN(auto entries, decide(current));
    AUTOLAND_TRY_ASSIGN(auto del, db_.prepare("DELETE FROM patchsets WHERE id = ?"));
    del.bind(1, id);
    AUTOLAND_TRY(del.run());
    for (const NewComment& entry : entries) {
      AUTOLAND_TRY(insert_comment(entry, id, clock_.now()));
    }
    AUTOLAND_TRY(
        insert_event({0, clock_.now(), id, actor, "patchset.delete", "was " + std::string(to_string(current.state))}));
    return tx.commit();
  }

  Result<PatchSet> add_patch(PatchSetId id, AttachmentId patch, const std::string& actor) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto tx, Transaction::begin(db_));
    AUTOLAND_TRY_ASSIGN(auto current, load_patchset(id));
    if (std::find(current.patches.begin(), current.patches.end(), patch) != current.patches.end()) return current;
    if (current.state != State::queued) {
      return conflict("patchset " + std::to_string(id) + " is " + std::string(to_string(current.state)) +
                      ": patches can only be added while it is queued");
    }
    std::vector<AttachmentId> patches = current.patches;
    patches.push_back(patch);
    AUTOLAND_TRY_ASSIGN(
        auto s,
        db_.prepare("UPDATE patchsets SET patches=?, updated_time=?, version=version+1 WHERE id=? AND version=?"));
    s.bind(1, join_ids(patches)).bind(2, clock_.now()).bind(3, id).bind(4, current.version);
    AUTOLAND_TRY(s.run());
    if (db_.changes() == 0) return conflict("patchset " + std::to_string(id) + " changed meanwhile");
    AUTOLAND_TRY(
        insert_event({0, clock_.now(), id, actor, "patchset.add_patch", "attachment " + std::to_string(patch)}));
    AUTOLAND_TRY_ASSIGN(auto updated, load_patchset(id));
    AUTOLAND_TRY(tx.commit());
    return updated;
  }

  Result<std::map<std::string, std::map<std::string, int64_t>>> count_comments() override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto s, db_.prepare("SELECT kind, state, COUNT(*) FROM comments GROUP BY kind, state"));
    std::map<std::string, std::map<std::string, int64_t>> out;
    while (true) {
      AUTOLAND_TRY_ASSIGN(auto row, s.step());
      if (!row) break;
      out[s.column_text(0)][s.column_text(1)] = s.column_int(2);
    }
    return out;
  }

  Result<std::vector<OutboxComment>> due_comments(UnixTime now, size_t limit) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(
        auto s, db_.prepare("SELECT " + std::string(kCommentColumns) +
                            " FROM comments WHERE state = 'pending' AND next_attempt_time <= ? ORDER BY id LIMIT ?"));
    s.bind(1, now).bind(2, static_cast<int64_t>(limit));
    return read_all<OutboxComment>(s, read_comment);
  }

  Result<std::vector<OutboxComment>> comments_for(PatchSetId id) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto s, db_.prepare("SELECT " + std::string(kCommentColumns) +
                                            " FROM comments WHERE patchset_id = ? ORDER BY id"));
    s.bind(1, id);
    return read_all<OutboxComment>(s, read_comment);
  }

  Result<OutboxComment> get_comment(int64_t id) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto s, db_.prepare("SELECT " + std::string(kCommentColumns) + " FROM comments WHERE id = ?"));
    s.bind(1, id);
    AUTOLAND_TRY_ASSIGN(auto all, read_all<OutboxComment>(s, read_comment));
    if (all.empty()) return not_found("no comment " + std::to_string(id));
    return all.front();
  }

  Result<std::optional<int64_t>> enqueue_comment(const NewComment& c, std::optional<PatchSetId> patchset) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto tx, Transaction::begin(db_));
    AUTOLAND_TRY_ASSIGN(auto added, insert_comment(c, patchset, clock_.now()));
    std::optional<int64_t> id;
    if (added) id = db_.last_insert_rowid();
    AUTOLAND_TRY(tx.commit());
    return id;
  }

  Result<int> drop_pending_comments(BugId bug, const std::string& reason) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(
        auto s, db_.prepare("UPDATE comments SET state='dropped', last_error=? WHERE bug_id=? AND state='pending'"));
    s.bind(1, reason).bind(2, static_cast<int64_t>(bug));
    AUTOLAND_TRY(s.run());
    return db_.changes();
  }

  Status record_comment_attempt(int64_t id, int seen_attempts, UnixTime lease_until) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto s, db_.prepare("UPDATE comments SET attempts=attempts+1, next_attempt_time=? WHERE id=? "
                                            "AND state='pending' AND attempts=?"));
    s.bind(1, lease_until).bind(2, id).bind(3, static_cast<int64_t>(seen_attempts));
    AUTOLAND_TRY(s.run());
    if (db_.changes() == 0) {
      return conflict("comment " + std::to_string(id) + " is no longer pending or was claimed by another process");
    }
    return {};
  }

  Status mark_comment_posted(int64_t id, std::optional<int64_t> bugzilla_comment_id) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto tx, Transaction::begin(db_));
    AUTOLAND_TRY_ASSIGN(auto s, db_.prepare("UPDATE comments SET state='posted', bugzilla_comment_id=?, last_error='' "
                                            "WHERE id=? AND state='pending'"));
    s.bind(1, bugzilla_comment_id).bind(2, id);
    AUTOLAND_TRY(s.run());
    if (db_.changes() == 0) return conflict("comment " + std::to_string(id) + " is not pending");
    return tx.commit();
  }

  Status mark_comment_failed(int64_t id, const std::string& error, std::optional<UnixTime> retry_at) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto tx, Transaction::begin(db_));
    AUTOLAND_TRY_ASSIGN(auto s, db_.prepare("UPDATE comments SET state=?, last_error=?, next_attempt_time=COALESCE(?, "
                                            "next_attempt_time) WHERE id=? AND state='pending'"));
    s.bind(1, retry_at ? "pending" : "dropped").bind(2, error).bind(3, retry_at).bind(4, id);
    AUTOLAND_TRY(s.run());
    if (db_.changes() == 0) return conflict("comment " + std::to_string(id) + " is not pending");
    return tx.commit();
  }

  Status append_event(const AuditEvent& e) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AuditEvent stamped = e;
    if (stamped.time == 0) stamped.time = clock_.now();
    return insert_event(stamped);
  }

  Result<std::vector<AuditEvent>> list_events(const EventQuery& q) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    std::string sql = "SELECT id, time, patchset_id, actor, what, detail FROM events WHERE id > ?";
    if (q.since) sql += " AND time >= ?";
    if (q.patchset_id) sql += " AND patchset_id = ?";
    sql += q.newest ? " ORDER BY id DESC LIMIT ?" : " ORDER BY id LIMIT ?";
    if (q.newest) sql = "SELECT * FROM (" + sql + ") ORDER BY id";
    AUTOLAND_TRY_ASSIGN(auto s, db_.prepare(sql));
    int index = 1;
    s.bind(index++, q.after_id);
    if (q.since) s.bind(index++, *q.since);
    if (q.patchset_id) s.bind(index++, *q.patchset_id);
    s.bind(index, static_cast<int64_t>(q.limit));
    return read_all<AuditEvent>(s, [](const Statement& st) -> Result<AuditEvent> {
      AuditEvent e;
      e.id = st.column_int(0);
      e.time = st.column_int(1);
      e.patchset_id = st.column_optional_int(2);
      e.actor = st.column_text(3);
      e.what = st.column_text(4);
      e.detail = st.column_text(5);
      return e;
    });
  }

  Result<std::optional<std::string>> get_setting(const std::string& key) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto s, db_.prepare("SELECT value FROM settings WHERE key = ?"));
    s.bind(1, key);
    AUTOLAND_TRY_ASSIGN(auto row, s.step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(s.column_text(0));
  }

  Status set_setting(const std::string& key, const std::string& value, const std::string& actor) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto tx, Transaction::begin(db_));
    AUTOLAND_TRY(upsert_setting(key, value));
    AUTOLAND_TRY(insert_event({0, clock_.now(), std::nullopt, actor, "setting", key + "=" + value}));
    return tx.commit();
  }

  Status set_cursor(const std::string& key, const std::string& value) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    return upsert_setting(key, value);
  }

  Result<bool> watch_push(const WatchedPush& push) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    std::vector<std::string> bugs;
    for (BugId b : push.bugs) bugs.push_back(std::to_string(b));
    AUTOLAND_TRY_ASSIGN(auto s, db_.prepare("INSERT INTO watched_pushes (branch, revision, bugs, pusher, push_time, "
                                            "seen_time) VALUES (?, ?, ?, ?, ?, ?) "
                                            "ON CONFLICT(branch, revision) DO NOTHING"));
    s.bind(1, push.branch).bind(2, push.revision).bind(3, util::join(bugs, ",")).bind(4, push.pusher);
    s.bind(5, push.push_time).bind(6, clock_.now());
    AUTOLAND_TRY(s.run());
    return db_.changes() > 0;
  }

  Result<std::vector<WatchedPush>> unreported_pushes(size_t limit) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(
        auto s,
        db_.prepare(
            "SELECT branch, revision, bugs, pusher, push_time, seen_time FROM watched_pushes WHERE reported = 0 "
            "ORDER BY seen_time, rowid LIMIT ?"));
    s.bind(1, static_cast<int64_t>(limit));
    std::vector<WatchedPush> out;
    for (;;) {
      AUTOLAND_TRY_ASSIGN(auto row, s.step());
      if (!row) break;
      WatchedPush p;
      p.branch = s.column_text(0);
      p.revision = s.column_text(1);
      const std::string bugs = s.column_text(2);
      for (std::string_view b : util::split(bugs, ',')) {
        if (!b.empty()) p.bugs.push_back(std::strtoll(std::string(b).c_str(), nullptr, 10));
      }
      p.pusher = s.column_text(3);
      p.push_time = s.column_int(4);
      p.seen_time = s.column_int(5);
      out.push_back(std::move(p));
    }
    return out;
  }

  Status report_watched_push(const std::string& branch, const std::string& revision,
                             const std::vector<NewComment>& comments, const std::string& actor) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto tx, Transaction::begin(db_));
    AUTOLAND_TRY_ASSIGN(
        auto s,
        db_.prepare("UPDATE watched_pushes SET reported = 1 WHERE branch = ? AND revision = ? AND reported = 0"));
    s.bind(1, branch).bind(2, revision);
    AUTOLAND_TRY(s.run());
    if (db_.changes() == 0) return conflict("push " + revision + " on " + branch + " is not watched or was reported");
    std::vector<std::string> bugs;
    for (const NewComment& c : comments) {
      AUTOLAND_TRY(insert_comment(c, std::nullopt, clock_.now()));
      bugs.push_back(std::to_string(c.bug_id));
    }
    AUTOLAND_TRY(insert_event({0, clock_.now(), std::nullopt, actor, "push.reported",
                               branch + " " + revision + " on bug(s) " + util::join(bugs, ",")}));
    return tx.commit();
  }

  Status record_push_intent(const PushIntent& intent) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(
        auto s,
        db_.prepare(
            "INSERT INTO push_intents (key, branch, nodes, recorded_time) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO "
            "UPDATE SET branch=excluded.branch, nodes=excluded.nodes, recorded_time=excluded.recorded_time"));
    s.bind(1, intent.key).bind(2, intent.branch).bind(3, util::join(intent.nodes, " ")).bind(4, clock_.now());
    return s.run();
  }

  Result<std::optional<PushIntent>> get_push_intent(const std::string& key) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto s, db_.prepare("SELECT branch, nodes, recorded_time FROM push_intents WHERE key = ?"));
    s.bind(1, key);
    AUTOLAND_TRY_ASSIGN(auto row, s.step());
    if (!row) return std::optional<PushIntent>();
    PushIntent intent;
    intent.key = key;
    intent.branch = s.column_text(0);
    std::string nodes = s.column_text(1);
    for (std::string_view n : util::split(nodes, ' ')) {
      if (!n.empty()) intent.nodes.emplace_back(n);
    }
    intent.recorded_time = s.column_int(2);
    return std::optional<PushIntent>(std::move(intent));
  }

  Status clear_push_intent(const std::string& key) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    AUTOLAND_TRY_ASSIGN(auto s, db_.prepare("DELETE FROM push_intents WHERE key = ?"));
    s.bind(1, key);
    return s.run();
  }

  Result<std::optional<std::string>> find_push_intent_with_node(const std::string& node) override {
    MutexLock lock(mu_);
    AUTOLAND_TRY(still_usable());
    if (node.empty() || node.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return std::optional<std::string>();
    }
    // Nodes are stored space-separated; a whole node never matches a part of another.
    AUTOLAND_TRY_ASSIGN(auto s, db_.prepare("SELECT key FROM push_intents WHERE ' ' || nodes || ' ' LIKE ? LIMIT 1"));
    s.bind(1, "% " + node + " %");
    AUTOLAND_TRY_ASSIGN(auto row, s.step());
    if (!row) return std::optional<std::string>();
    return std::optional<std::string>(s.column_text(0));
  }

 private:
  Status ensure_migrations_table() REQUIRES(mu_) {
    return db_.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_time INTEGER NOT NULL)");
  }

  Result<int> current_version() REQUIRES(mu_) {
    AUTOLAND_TRY_ASSIGN(auto s, db_.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    AUTOLAND_TRY(s.step());
    return static_cast<int>(s.column_int(0));
  }

  // Patchsets not yet ended that push to `name`: Branch::branch_for in SQL.
  // Those for the branch itself at any stage, and those of other branches
  // in their try stage whose pretest branch it is.
  Result<int64_t> count_in_flight(const std::string& name) REQUIRES(mu_) {
    AUTOLAND_TRY_ASSIGN(auto count, db_.prepare("SELECT COUNT(*) FROM patchsets WHERE state NOT IN " + terminal_list() +
                                                " AND (branch = ?1 OR (stage = 'try' AND branch IN (SELECT name FROM "
                                                "branches WHERE pretest_branch = ?1)))"));
    count.bind(1, name);
    AUTOLAND_TRY(count.step());
    return count.column_int(0);
  }

  static std::string terminal_list() {
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

  static std::string describe_branch(const Branch& b) {
    return b.name + ": threshold=" + std::to_string(b.threshold) + " status=" + std::string(to_string(b.status)) +
           " tree=" + std::string(to_string(b.tree));
  }

  static void bind_branch(Statement& s, const Branch& b) {
    s.bind(1, b.name)
        .bind(2, b.repo_url)
        .bind(3, b.pull_url)
        .bind(4, to_string(b.vcs))
        .bind(5, static_cast<int64_t>(b.threshold))
        .bind(6, to_string(b.status))
        .bind(7, static_cast<int64_t>(b.required_level))
        .bind(8, b.pretest_branch)
        .bind(9, b.default_try_syntax)
        .bind(10, b.ci_source)
        .bind(11, to_string(b.tree))
        .bind(12, b.tree_reason)
        .bind(13, static_cast<int64_t>(b.try_syntax_in_tip ? 1 : 0))
        .bind(14, static_cast<int64_t>(b.max_retriggers))
        .bind(15, static_cast<int64_t>(b.results_timeout_minutes));
  }

  Result<std::optional<Branch>> find_branch(const std::string& name) REQUIRES(mu_) {
    AUTOLAND_TRY_ASSIGN(auto s, db_.prepare("SELECT " + std::string(kBranchColumns) + " FROM branches WHERE name = ?"));
    s.bind(1, name);
    AUTOLAND_TRY_ASSIGN(auto all, read_all<Branch>(s, read_branch));
    if (all.empty()) return std::optional<Branch>();
    return std::optional<Branch>(all.front());
  }

  template <typename T>
  Result<std::vector<PatchSet>> select_patchset_where(std::string_view where, const T& value) REQUIRES(mu_) {
    AUTOLAND_TRY_ASSIGN(
        auto s, db_.prepare("SELECT " + std::string(kPatchSetColumns) + " FROM patchsets WHERE " + std::string(where)));
    s.bind(1, value);
    return read_all<PatchSet>(s, read_patchset);
  }

  Result<PatchSet> load_patchset(PatchSetId id) REQUIRES(mu_) {
    AUTOLAND_TRY_ASSIGN(auto found, select_patchset_where("id = ?", static_cast<int64_t>(id)));
    if (found.empty()) return not_found("no patchset " + std::to_string(id));
    return found.front();
  }

  // Queues an outbox entry; false when its dedup key is queued already.
  // REQUIRES: mu_ held, inside a transaction.
  Result<bool> insert_comment(const NewComment& c, std::optional<PatchSetId> patchset, UnixTime now) REQUIRES(mu_) {
    AUTOLAND_TRY_ASSIGN(
        auto ins,
        db_.prepare("INSERT OR IGNORE INTO comments (bug_id, patchset_id, kind, body, dedup_key, next_attempt_time, "
                    "created_time) VALUES (?,?,?,?,?,?,?)"));
    ins.bind(1, static_cast<int64_t>(c.bug_id))
        .bind(2, patchset)
        .bind(3, c.kind)
        .bind(4, c.body)
        .bind(5, c.dedup_key)
        .bind(6, now)
        .bind(7, now);
    AUTOLAND_TRY(ins.run());
    return db_.changes() == 1;
  }

  Status insert_event(const AuditEvent& e) REQUIRES(mu_) {
    AUTOLAND_TRY_ASSIGN(auto s,
                        db_.prepare("INSERT INTO events (time, patchset_id, actor, what, detail) VALUES (?,?,?,?,?)"));
    s.bind(1, e.time).bind(2, e.patchset_id).bind(3, e.actor).bind(4, e.what).bind(5, e.detail);
    return s.run();
  }

  Status upsert_setting(const std::string& key, const std::string& value) REQUIRES(mu_) {
    AUTOLAND_TRY_ASSIGN(
        auto s,
        db_.prepare(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value"));
    s.bind(1, key).bind(2, value);
    return s.run();
  }

  Mutex mu_;
  Database db_ GUARDED_BY(mu_);
  const Clock& clock_;
  const std::string path_;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  Mutex file_mu_;
  std::optional<Error> lost_ GUARDED_BY(file_mu_);
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options, const Clock& clock) {
  const bool in_memory = options.path == ":memory:";
  auto db = Database::open(options.path, options.busy_timeout_ms, options.create || in_memory);
  if (!db) {
    if (db.error().kind == ErrorKind::not_found) {
      return not_found("the store '" + options.path +
                       "' does not exist. autoland never makes an empty store by itself (a store deleted by "
                       "mistake would silently forget every request in flight): create it with `autoland db "
                       "init`, or restore it from a backup");
    }
    return db.error();
  }
  // Reads the schema before anything is written: a file that is not a
  // database, or a corrupt one, fails here, naming the file.
  bool empty = false;
  bool has_store = false;
  {
    AUTOLAND_TRY_ASSIGN(auto tables,
                        db->prepare("SELECT count(*), count(CASE WHEN name = 'schema_migrations' THEN 1 END) "
                                    "FROM sqlite_master WHERE type = 'table'"));
    AUTOLAND_TRY(tables.step());
    empty = tables.column_int(0) == 0;
    has_store = tables.column_int(1) > 0;
  }
  if (!has_store && !in_memory) {
    if (!empty) {
      return invalid_input("the file '" + options.path +
                           "' is an SQLite database but not an autoland store (it has no schema_migrations table)");
    }
    if (!options.create) {
      return not_found("the store '" + options.path +
                       "' is empty: autoland never fills an empty store by itself (it may stand where a store was "
                       "lost); create it with `autoland db init`, or restore it from a backup");
    }
  }
  // After the checks above: these write to the file.
  if (!in_memory) {
    // WAL lets readers run beside a writer (the API reads while services write).
    AUTOLAND_TRY(db->exec("PRAGMA journal_mode=WAL"));
    // FULL: a committed write (a push intent above all) is on disk before
    // the side effect it announces happens, even across a power cut.
    AUTOLAND_TRY(db->exec("PRAGMA synchronous=FULL"));
  }
  AUTOLAND_TRY(db->exec("PRAGMA foreign_keys=ON"));
  auto store = std::make_unique<SqliteStore>(std::move(*db), clock, in_memory ? std::string() : options.path);
  if (options.migrate || (options.create && !has_store)) {
    AUTOLAND_TRY(store->migrate());
  }
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace autoland
