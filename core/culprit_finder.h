// Which landing broke a trunk branch, decided from evidence only, so that
// several landings can be in flight at once (pipelined or batched) without
// an innocent one ever being backed out.
//
// The window is every push on the branch since the last revision on which
// every job passed (its base), in push order: autoland's landings, pushes
// by people (which autoland can never back out) and autoland's backouts.
// Each push's revision holds a content: every landing and outside push up
// to it that no earlier backout reverted. Probes are extra revisions made
// only to test a content (a try push of some of the window's landings on
// the base), where the CI can run them.
//
// The model, per job: a bad change makes the job fail in every content that
// holds it, and good changes never make it pass again (monotone). So a pass
// in content C proves every content inside C passes, and a failure in C
// proves every content holding C fails. Runs reaching the finder are
// already judged (core/flake_verdict.h): an intermittent arrives as passed.
//
// For each failing job the finder looks at the prefixes of the kept changes
// (kept: not backed out) and finds the first prefix that fails: the change
// that ends it is the job's culprit. A prefix nobody has tested is tested
// by retriggering the job on a revision that holds exactly that content (a
// push the CI skipped, a backout), or else by a probe, halving the range
// each time (log2 of the range, not one by one). Changes after a culprit
// are presumed innocent until the culprit is out and a content without it
// is tested: their own revisions hold the culprit and prove nothing about
// them. A second culprit for the same job is found the same way once the
// first is out.
//
// Evidence that breaks the model (a pass in a content holding one that
// failed) decides nothing: the changes it touches wait for a sheriff.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"

namespace autoland {

// One job's judged outcome on one revision.
enum class JobOutcome {
  pending,  // scheduled or running, or reruns still to come
  not_run,  // the CI skipped it here (coalescing) or never started it
  passed,
  failed,
};
std::string_view to_string(JobOutcome o);

enum class PushKind {
  landing,  // autoland's landing of `patchset`
  outside,  // somebody else's push: never backed out by autoland
  backout,  // autoland's backout of the landing of `patchset`
};

struct WindowPush {
  PushKind kind = PushKind::landing;
  std::string revision;
  PatchSetId patchset = 0;  // landing: its patchset; backout: the one it reverts; outside: 0
  BugId bug = 0;
  // A job not listed here is not_run, unless the CI is still to decide what
  // runs on this push (awaiting_ci): then it is pending.
  std::map<std::string, JobOutcome> jobs;
  bool awaiting_ci = false;
};

struct Probe {
  std::string revision;
  std::vector<size_t> content;  // indices into TrunkWindow::pushes (landings and outside pushes)
  std::map<std::string, JobOutcome> jobs;
};

struct TrunkWindow {
  std::string branch;
  std::string base_revision;
  // What the CI says on the base. nullopt: every job passed there (the
  // base is a landing found green). A job failing on the base is already
  // failing without any landing in the window: it blames none of them. A
  // job not known to pass there is run there before a landing is blamed on
  // the base's word.
  std::optional<std::map<std::string, JobOutcome>> base_jobs;
  std::vector<WindowPush> pushes;
  std::vector<Probe> probes;
};

enum class LandingAction {
  wait,      // not decided yet; `reason` says on what
  land,      // every job passes with it: it stays, its work is done
  back_out,  // it is a culprit
  sheriff,   // the evidence contradicts itself, or an outside push broke the tree
};
std::string_view to_string(LandingAction a);

struct LandingDecision {
  PatchSetId patchset = 0;
  BugId bug = 0;
  LandingAction action = LandingAction::wait;
  std::string reason;  // for the bug and the audit log
};

// Run `job` on content `content`: on `revision` when one holds exactly that
// content (a retrigger), else on a probe of `content` still to be made.
struct TestRequest {
  std::string job;
  std::string revision;         // empty: no revision holds the content
  std::vector<size_t> content;  // indices into TrunkWindow::pushes
  std::string why;
};

struct CulpritReport {
  std::vector<LandingDecision> landings;  // one per landing in the window still kept, in push order
  std::vector<TestRequest> requests;
};

CulpritReport find_culprits(const TrunkWindow& window);

}  // namespace autoland
