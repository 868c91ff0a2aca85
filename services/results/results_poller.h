// The SchedulerDBPoller: watches every patchset whose push is being tested,
// asks its branch's CI about the pushed revision, and lets the core verdict
// decide: still pending → wait (until the deadline → timed_out); green → the
// next lifecycle step; orange → retrigger the failing jobs (up to N reruns
// each) and watch again; red → the failure path; all cancelled → cancelled.
//
// Landings on a pipelined or batched trunk are judged together, per branch,
// by the culprit finder (services/results/trunk_window.h), never one by one.
//
// Incremental and bounded: each pass asks only about revisions in testing or
// retrying. Crash-safe: the lifecycle step is written before the retriggers
// are sent; after a crash the next pass sees either the reruns (pending, so it
// waits) or the same orange (so it steps and retriggers again), never a job
// rerun twice in one round.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "ports/ci_results.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "ports/vcs.h"
#include "services/claims.h"
#include "services/results/trunk_window.h"
#include "util/result.h"

namespace autoland {

// Reruns and deadlines are the pushed-to branch's (max_retriggers,
// results_timeout_minutes).
struct ResultsOptions {
  std::string actor = "results";
  // Patchsets looked at per pass; with more in flight, the next pass goes on
  // where this one stopped, so every one is looked at in turn.
  size_t max_per_pass = 200;
  // Set when other pollers share the store (null: this one is alone): each
  // patchset is looked at by the poller that claimed it. REQUIRES: outlives the poller.
  Claims* claims = nullptr;
  // Pipelined and batched trunks read what pushes by others sit on through
  // it (null: only what the store recorded).
  std::function<VersionControl*(const Branch&)> vcs_for;
};

struct ResultsPassStats {
  int watched = 0;          // patchsets looked at
  int waiting = 0;          // still pending
  int stepped = 0;          // moved on (green, red, cancelled, timed out, orange)
  int retriggered = 0;      // job reruns asked for
  int errors = 0;           // CI unreachable and the like (tried again next pass)
  WindowPassStats windows;  // the pipelined and batched trunks (services/results/trunk_window.h)
};

class ResultsPoller {
 public:
  // `ci_for` maps a branch's CI source name to its CiResults (null: unknown).
  using CiLookup = std::function<CiResults*(const std::string& ci_source)>;
  ResultsPoller(Store& store, const Clock& clock, CiLookup ci_for, ResultsOptions options = {})
      : store_(store),
        clock_(clock),
        ci_for_(ci_for),
        options_(std::move(options)),
        windows_(store, clock, std::move(ci_for), options_.vcs_for, options_.actor) {}

  Result<ResultsPassStats> pass();

 private:
  Status watch(const PatchSet& ps, ResultsPassStats& stats);
  Store& store_;
  const Clock& clock_;
  CiLookup ci_for_;
  ResultsOptions options_;
  PatchSetId resume_after_ = 0;  // where the next pass starts
  // For sources whose jobs appear late: the job runs seen green on the last
  // look, by patchset. A restart forgets them (one more look, no harm).
  std::map<PatchSetId, std::string> green_once_;
  TrunkWindowJudge windows_;
};

}  // namespace autoland
