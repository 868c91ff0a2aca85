// CiResults: what CI did with a revision autoland pushed, in the core's
// vocabulary (core/ci_verdict.h), and the means to rerun a job.
// Implementations: adapters/ci/local (runs configured commands itself; the
// embedded default and the sandbox's CI); buildbot and Treeherder follow.
//
// Errors: not_found when the CI has never heard of the revision (yet);
// transient when the CI cannot be reached.
#pragma once

#include <string>
#include <vector>

#include "core/ci_verdict.h"
#include "core/model.h"
#include "util/result.h"

namespace autoland {

enum class JobState { pending, running, completed };
std::string_view to_string(JobState s);

struct CiJob {
  std::string id;                         // this run; a retrigger is another run with the same name
  std::string name;                       // the job, e.g. "build-linux64", "test-xpcshell"
  JobResult result = JobResult::pending;  // pending/running until completed
  JobState state = JobState::pending;
  std::string url;
  std::string log_url;
  UnixTime started = 0;   // 0 until it starts
  UnixTime finished = 0;  // 0 until it completes
};

// A push CI saw on a branch (for --post-to-bug on try pushes autoland did not make).
struct CiPush {
  std::string revision;
  std::string author;
  std::string message;  // the tip's message, where try syntax lives
  UnixTime time = 0;
};

struct CiPushPage {
  std::vector<CiPush> pushes;  // oldest first
  std::string next_cursor;     // give it to the next call
};

class CiResults {
 public:
  virtual ~CiResults() = default;
  // Every run of every job for the revision, in the order they were started.
  virtual Result<std::vector<CiJob>> jobs(const std::string& branch, const std::string& revision) = 0;
  // Runs the job again (a new run with the same name); returns the new run's id.
  virtual Result<std::string> retrigger(const std::string& branch, const std::string& revision,
                                        const std::string& job_id) = 0;
  // Pushes on `branch` after `cursor` ("" = from now on: an empty page and a cursor).
  virtual Result<CiPushPage> pushes_since(const std::string& branch, const std::string& cursor) = 0;
  // Runs job `job_name` on `revision` (one the CI skipped, a push's parent)
  // and returns the new run's id: the culprit finder tests what it needs.
  // invalid_input when the CI cannot run a job of its own accord.
  virtual Result<std::string> run_job(const std::string& branch, const std::string& revision,
                                      const std::string& job_name) {
    return invalid_input("this CI cannot be asked to run " + job_name + " on " + revision + " of " + branch);
  }
  // Jobs waiting to start on `branch` now (autoland's try budget holds its
  // own try pushes while there are many). invalid_input when the CI
  // cannot say.
  virtual Result<int> pending_jobs(const std::string& branch) {
    return invalid_input("this CI cannot say how many jobs wait on " + branch);
  }
  // True when a push's jobs can appear after others finished (Treeherder's
  // decision task creates them; buildbot's triggered and dependent
  // schedulers start theirs later): a green verdict must then hold over two
  // looks before it counts.
  virtual bool jobs_appear_late() const { return false; }
};

// The runs as the verdict wants them.
std::vector<JobRun> to_job_runs(const std::vector<CiJob>& jobs);

}  // namespace autoland
