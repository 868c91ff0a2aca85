// The local CI runner: the embedded default and the sandbox's CI. For each
// revision of a watched branch it runs the branch's configured jobs (named
// argv commands with a timeout, e.g. {"make", "check"}) in a fresh export of
// that revision, on a pool of worker threads, and keeps runs, results and
// logs in its own SQLite file, so that a restart neither loses nor repeats a
// job: a run that was in progress when the process died runs again from the
// start; a finished one never does.
//
// Jobs are scheduled when CI first hears of a revision: a push found by
// pushes_since() or scan(), or the pusher's revision asked for by jobs().
// Results: exit 0 success; a failing build job busted (red); a failing test
// job testfailed (orange, worth a retrigger); a job past its timeout, or one
// that could not start, exception.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "adapters/store/sqlite/sqlite_db.h"
#include "ports/ci_results.h"
#include "ports/clock.h"
#include "util/file_lock.h"
#include "util/mutex.h"

namespace autoland {

struct LocalJobSpec {
  std::string name;
  std::vector<std::string> argv;  // run in the export of the revision, never through a shell by autoland
  int timeout_seconds = 600;
  bool build = false;  // a failing build is red; a failing test is orange
};

struct LocalBranchCi {
  std::string branch;
  std::string repo;  // a local path to the branch's repository
  Vcs vcs = Vcs::hg;
  std::vector<LocalJobSpec> jobs;
};

struct LocalCiOptions {
  std::string state_dir;  // ci.db, logs/, work/
  int workers = 2;
  std::vector<LocalBranchCi> branches;
  int busy_timeout_ms = 10'000;  // how long a write waits for another connection's lock
  // When another process runs the jobs of state_dir already: attach to it
  // (read results, schedule and retrigger runs, which that process runs)
  // instead of failing. Workers on one host sharing one local CI do this;
  // whichever opened it first runs the jobs.
  bool may_attach = false;
  // Attach even when nobody runs the jobs yet (a process that only reads:
  // the API's worker), so that it never becomes the one that should run them.
  bool attach_only = false;
};

class LocalCi final : public CiResults {
 public:
  // Opens the state and puts runs that were in progress back in the queue
  // (as the owner: the one process that runs the jobs); or, with
  // may_attach and an owner running already, attaches without touching runs.
  static Result<std::unique_ptr<LocalCi>> open(LocalCiOptions options, const Clock& clock);
  // True when this process runs the jobs (start() starts its workers).
  bool runs_jobs() const { return owner_.has_value(); }
  // Stops the workers once the jobs in progress end (each within its
  // timeout); a process killed instead reruns them after its restart.
  ~LocalCi() override;

  Result<std::vector<CiJob>> jobs(const std::string& branch, const std::string& revision) override;
  Result<std::string> retrigger(const std::string& branch, const std::string& revision,
                                const std::string& job_id) override;
  Result<CiPushPage> pushes_since(const std::string& branch, const std::string& cursor) override;
  Result<int> pending_jobs(const std::string& branch) override;
  Result<std::string> run_job(const std::string& branch, const std::string& revision,
                              const std::string& job_name) override;

  // Starts the worker threads (jobs queue up but do not run until then).
  void start();
  // Blocks until nothing is pending or running, or `limit` passed; false on the latter.
  bool wait_idle(std::chrono::milliseconds limit);
  // The text of a run's log ("" when none yet).
  std::string log_of(const std::string& job_id);

 private:
  LocalCi(LocalCiOptions options, const Clock& clock, sqlite::Database db)
      : options_(std::move(options)), clock_(clock), db_(std::move(db)) {}
  const LocalBranchCi* branch_config(const std::string& branch) const;
  Status schedule(const LocalBranchCi& branch, const std::string& revision) REQUIRES(mu_);
  Result<std::string> resolve(const LocalBranchCi& branch, const std::string& revision);
  void worker() EXCLUDES(mu_);
  struct Claimed {
    int64_t id = 0;
    std::string branch, revision, name;
  };
  std::optional<Claimed> claim() REQUIRES(mu_);
  void run_job(const Claimed& job);
  void finish(int64_t id, JobResult result, const std::string& log);
  void record_finished() REQUIRES(mu_);
  void record_group(int64_t id, pid_t group);
  bool is_scheduled(const std::string& branch, const std::string& node);
  bool idle() REQUIRES(mu_);  // nothing pending or running
  struct Finished {
    int64_t id = 0;
    JobResult result = JobResult::exception;
    UnixTime time = 0;
  };

  LocalCiOptions options_;
  const Clock& clock_;
  Mutex mu_;
  sqlite::Database db_ GUARDED_BY(mu_);
  std::condition_variable_any changed_;
  bool stopping_ GUARDED_BY(mu_) = false;
  int running_ GUARDED_BY(mu_) = 0;
  std::vector<Finished> unrecorded_ GUARDED_BY(mu_);  // ended runs whose end is not in the database yet
  std::vector<std::thread> threads_ GUARDED_BY(mu_);
  std::optional<util::FileLock> owner_;  // this process owns state_dir
};

}  // namespace autoland
