#include "adapters/ci/local/local_ci.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/process/hg_environment.h"
#include "adapters/process/subprocess.h"
#include "core/try_syntax.h"
#include "util/file_lock.h"
#include "util/log.h"
#include "util/strings.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  branch TEXT NOT NULL,
  revision TEXT NOT NULL,
  name TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  result TEXT NOT NULL DEFAULT 'pending',
  started INTEGER NOT NULL DEFAULT 0,
  finished INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_revision ON runs (branch, revision, id);
CREATE INDEX IF NOT EXISTS runs_by_state ON runs (state, id);
CREATE TABLE IF NOT EXISTS scheduled (
  branch TEXT NOT NULL,
  revision TEXT NOT NULL,
  PRIMARY KEY (branch, revision)
);
)sql";

constexpr int kMaxCommitsPerPushPage = 1000;

// A process's start time (field 22 of /proc/PID/stat, in clock ticks since
// boot): with the pid it names one process, so a pid reused after a reboot or
// a wrap-around is never taken for a job's. nullopt when there is none.
std::optional<std::string> process_start(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return field;
  }
  return std::nullopt;
}

// This boot's id: a start time counts clock ticks since boot, so a pid and a
// start time name one process only within one boot.
std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

// The process group of a dead runner's job, if it is still that group: its
// leader alive with the recorded start time, or, the leader gone, members
// left in it (Linux never hands out a group's id again while it has
// members). Never group 0 or 1, never another boot's.
bool still_our_group(pid_t group, const std::string& leader_start, const std::string& boot) {
  if (group <= 1 || leader_start.empty() || boot.empty() || boot != boot_id()) return false;
  if (auto leader = process_start(group)) return *leader == leader_start;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string state, ppid, pgrp;
    if (fields >> state >> ppid >> pgrp && pgrp == std::to_string(group)) return true;
  }
  return false;
}

// Columns added after the first release of the runner's state.
Status upgrade(sqlite::Database& db) {
  auto has = [&](const char* column) -> Result<bool> {
    AUTOLAND_TRY_ASSIGN(auto s, db.prepare("SELECT COUNT(*) FROM pragma_table_info('runs') WHERE name = ?"));
    s.bind(1, std::string(column));
    AUTOLAND_TRY_ASSIGN(auto row, s.step());
    return row && s.column_int(0) > 0;
  };
  AUTOLAND_TRY_ASSIGN(auto pgid, has("pgid"));
  if (!pgid) {
    AUTOLAND_TRY(db.exec("ALTER TABLE runs ADD COLUMN pgid INTEGER NOT NULL DEFAULT 0"));
    AUTOLAND_TRY(db.exec("ALTER TABLE runs ADD COLUMN pgid_start TEXT NOT NULL DEFAULT ''"));
  }
  AUTOLAND_TRY_ASSIGN(auto boot, has("pgid_boot"));
  if (!boot) AUTOLAND_TRY(db.exec("ALTER TABLE runs ADD COLUMN pgid_boot TEXT NOT NULL DEFAULT ''"));
  return {};
}

SpawnOptions program(std::vector<std::string> argv, const std::string& cwd = "") {
  SpawnOptions o;
  o.argv = std::move(argv);
  o.cwd = cwd;
  o.env_set = hg_environment();  // hg archive and log read as the VCS adapter reads; jobs get the same
  return o;
}

}  // namespace

