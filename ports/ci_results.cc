#include "ports/ci_results.h"

namespace autoland {

std::string_view to_string(JobState s) {
  switch (s) {
    case JobState::pending: return "pending";
    case JobState::running: return "running";
    case JobState::completed: return "completed";
  }
  return "pending";
}

std::vector<JobRun> to_job_runs(const std::vector<CiJob>& jobs) {
  std::vector<JobRun> runs;
  runs.reserve(jobs.size());
  for (const CiJob& j : jobs) runs.push_back({j.id, j.name, j.result, j.url, j.log_url});
  return runs;
}

}  // namespace autoland
