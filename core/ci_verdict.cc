#include "core/ci_verdict.h"

#include <algorithm>
#include <array>

#include "util/strings.h"

namespace autoland {
namespace {

constexpr std::array<std::pair<JobResult, std::string_view>, 10> kNames = {{
    {JobResult::success, "success"},
    {JobResult::warnings, "warnings"},
    {JobResult::testfailed, "testfailed"},
    {JobResult::busted, "busted"},
    {JobResult::failure, "failure"},
    {JobResult::exception, "exception"},
    {JobResult::retry, "retry"},
    {JobResult::usercancel, "usercancel"},
    {JobResult::running, "running"},
    {JobResult::pending, "pending"},
}};

bool is_orange(JobResult r) {
  return r == JobResult::testfailed || r == JobResult::warnings || r == JobResult::exception;
}
bool is_red(JobResult r) { return r == JobResult::busted || r == JobResult::failure; }
bool is_unfinished(JobResult r) { return r == JobResult::running || r == JobResult::pending; }

struct JobHistory {
  std::vector<const JobRun*> runs;  // without superseded "retry" runs
  bool superseded_only = false;
};

}  // namespace

std::string_view to_string(JobResult r) {
  for (const auto& [v, n] : kNames) {
    if (v == r) return n;
  }
  return "?";
}

Result<JobResult> parse_job_result(std::string_view text) {
  for (const auto& [v, n] : kNames) {
    if (util::iequals(n, text)) return v;
  }
  return invalid_input("unknown job result '" + util::printable(text) + "'");
}

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::pending: return "pending";
    case Verdict::green: return "green";
    case Verdict::orange: return "orange";
    case Verdict::red: return "red";
    case Verdict::cancelled: return "cancelled";
    case Verdict::infrastructure: return "infrastructure";
  }
  return "?";
}

VerdictReport judge(const std::vector<JobRun>& runs, int max_retriggers) {
  // Group by job name, keeping first-seen order for stable reports.
  std::vector<std::string> order;
  std::map<std::string, JobHistory> jobs;
  for (const JobRun& run : runs) {
    auto [it, inserted] = jobs.try_emplace(run.name);
    if (inserted) order.push_back(run.name);
    if (run.result != JobResult::retry) it->second.runs.push_back(&run);
  }

  VerdictReport report;
  report.total_jobs = static_cast<int>(order.size());
  bool any_unfinished = false, any_red = false, any_orange = false, any_cancel = false, any_infrastructure = false;
  for (const std::string& name : order) {
    const JobHistory& h = jobs[name];
    if (h.runs.empty()) {  // only superseded runs so far: the CI's rerun is coming
      any_unfinished = true;
      ++report.counts[JobResult::pending];
      continue;
    }
    const JobRun& latest = *h.runs.back();
    ++report.counts[latest.result];
    int reruns = static_cast<int>(h.runs.size()) - 1;
    if (is_unfinished(latest.result)) {
      any_unfinished = true;
    } else if (latest.result == JobResult::success) {
      bool failed_before =
          std::any_of(h.runs.begin(), h.runs.end() - 1, [](const JobRun* r) { return is_orange(r->result); });
      if (failed_before) report.intermittent.push_back(name);
    } else if (is_red(latest.result)) {
      any_red = true;
      report.failures.push_back(latest);
    } else if (is_orange(latest.result)) {
      report.failures.push_back(latest);
      if (reruns < max_retriggers) {
        any_orange = true;
        report.retrigger.push_back(name);
      } else if (std::all_of(h.runs.begin(), h.runs.end(),
                             [](const JobRun* r) { return r->result == JobResult::exception; })) {
        any_infrastructure = true;  // the CI's failure every time, never the patch's
        report.infrastructure.push_back(name);
      } else {
        any_red = true;
      }
    } else if (latest.result == JobResult::usercancel) {
      any_cancel = true;
    }
  }

  if (order.empty() || any_unfinished) {
    report.verdict = Verdict::pending;
    report.retrigger.clear();  // decide once everything has finished
  } else if (any_red) {
    report.verdict = Verdict::red;
    report.retrigger.clear();  // no point rerunning when something is broken for good
  } else if (any_orange) {
    report.verdict = Verdict::orange;
  } else if (any_infrastructure) {
    report.verdict = Verdict::infrastructure;
  } else if (any_cancel) {
    report.verdict = Verdict::cancelled;
  } else {
    report.verdict = Verdict::green;
  }
  return report;
}

}  // namespace autoland