Result<std::unique_ptr<LocalCi>> LocalCi::open(LocalCiOptions options, const Clock& clock) {
  std::error_code ec;
  fs::create_directories(fs::path(options.state_dir) / "logs", ec);
  fs::create_directories(fs::path(options.state_dir) / "work", ec);
  if (ec) return internal_error("cannot create the local CI folder " + options.state_dir + ": " + ec.message());
  if (options.workers < 1) return invalid_input("the local CI needs at least one worker");
  // One runner per state folder: a second one would take the first one's
  // runs in progress for runs cut short by a crash, and run them again.
  auto owner = options.attach_only ? Result<util::FileLock>(conflict("attaching only"))
                                   : util::FileLock::acquire((fs::path(options.state_dir) / "ci.lock").string(),
                                                             std::chrono::seconds(0));
  if (!owner && (options.may_attach || options.attach_only)) {
    AUTOLAND_TRY_ASSIGN(auto db, sqlite::Database::open((fs::path(options.state_dir) / "ci.db").string(),
                                                        options.busy_timeout_ms, /*create=*/true));
    AUTOLAND_TRY(db.exec("PRAGMA journal_mode=WAL"));
    AUTOLAND_TRY(db.exec("PRAGMA synchronous=FULL"));
    AUTOLAND_TRY(db.exec(kSchema));
    LOG_INFO("ci", "another process runs the local CI's jobs in " + options.state_dir + "; attached to it");
    return std::unique_ptr<LocalCi>(new LocalCi(std::move(options), clock, std::move(db)));
  }
  if (!owner) {
    return Error{owner.error().kind, "another process runs the local CI in " + options.state_dir +
                                         " (only one may; stop it, or give this one its own ci.local.state_dir)"};
  }
  AUTOLAND_TRY_ASSIGN(auto db,
                      sqlite::Database::open((fs::path(options.state_dir) / "ci.db").string(), options.busy_timeout_ms,
                                             /*create=*/true));
  AUTOLAND_TRY(db.exec("PRAGMA journal_mode=WAL"));
  AUTOLAND_TRY(db.exec("PRAGMA synchronous=FULL"));
  AUTOLAND_TRY(db.exec(kSchema));
  AUTOLAND_TRY(upgrade(db));
  // Jobs of a process that died: their process groups may live on, still
  // writing into the work folder the rerun will use. Kill them first.
  AUTOLAND_TRY_ASSIGN(
      auto orphans, db.prepare("SELECT id, pgid, pgid_start, pgid_boot FROM runs WHERE state='running' AND pgid > 1"));
  for (;;) {
    AUTOLAND_TRY_ASSIGN(auto row, orphans.step());
    if (!row) break;
    pid_t group = static_cast<pid_t>(orphans.column_int(1));
    if (still_our_group(group, orphans.column_text(2), orphans.column_text(3))) {
      ::kill(-group, SIGKILL);
      LOG_WARN("ci", "killed what was left of run " + std::to_string(orphans.column_int(0)) + " (process group " +
                         std::to_string(group) + ") from before the restart");
    }
  }
  // Runs cut short by a crash: their outcome is unknown, so they run again.
  AUTOLAND_TRY_ASSIGN(
      auto requeued,
      db.prepare("UPDATE runs SET state='pending', result='pending', started=0, pgid=0 WHERE state='running'"));
  AUTOLAND_TRY(requeued.run());
  if (db.changes() > 0) {
    LOG_WARN("ci", std::to_string(db.changes()) + " job run(s) were cut short by a restart; running them again");
  }
  std::unique_ptr<LocalCi> ci(new LocalCi(std::move(options), clock, std::move(db)));
  ci->owner_.emplace(std::move(*owner));
  return ci;
}

LocalCi::~LocalCi() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void LocalCi::start() {
  MutexLock lock(mu_);
  if (!threads_.empty() || !owner_) return;  // attached: the owner runs the jobs
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { worker(); });
}

const LocalBranchCi* LocalCi::branch_config(const std::string& branch) const {
  for (const LocalBranchCi& b : options_.branches) {
    if (b.branch == branch) return &b;
  }
  return nullptr;
}

Result<std::string> LocalCi::resolve(const LocalBranchCi& branch, const std::string& revision) {
  if (!util::is_hex(revision)) return invalid_input("'" + revision + "' is not a revision id");
  // hg reads 0000... as its null revision, which is no push: a health probe
  // asking about it must not schedule a run.
  if (revision.find_first_not_of('0') == std::string::npos) {
    return not_found("revision " + revision + " is the null revision, not a push");
  }
  AUTOLAND_TRY_ASSIGN(
      ProgramResult r,
      branch.vcs == Vcs::hg
          ? run_program(program({"hg", "log", "-R", branch.repo, "-r", "id(" + revision + ")", "-T", "{node}"}))
          : run_program(program(
                {"git", "--git-dir", branch.repo, "rev-parse", "--verify", "--quiet", revision + "^{commit}"})));
  std::string node(util::trim(r.out));
  if (r.exit_code != 0 || node.size() != 40) {
    return not_found("revision " + revision + " is not in " + branch.branch + " (yet)");
  }
  return node;
}

