// From CI job results to a verdict: pending, green, orange (retriggerable
// failures, reruns wanted), red, or cancelled; with counts per result, the
// jobs to retrigger, and the jobs that turned out intermittent.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace autoland {

// The core's vocabulary; CI adapters map their own codes onto it.
enum class JobResult {
  success,
  warnings,    // buildbot 1; same meaning as testfailed
  testfailed,  // tests failed: orange, worth a retrigger
  busted,      // the build broke: red
  failure,     // buildbot 2; same meaning as busted
  exception,   // infrastructure trouble: worth a retrigger
  retry,       // the CI already reran it; this run is superseded
  usercancel,
  running,
  pending,
};

std::string_view to_string(JobResult r);
Result<JobResult> parse_job_result(std::string_view text);

// infrastructure: some job ended in an infrastructure exception (killed,
// interrupted) on every run its reruns allowed, and nothing failed for a
// reason of the patch's own: no verdict on the patch is possible.
enum class Verdict { pending, green, orange, red, cancelled, infrastructure };
std::string_view to_string(Verdict v);

struct JobRun {
  std::string id;    // CI's id of this run
  std::string name;  // the job; reruns share it
  JobResult result = JobResult::pending;
  std::string url;
  std::string log_url;
};

struct VerdictReport {
  Verdict verdict = Verdict::pending;
  // Latest run of each job, counted by result.
  std::map<JobResult, int> counts;
  // Orange jobs to rerun now (names).
  std::vector<std::string> retrigger;
  // Jobs that failed and then passed on a rerun.
  std::vector<std::string> intermittent;
  // Latest runs that failed for good (red) or are still orange.
  std::vector<JobRun> failures;
  // Jobs whose every allowed run ended in an infrastructure exception.
  std::vector<std::string> infrastructure;
  int total_jobs = 0;
};

// `runs` in the order CI started them (reruns after the runs they repeat).
// A job may be rerun up to `max_retriggers` times; once its reruns are used
// up and it still fails, it counts as red, unless its failure is the CI's
// own (an exception): then the verdict is infrastructure, never red.
VerdictReport judge(const std::vector<JobRun>& runs, int max_retriggers);

}  // namespace autoland
