#include "core/flake_verdict.h"

#include <algorithm>
#include <cmath>

namespace autoland {

std::string_view to_string(FlakeClass c) {
  switch (c) {
    case FlakeClass::pending: return "pending";
    case FlakeClass::rerun: return "rerun";
    case FlakeClass::passed: return "passed";
    case FlakeClass::intermittent: return "intermittent";
    case FlakeClass::already_failing: return "already_failing";
    case FlakeClass::caused_by_patch: return "caused_by_patch";
    case FlakeClass::infrastructure: return "infrastructure";
  }
  return "?";
}

int failures_needed(double rate, double doubt) {
  rate = std::clamp(rate, 0.0, 0.99);
  int n = 2;
  // Bounded: a job failing nearly always where it is not broken is not a
  // test anyone can land against; the run budget caps the reruns anyway.
  while (n < 20 && std::pow(rate, n) >= doubt) ++n;
  return n;
}

namespace {

struct Tally {
  int passed = 0;
  int failed = 0;
  int infrastructure = 0;
  bool unfinished = false;
  int finished() const { return passed + failed + infrastructure; }
};

Tally tally(const std::vector<JobResult>& runs) {
  Tally t;
  for (JobResult r : runs) {
    switch (r) {
      case JobResult::success: ++t.passed; break;
      case JobResult::warnings:
      case JobResult::testfailed:
      case JobResult::busted:
      case JobResult::failure: ++t.failed; break;
      case JobResult::exception: ++t.infrastructure; break;
      case JobResult::running:
      case JobResult::pending: t.unfinished = true; break;
      case JobResult::retry:  // superseded by the CI's own rerun
      case JobResult::usercancel: break;
    }
  }
  return t;
}

std::string runs(int n) { return std::to_string(n) + (n == 1 ? " run" : " runs"); }
std::string all_runs(int n) { return n == 1 ? "its only run" : "all " + runs(n); }

std::string short_rev(const std::string& revision) { return revision.substr(0, 12); }

}  // namespace

FlakeVerdict classify_failure(const FlakeEvidence& e, const FlakePolicy& policy) {
  FlakeVerdict v;
  const Tally patch = tally(e.on_patch), base = tally(e.on_base);
  const std::string base_name = e.base_revision.empty() ? "the base" : "the base " + short_rev(e.base_revision);
  if (patch.unfinished || base.unfinished || patch.finished() == 0) return v;  // pending

  if (patch.failed == 0 && patch.passed > 0) {
    v.verdict = FlakeClass::passed;
    v.evidence = e.job + " passed";
    return v;
  }
  int budget = std::max(0, policy.branch_reruns_left);
  const int patch_room = std::max(0, policy.max_runs_on_patch - patch.finished());
  if (patch.failed == 0) {  // only the CI's own trouble so far
    if (patch_room > 0 && budget > 0) {
      v.verdict = FlakeClass::rerun;
      v.more_on_patch = 1;
      v.evidence = e.job + " hit CI trouble on " + runs(patch.infrastructure) + "; running it again";
    } else {
      v.verdict = FlakeClass::infrastructure;
      v.evidence = e.job + " hit CI trouble on every one of its " + runs(patch.infrastructure);
    }
    return v;
  }
  if (patch.passed > 0) {
    v.verdict = FlakeClass::intermittent;
    v.evidence = e.job + " is intermittent: it failed on " + std::to_string(patch.failed) + " of " +
                 runs(patch.passed + patch.failed) + " with this patch and passed on the others";
    return v;
  }
  if (base.failed > 0) {
    if (base.passed > 0) {
      v.verdict = FlakeClass::intermittent;
      v.evidence = e.job + " is intermittent: it failed on " + std::to_string(base.failed) + " of " +
                   runs(base.passed + base.failed) + " on " + base_name +
                   " without this patch, and passed on the others";
    } else {
      v.verdict = FlakeClass::already_failing;
      v.evidence = e.job + " was already failing without this patch: it failed on " + runs(base.failed) + " on " +
                   base_name + " too";
    }
    return v;
  }

  // Failing on every run with the patch, never without it (so far).
  const int needed = failures_needed(e.intermittent_rate, policy.doubt);
  const bool base_known_good = base.passed > 0;
  if (base_known_good && patch.failed >= needed) {
    v.verdict = FlakeClass::caused_by_patch;
    v.evidence = e.job + " failed on " + all_runs(patch.failed) + " with this patch and passed on " + base_name + " (" +
                 runs(base.passed) + ")";
    return v;
  }
  const int base_room = e.base_can_run ? std::max(0, policy.max_runs_on_base - base.finished()) : 0;
  if (!base_known_good && base_room > 0 && budget > 0) {
    v.more_on_base = 1;
    --budget;
  }
  v.more_on_patch = std::min({std::max(0, needed - patch.failed), patch_room, budget});
  if (v.more_on_base + v.more_on_patch > 0) {
    v.verdict = FlakeClass::rerun;
    v.evidence = e.job + " failed on " + runs(patch.failed) + " with this patch; running it " +
                 std::to_string(v.more_on_patch) + " more time(s) with it and " + std::to_string(v.more_on_base) +
                 " on " + base_name;
    return v;
  }
  // Out of runs or budget: as before, failing on every run counts against
  // the patch; the evidence says how much there was.
  v.verdict = FlakeClass::caused_by_patch;
  v.evidence = e.job + " failed on " + all_runs(patch.failed) + " with this patch; " +
               (base_known_good ? "it passed on " + base_name + " (" + runs(base.passed) + ")"
                                : std::string(e.base_can_run ? "the base could not be tested within the budget"
                                                             : "the CI cannot run it on the base")) +
               (patch.failed < needed ? "; fewer runs than wanted (" + std::to_string(needed) + ")" : "");
  return v;
}

RevisionJob judge_runs_on_revision(const std::vector<JobResult>& runs, int needed, int max_runs) {
  const Tally t = tally(runs);
  RevisionJob j;
  if (t.passed > 0) {
    j.outcome = JobOutcome::passed;
  } else if (t.unfinished || t.finished() == 0) {
    j.outcome = t.unfinished || !runs.empty() ? JobOutcome::pending : JobOutcome::not_run;
  } else if (t.failed >= needed) {
    j.outcome = JobOutcome::failed;
  } else {
    j.rerun = t.finished() < max_runs;
    // Out of runs with too few failures (CI trouble, mostly): the verdict
    // waits for a sheriff or the branch's deadline, never blames.
  }
  return j;
}

}  // namespace autoland