Status LocalCi::schedule(const LocalBranchCi& branch, const std::string& node) {
  AUTOLAND_TRY_ASSIGN(auto tx, sqlite::Transaction::begin(db_));
  AUTOLAND_TRY_ASSIGN(auto mark, db_.prepare("INSERT OR IGNORE INTO scheduled (branch, revision) VALUES (?, ?)"));
  mark.bind(1, branch.branch).bind(2, node);
  AUTOLAND_TRY(mark.run());
  if (db_.changes() == 0) return {};  // scheduled before
  for (const LocalJobSpec& job : branch.jobs) {
    AUTOLAND_TRY_ASSIGN(auto add,
                        db_.prepare("INSERT INTO runs (branch, revision, name, created) VALUES (?, ?, ?, ?)"));
    add.bind(1, branch.branch).bind(2, node).bind(3, job.name).bind(4, clock_.now());
    AUTOLAND_TRY(add.run());
  }
  AUTOLAND_TRY(tx.commit());
  LOG_INFO("ci", "scheduled " + std::to_string(branch.jobs.size()) + " job(s) for " + branch.branch + " " +
                     node.substr(0, 12));
  changed_.notify_all();
  return {};
}

Result<std::vector<CiJob>> LocalCi::jobs(const std::string& branch, const std::string& revision) {
  const LocalBranchCi* config = branch_config(branch);
  if (!config) return not_found("the local CI does not watch branch '" + branch + "'");
  // A full node scheduled before needs no look into the repository.
  Result<std::string> node = revision;
  if (revision.size() != 40 || !util::is_hex(revision) || !is_scheduled(branch, revision))
    node = resolve(*config, revision);
  if (!node) return node.error();
  MutexLock lock(mu_);
  AUTOLAND_TRY(schedule(*config, *node));
  AUTOLAND_TRY_ASSIGN(
      auto s,
      db_.prepare(
          "SELECT id, name, state, result, started, finished FROM runs WHERE branch = ? AND revision = ? ORDER BY id"));
  s.bind(1, branch).bind(2, *node);
  std::vector<CiJob> out;
  while (true) {
    AUTOLAND_TRY_ASSIGN(auto row, s.step());
    if (!row) break;
    CiJob j;
    j.id = std::to_string(s.column_int(0));
    j.name = s.column_text(1);
    std::string state = s.column_text(2);
    j.state = state == "completed" ? JobState::completed : state == "running" ? JobState::running : JobState::pending;
    auto result = parse_job_result(s.column_text(3));
    j.result = result ? *result : JobResult::exception;
    if (j.state == JobState::running) j.result = JobResult::running;
    j.started = s.column_int(4);
    j.finished = s.column_int(5);
    j.log_url = "file://" + (fs::path(options_.state_dir) / "logs" / (j.id + ".log")).string();
    j.url = j.log_url;
    out.push_back(std::move(j));
  }
  return out;
}

bool LocalCi::is_scheduled(const std::string& branch, const std::string& node) {
  MutexLock lock(mu_);
  auto s = db_.prepare("SELECT 1 FROM scheduled WHERE branch = ? AND revision = ?");
  if (!s) return false;
  s->bind(1, branch).bind(2, node);
  auto row = s->step();
  return row && *row;
}

