// Judges every landing in flight on a pipelined or batched trunk together
// (core/culprit_finder.h), so that only the landing that broke a job is
// backed out and the ones pushed on top of it stay.
//
// The window is built from the store, never from memory: the landings in
// flight (testing, retrying, backing out), chained back through the
// parents they were pushed on (landing_parent, backout_parent) to the last
// landing found green or to a revision autoland did not push (the base,
// whose results the CI is asked for); backouts pushed since the oldest of
// them; pushes by others in between, found through the VCS. Each push's
// jobs come from the CI, judged per revision (core/flake_verdict.h): a
// failure counts once it repeated often enough, a pass beside it makes it
// intermittent.
//
// What it does with the finder's answer: land → results_green with the
// reason; back out → results_red with the reason (the queue pushes the
// backout); tests → run_job on the revision named (the CI may refuse: then
// it is logged, and the landings wait for a sheriff or their deadline);
// wait → nothing until the branch's results deadline, then timed out as
// on a serial branch. Tests that need a revision no push holds (a probe)
// are not built yet: logged once, the landings wait.
//
// Crash-safe as the poller is: each step is one store transaction that
// checks the patchset's version, and a rerun the CI already started shows
// as pending on the next look, so it is not asked for twice.
#pragma once

#include <functional>
#include <set>
#include <string>

#include "core/culprit_finder.h"
#include "ports/ci_results.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "ports/vcs.h"
#include "util/result.h"

namespace autoland {

struct WindowPassStats {
  int landings = 0;  // landings in flight looked at
  int landed = 0;
  int backed_out = 0;
  int waiting = 0;
  int for_sheriff = 0;
  int tests = 0;  // jobs run or rerun for evidence
  int errors = 0;
};

class TrunkWindowJudge {
 public:
  using CiLookup = std::function<CiResults*(const std::string& ci_source)>;
  using VcsLookup = std::function<VersionControl*(const Branch&)>;
  TrunkWindowJudge(Store& store, const Clock& clock, CiLookup ci_for, VcsLookup vcs_for, std::string actor)
      : store_(store),
        clock_(clock),
        ci_for_(std::move(ci_for)),
        vcs_for_(std::move(vcs_for)),
        actor_(std::move(actor)) {}

  // One look at `branch`'s window.
  Status judge(const Branch& branch, WindowPassStats& stats);

  // The window as it stands (for judge() and for tests).
  struct Built {
    TrunkWindow window;
    std::map<PatchSetId, PatchSet> in_flight;
    // Reruns wanted now: (revision, latest run id) of jobs whose failures
    // are still too few to count.
    std::vector<std::pair<std::string, std::string>> reruns;
  };
  Result<Built> build(const Branch& branch, CiResults& ci);

 private:
  Status act(const Branch& branch, CiResults& ci, Built& built, WindowPassStats& stats);

  Store& store_;
  const Clock& clock_;
  CiLookup ci_for_;
  VcsLookup vcs_for_;
  std::string actor_;
  std::set<std::string> told_;  // what was logged for a sheriff already (once per reason)
};

}  // namespace autoland
