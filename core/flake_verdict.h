// Whether a failing job is the patch's fault, from evidence rather than
// blind reruns: the job is run again on the pushed revision and on its base
// (the revision it was pushed on).
//
//   fails on the base too, never passes there  -> already failing without the patch
//   fails and passes on the base               -> intermittent (on the base as well)
//   passes on any run with the patch           -> intermittent
//   fails on every run with it, passes on base -> caused by the patch, once it
//                                                 failed often enough that an
//                                                 intermittent of this job's
//                                                 known rate would be that
//                                                 unlucky less than `doubt`
//
// How flaky a job is comes from the branch's history (the share of its runs
// that failed on revisions where it was not broken), so a known-flaky job
// needs more failures before a patch is blamed, and a steady one fewer.
// Budgets bound the reruns; when they run out, a job that failed on every
// run counts against the patch, as it always did, and says how thin the
// evidence was.
#pragma once

#include <string>
#include <vector>

#include "core/ci_verdict.h"
#include "core/culprit_finder.h"

namespace autoland {

struct FlakeEvidence {
  std::string job;
  std::vector<JobResult> on_patch;  // its runs on the pushed revision, oldest first
  std::vector<JobResult> on_base;   // its runs on the base revision
  std::string base_revision;
  bool base_can_run = true;  // the CI can run jobs on the base revision
  // Share of this job's runs that fail where it is not broken (0..1).
  double intermittent_rate = 0.05;
};

struct FlakePolicy {
  int max_runs_on_patch = 5;  // first run included
  int max_runs_on_base = 2;
  // Accepted chance of blaming a patch for an intermittent.
  double doubt = 0.001;
  // Reruns the branch may still ask for now (its budget for the hour).
  int branch_reruns_left = 1000;
};

enum class FlakeClass {
  pending,          // a run is not finished
  rerun,            // more runs are needed: more_on_patch / more_on_base
  passed,           // no failure
  intermittent,     // failed and passed on the same revision
  already_failing,  // fails on the base too
  caused_by_patch,  // red
  infrastructure,   // only CI trouble (exceptions) with every run allowed
};
std::string_view to_string(FlakeClass c);

struct FlakeVerdict {
  FlakeClass verdict = FlakeClass::pending;
  int more_on_patch = 0;
  int more_on_base = 0;
  std::string evidence;  // one sentence for the bug, with the counts
};

// The failures needed to blame the patch for a job failing at `rate` where
// it is not broken: the least n >= 2 with rate^n < doubt.
int failures_needed(double rate, double doubt);

FlakeVerdict classify_failure(const FlakeEvidence& evidence, const FlakePolicy& policy);

// One job's runs on one revision of a trunk window, for the culprit finder:
// passed when any run passed (a failure beside it was intermittent), failed
// once it failed `failures_needed` times and never passed, else pending,
// with `rerun` set when another run is wanted now (nothing unfinished, runs
// left within `max_runs`). Runs that only hit CI trouble stay pending.
struct RevisionJob {
  JobOutcome outcome = JobOutcome::pending;
  bool rerun = false;
};
RevisionJob judge_runs_on_revision(const std::vector<JobResult>& runs, int failures_needed, int max_runs);

}  // namespace autoland