Result<std::string> LocalCi::retrigger(const std::string& branch, const std::string& given_revision,
                                       const std::string& job_id) {
  auto id = util::parse_uint(job_id);
  if (!id) return invalid_input("'" + job_id + "' is not a local CI run id");
  const LocalBranchCi* config = branch_config(branch);
  if (!config) return not_found("the local CI does not watch branch '" + branch + "'");
  // As jobs() does: a short revision names the same runs.
  AUTOLAND_TRY_ASSIGN(auto node, resolve(*config, given_revision));
  const std::string& revision = node;
  MutexLock lock(mu_);
  AUTOLAND_TRY_ASSIGN(auto s, db_.prepare("SELECT name FROM runs WHERE id = ? AND branch = ? AND revision = ?"));
  s.bind(1, static_cast<int64_t>(*id)).bind(2, branch).bind(3, revision);
  AUTOLAND_TRY_ASSIGN(auto row, s.step());
  if (!row) return not_found("no run " + job_id + " of " + branch + " " + revision);
  std::string name = s.column_text(0);
  AUTOLAND_TRY_ASSIGN(auto add, db_.prepare("INSERT INTO runs (branch, revision, name, created) VALUES (?, ?, ?, ?)"));
  add.bind(1, branch).bind(2, revision).bind(3, name).bind(4, clock_.now());
  AUTOLAND_TRY(add.run());
  std::string new_id = std::to_string(db_.last_insert_rowid());
  changed_.notify_all();
  LOG_INFO("ci", "retriggered " + name + " on " + branch + " " + revision.substr(0, 12) + " as run " + new_id);
  return new_id;
}

Result<std::string> LocalCi::run_job(const std::string& branch, const std::string& given_revision,
                                     const std::string& job_name) {
  const LocalBranchCi* config = branch_config(branch);
  if (!config) return not_found("the local CI does not watch branch '" + branch + "'");
  const bool known =
      std::any_of(config->jobs.begin(), config->jobs.end(), [&](const LocalJobSpec& j) { return j.name == job_name; });
  if (!known) return not_found("the local CI has no job '" + util::printable(job_name, 60) + "' on " + branch);
  AUTOLAND_TRY_ASSIGN(auto revision, resolve(*config, given_revision));
  MutexLock lock(mu_);
  AUTOLAND_TRY_ASSIGN(auto add, db_.prepare("INSERT INTO runs (branch, revision, name, created) VALUES (?, ?, ?, ?)"));
  add.bind(1, branch).bind(2, revision).bind(3, job_name).bind(4, clock_.now());
  AUTOLAND_TRY(add.run());
  std::string new_id = std::to_string(db_.last_insert_rowid());
  changed_.notify_all();
  LOG_INFO("ci", "running " + job_name + " on " + branch + " " + revision.substr(0, 12) + " as run " + new_id);
  return new_id;
}

Result<CiPushPage> LocalCi::pushes_since(const std::string& branch, const std::string& cursor) {
  const LocalBranchCi* config = branch_config(branch);
  if (!config) return not_found("the local CI does not watch branch '" + branch + "'");
  if (config->vcs != Vcs::hg) return invalid_input("the local CI lists pushes of hg repositories only");
  AUTOLAND_TRY_ASSIGN(auto tip, run_program(program({"hg", "log", "-R", config->repo, "-r", "tip", "-T", "{rev}"})));
  if (tip.exit_code != 0) return transient("cannot read " + config->repo + ": " + std::string(util::trim(tip.err)));
  auto tip_rev = util::parse_uint(util::trim(tip.out));
  if (!tip_rev) return transient("cannot read the tip of " + config->repo);
  CiPushPage page;
  if (cursor.empty()) {
    page.next_cursor = std::to_string(*tip_rev);
    return page;
  }
  auto after = util::parse_uint(cursor);
  if (!after) return invalid_input("'" + cursor + "' is not a local CI cursor");
  page.next_cursor = cursor;
  if (*after == *tip_rev) return page;
  if (*after > *tip_rev) {
    // The repository was stripped or made anew below the cursor: go on from
    // its tip, or no push would be seen until it grows past the old cursor.
    page.next_cursor = std::to_string(*tip_rev);
    return page;
  }
  // The changesets after the cursor, a bounded page at a time. A push is
  // known by its tip: a head, or a changeset carrying try syntax (a try push
  // built on another one is no head any more, but its tip says `try:`). Two
  // trunk pushes between looks count as one, the way CI coalesces them.
  // rev(N) takes N as a number: a bare number past the tip would be read as
  // a hash prefix.
  uint64_t last = std::min<uint64_t>(*tip_rev, *after + kMaxCommitsPerPushPage);
  AUTOLAND_TRY_ASSIGN(
      auto listed, run_program(program(
                       {"hg", "log", "-R", config->repo, "-r",
                        "rev(" + std::to_string(*after + 1) + "):rev(" + std::to_string(last) + ")", "-T",
                        "{rev}\\0{node}\\0{author}\\0{date|hgdate}\\0{ifeq(children, '', 'head', '')}\\0{desc}\\0"})));
  if (listed.exit_code != 0) {
    return transient("cannot read " + config->repo + ": " + std::string(util::trim(listed.err)));
  }
  std::vector<std::string_view> f = util::split(listed.out, '\0');
  for (size_t i = 0; i + 5 < f.size(); i += 6) {
    bool head = f[i + 4] == "head";
    if (!head && !find_try_syntax(f[i + 5])) continue;
    CiPush push;
    push.revision = std::string(f[i + 1]);
    push.author = std::string(f[i + 2]);
    push.time = static_cast<UnixTime>(util::parse_uint(f[i + 3].substr(0, f[i + 3].find(' '))).value_or(0));
    push.message = std::string(f[i + 5]);
    page.pushes.push_back(std::move(push));
  }
  page.next_cursor = std::to_string(last);
  MutexLock lock(mu_);
  for (const CiPush& p : page.pushes) AUTOLAND_TRY(schedule(*config, p.revision));
  return page;
}

std::optional<LocalCi::Claimed> LocalCi::claim() {
  auto s = db_.prepare("SELECT id, branch, revision, name FROM runs WHERE state = 'pending' ORDER BY id LIMIT 1");
  if (!s) return std::nullopt;
  auto row = s->step();
  if (!row || !*row) return std::nullopt;
  Claimed c{s->column_int(0), s->column_text(1), s->column_text(2), s->column_text(3)};
  auto take = db_.prepare("UPDATE runs SET state = 'running', started = ? WHERE id = ? AND state = 'pending'");
  if (!take) return std::nullopt;
  take->bind(1, clock_.now()).bind(2, c.id);
  if (!take->run().ok() || db_.changes() != 1) return std::nullopt;
  return c;
}

void LocalCi::worker() {
  mu_.lock();
  while (!stopping_) {
    record_finished();
    std::optional<Claimed> job = claim();
    if (!job) {
      changed_.wait_for(mu_, std::chrono::milliseconds(500));
      continue;
    }
    ++running_;
    mu_.unlock();
    run_job(*job);
    mu_.lock();
    --running_;
    changed_.notify_all();
  }
  mu_.unlock();
}

void LocalCi::run_job(const Claimed& job) {
  const LocalBranchCi* config = branch_config(job.branch);
  const LocalJobSpec* spec = nullptr;
  if (config) {
    for (const LocalJobSpec& j : config->jobs) {
      if (j.name == job.name) spec = &j;
    }
  }
  if (!spec) return finish(job.id, JobResult::exception, "job " + job.name + " is no longer configured\n");
  fs::path dir = fs::path(options_.state_dir) / "work" / std::to_string(job.id);
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  // A fresh export of the revision: nothing from an earlier run leaks in.
  Result<ProgramResult> exported = internal_error("no export");
  if (config->vcs == Vcs::hg) {
    exported = run_program(
        program({"hg", "archive", "-R", config->repo, "-r", job.revision, "--type", "files", dir.string()}));
  } else {
    auto tar = run_program(program({"git", "--git-dir", config->repo, "archive", "--format=tar", job.revision}));
    exported = tar && tar->exit_code == 0 ? run_program(program({"tar", "-x", "-C", dir.string()}), tar->out) : tar;
  }
  if (!exported || exported->exit_code != 0) {
    std::string why = exported ? exported->err : exported.error().message;
    fs::remove_all(dir, ec);
    return finish(job.id, JobResult::exception, "cannot export " + job.revision + ": " + why + "\n");
  }
  std::string log = "$ " + util::join(spec->argv, " ") + "\n";
  SpawnOptions command = program(spec->argv, dir.string());
  command.own_process_group = true;  // a timeout or the job's end leaves none of its processes behind
  command.on_started = [this, id = job.id](pid_t group) { record_group(id, group); };
  auto r = run_program(command, {}, std::chrono::seconds(spec->timeout_seconds));
  JobResult result;
  if (!r) {
    // run_program kills a child that outlives its timeout.
    log += r.error().message + "\n";
    log += "timed out after " + std::to_string(spec->timeout_seconds) + " s\n";
    result = JobResult::exception;
  } else {
    log += r->out + r->err + "exit " + std::to_string(r->exit_code) + "\n";
    if (r->exit_code == 0) {
      result = JobResult::success;
    } else if (r->exit_code == 127) {
      log += "the command could not be started\n";
      result = JobResult::exception;
    } else if (r->exit_code > 128) {
      // Killed by a signal (137: SIGKILL, the OOM killer or a person): the
      // machine's failure, not the patch's. Rerun within the budget like any
      // other exception, never busted.
      log += "killed by signal " + std::to_string(r->exit_code - 128) + ": an infrastructure failure\n";
      result = JobResult::exception;
    } else {
      result = spec->build ? JobResult::busted : JobResult::testfailed;
    }
  }
  fs::remove_all(dir, ec);
  finish(job.id, result, log);
}

void LocalCi::record_group(int64_t id, pid_t group) {
  MutexLock lock(mu_);
  auto s = db_.prepare("UPDATE runs SET pgid = ?, pgid_start = ?, pgid_boot = ? WHERE id = ?");
  if (!s) return;
  s->bind(1, static_cast<int64_t>(group)).bind(2, process_start(group).value_or("")).bind(3, boot_id()).bind(4, id);
  if (Status done = s->run(); !done.ok()) {
    // Only a restart after a crash needs it, to kill what is left of the job.
    LOG_WARN("ci", "cannot record the process group of run " + std::to_string(id) + ": " + done.error().message);
  }
}

void LocalCi::finish(int64_t id, JobResult result, const std::string& log) {
  std::ofstream(fs::path(options_.state_dir) / "logs" / (std::to_string(id) + ".log"), std::ios::trunc) << log;
  MutexLock lock(mu_);
  unrecorded_.push_back({id, result, clock_.now()});
  record_finished();
}

void LocalCi::record_finished() {
  // A write that fails (disk full, a lock held too long)
  // stays in unrecorded_ and is tried again by every worker's next turn.
  while (!unrecorded_.empty()) {
    const Finished& f = unrecorded_.front();
    auto s = db_.prepare("UPDATE runs SET state = 'completed', result = ?, finished = ?, pgid = 0 WHERE id = ?");
    Status done = s ? (s->bind(1, to_string(f.result)).bind(2, f.time).bind(3, f.id), s->run()) : Status(s.error());
    if (!done.ok()) {
      LOG_ERROR("ci",
                "cannot record the end of run " + std::to_string(f.id) + " (will try again): " + done.error().message);
      return;
    }
    unrecorded_.erase(unrecorded_.begin());
    changed_.notify_all();
  }
}

Result<int> LocalCi::pending_jobs(const std::string& branch) {
  MutexLock lock(mu_);
  AUTOLAND_TRY_ASSIGN(auto s, db_.prepare("SELECT COUNT(*) FROM runs WHERE branch = ? AND state = 'pending'"));
  s.bind(1, branch);
  AUTOLAND_TRY_ASSIGN(bool row, s.step());
  return row ? static_cast<int>(s.column_int(0)) : 0;
}

bool LocalCi::idle() {
  auto s = db_.prepare("SELECT COUNT(*) FROM runs WHERE state != 'completed'");
  if (!s) return false;
  auto row = s->step();
  return row && *row && s->column_int(0) == 0 && running_ == 0;
}

bool LocalCi::wait_idle(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  MutexLock lock(mu_);
  while (!idle()) {
    if (changed_.wait_until(mu_, deadline) == std::cv_status::timeout) return idle();
  }
  return true;
}

std::string LocalCi::log_of(const std::string& job_id) {
  std::ifstream in(fs::path(options_.state_dir) / "logs" / (job_id + ".log"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace autoland
