#include "core/culprit_finder.h"

#include <gtest/gtest.h>

namespace autoland {
namespace {

constexpr JobOutcome P = JobOutcome::passed;
constexpr JobOutcome F = JobOutcome::failed;
constexpr JobOutcome R = JobOutcome::pending;

// Landings of bugs 1, 2, ... with patchsets 101, 102, ... and revisions
// "rev1", "rev2", ...; backouts "back1" (of bug 1's landing), ...
class Window {
 public:
  Window() { w_.branch = "inbound", w_.base_revision = "base"; }
  Window& land(int n, std::map<std::string, JobOutcome> jobs = {}) {
    w_.pushes.push_back({PushKind::landing, "rev" + std::to_string(n), PatchSetId{100 + n}, BugId(n), std::move(jobs)});
    return *this;
  }
  Window& outside(std::string revision, std::map<std::string, JobOutcome> jobs = {}) {
    w_.pushes.push_back({PushKind::outside, std::move(revision), 0, 0, std::move(jobs)});
    return *this;
  }
  Window& back_out(int n, std::map<std::string, JobOutcome> jobs = {}) {
    w_.pushes.push_back(
        {PushKind::backout, "back" + std::to_string(n), PatchSetId{100 + n}, BugId(n), std::move(jobs)});
    return *this;
  }
  // What the CI says on the base (without this, the base passed everything).
  Window& base(std::map<std::string, JobOutcome> jobs) {
    w_.base_jobs = std::move(jobs);
    return *this;
  }
  Window& probe(std::string revision, std::vector<size_t> content, std::map<std::string, JobOutcome> jobs) {
    w_.probes.push_back({std::move(revision), std::move(content), std::move(jobs)});
    return *this;
  }
  // Sets a job's outcome on an earlier push (by revision), as a retrigger would.
  Window& result(const std::string& revision, const std::string& job, JobOutcome o) {
    for (WindowPush& p : w_.pushes) {
      if (p.revision == revision) p.jobs[job] = o;
    }
    return *this;
  }
  CulpritReport find() const { return find_culprits(w_); }

 private:
  TrunkWindow w_;
};

const LandingDecision& of(const CulpritReport& r, BugId bug) {
  for (const LandingDecision& d : r.landings) {
    if (d.bug == bug) return d;
  }
  static const LandingDecision none{};
  ADD_FAILURE() << "no decision for bug " << bug;
  return none;
}

std::vector<BugId> backed_out(const CulpritReport& r) {
  std::vector<BugId> bugs;
  for (const LandingDecision& d : r.landings) {
    if (d.action == LandingAction::back_out) bugs.push_back(d.bug);
  }
  return bugs;
}

TEST(CulpritFinder, ARedLandingWhoseParentIsPendingWaitsForIt) {
  Window w;
  w.land(1, {{"build", P}, {"mochitest", R}}).land(2, {{"build", P}, {"mochitest", F}});
  auto r = w.find();
  EXPECT_EQ(of(r, 1).action, LandingAction::wait);
  EXPECT_EQ(of(r, 1).reason, "waiting for job mochitest on this push");
  EXPECT_EQ(of(r, 2).action, LandingAction::wait);
  EXPECT_EQ(of(r, 2).reason, "waiting for job mochitest on rev1, below this landing");
  EXPECT_TRUE(r.requests.empty());  // the parent's own run answers it

  // The parent passes: the red landing is the culprit.
  w.result("rev1", "mochitest", P);
  r = w.find();
  EXPECT_EQ(of(r, 1).action, LandingAction::land);
  EXPECT_EQ(of(r, 2).action, LandingAction::back_out);
  EXPECT_EQ(of(r, 2).reason, "job mochitest failed on this push (rev2) and passed on its parent rev1");
}

TEST(CulpritFinder, ARedParentIsTheCulpritAndLandingsOnTopArePresumedInnocentUntilRetestedWithoutIt) {
  Window w;
  w.land(1, {{"build", P}, {"xpcshell", F}})
      .land(2, {{"build", P}, {"xpcshell", F}})
      .land(3, {{"build", P}, {"xpcshell", F}});
  auto r = w.find();
  EXPECT_EQ(backed_out(r), std::vector<BugId>{1});
  EXPECT_EQ(of(r, 1).reason, "job xpcshell failed on this push (rev1) and passed on its parent base");
  for (BugId bug : {2, 3}) {
    EXPECT_EQ(of(r, bug).action, LandingAction::wait);
    EXPECT_EQ(of(r, bug).reason,
              "presumed innocent: job xpcshell has failed since bug 1's landing (rev1), which is being backed out; it "
              "runs again without it");
  }

  // The backout is pushed on top; the CI has not run xpcshell there yet.
  w.back_out(1, {{"build", P}});
  r = w.find();
  ASSERT_EQ(r.landings.size(), 2u);  // bug 1's landing is out of the window's kept changes
  EXPECT_EQ(of(r, 3).action, LandingAction::wait);
  ASSERT_EQ(r.requests.size(), 1u);  // bisecting bugs 2..3 without bug 1: the backout holds exactly {2, 3}
  EXPECT_EQ(r.requests[0].job, "xpcshell");

  // Passing on top of the backout clears both.
  w.result("back1", "xpcshell", P);
  r = w.find();
  EXPECT_TRUE(r.requests.empty());
  for (BugId bug : {2, 3}) EXPECT_EQ(of(r, bug).action, LandingAction::land) << of(r, bug).reason;
  // Each job is named where it passed with the landing and least else:
  // for bug 2's, build on its own push; bug 3's is all in the backout.
  EXPECT_EQ(of(r, 2).reason,
            "not backed out: job xpcshell failed on this push because of bug 1's landing, backed out in back1; "
            "every job passed on back1, rev2");
  EXPECT_EQ(of(r, 3).reason,
            "not backed out: job xpcshell failed on this push because of bug 1's landing, backed out in back1; "
            "every job passed on back1");
}

TEST(CulpritFinder, UntestedPushesAreBisectedByRetriggersNotOneByOne) {
  // Eight landings; the CI coalesced all but the top one; bug 6's breaks "a".
  const int bad = 6;
  Window w;
  for (int n = 1; n <= 7; ++n) w.land(n);
  w.land(8, {{"a", F}, {"b", P}});
  int retriggers = 0;
  CulpritReport r = w.find();
  while (!r.requests.empty()) {
    ASSERT_EQ(r.requests.size(), 1u);
    const TestRequest& t = r.requests[0];
    ASSERT_FALSE(t.revision.empty()) << "every prefix here has a push of its own: " << t.why;
    EXPECT_EQ(t.job, "a");
    const int n = std::stoi(t.revision.substr(3));
    EXPECT_EQ(t.content.size(), static_cast<size_t>(n));
    w.result(t.revision, "a", n >= bad ? F : P);
    ++retriggers;
    ASSERT_LE(retriggers, 3) << "log2(8) retriggers at most";
    r = w.find();
  }
  EXPECT_EQ(retriggers, 3);
  EXPECT_EQ(backed_out(r), std::vector<BugId>{bad});
  EXPECT_EQ(of(r, bad).reason, "job a failed on this push (rev6) and passed on its parent rev5");
  for (BugId bug = 1; bug < bad; ++bug) EXPECT_EQ(of(r, bug).action, LandingAction::land) << bug;
  for (BugId bug = bad + 1; bug <= 8; ++bug) EXPECT_EQ(of(r, bug).action, LandingAction::wait) << bug;
}

TEST(CulpritFinder, APendingRetriggerInTheRangeIsNotAskedForAgain) {
  Window w;
  w.land(1).land(2, {{"a", R}}).land(3).land(4, {{"a", F}});
  auto r = w.find();
  EXPECT_TRUE(r.requests.empty());
  EXPECT_EQ(of(r, 4).reason, "waiting for job a on rev2, below this landing");
}

TEST(CulpritFinder, TwoCulpritsBreakingDifferentJobsAreBothFound) {
  Window w;
  w.land(1, {{"a", P}, {"b", P}})
      .land(2, {{"a", F}, {"b", P}})  // breaks a
      .land(3, {{"a", F}, {"b", P}})
      .land(4, {{"a", F}, {"b", F}});  // breaks b
  auto r = w.find();
  EXPECT_EQ(backed_out(r), (std::vector<BugId>{2, 4}));
  EXPECT_EQ(of(r, 1).action, LandingAction::land);
  EXPECT_EQ(of(r, 3).action, LandingAction::wait);
  EXPECT_EQ(of(r, 4).reason, "job b failed on this push (rev4) and passed on its parent rev3");
}

TEST(CulpritFinder, ASecondCulpritForTheSameJobIsFoundOnceTheFirstIsOut) {
  Window w;
  w.land(1, {{"a", F}}).land(2, {{"a", F}}).land(3, {{"a", F}});
  EXPECT_EQ(backed_out(w.find()), std::vector<BugId>{1});

  // Still failing without bug 1: one of 2 and 3 breaks it too. No push holds
  // bug 2's landing without bug 1's: a probe must be made.
  w.back_out(1, {{"a", F}});
  auto r = w.find();
  EXPECT_TRUE(backed_out(r).empty());
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_TRUE(r.requests[0].revision.empty());
  EXPECT_EQ(r.requests[0].content, std::vector<size_t>{1});  // bug 2's landing alone on the base
  EXPECT_EQ(of(r, 2).action, LandingAction::wait);

  w.probe("probe2", {1}, {{"a", P}});
  r = w.find();
  EXPECT_EQ(backed_out(r), std::vector<BugId>{3});
  EXPECT_EQ(of(r, 3).reason, "job a failed on back1 (with this landing) and passed on probe2 (without it)");
  EXPECT_EQ(of(r, 2).action, LandingAction::land);
}

TEST(CulpritFinder, AFailureSinceSomebodyElsesPushGoesToASheriff) {
  Window w;
  w.land(1, {{"a", P}}).outside("human", {{"a", F}}).land(2, {{"a", F}});
  auto r = w.find();
  EXPECT_TRUE(backed_out(r).empty());
  EXPECT_EQ(of(r, 1).action, LandingAction::land);
  EXPECT_EQ(of(r, 2).action, LandingAction::sheriff);
  EXPECT_EQ(of(r, 2).reason,
            "job a has failed since the push human (not autoland's), which autoland does not back out: a sheriff "
            "must act");
}

TEST(CulpritFinder, ContradictingEvidenceBacksNothingOut) {
  // Fails with bug 1 alone, passes with bugs 1 and 2: not what a bad patch does.
  Window w;
  w.land(1, {{"a", F}}).land(2, {{"a", P}});
  auto r = w.find();
  EXPECT_TRUE(backed_out(r).empty());
  EXPECT_EQ(of(r, 1).action, LandingAction::sheriff);
  EXPECT_EQ(of(r, 1).reason,
            "job a passed and failed on revisions that contradict each other (failed on rev1, passed on rev2): a "
            "sheriff must judge");
}

TEST(CulpritFinder, AGreenTopLandsABatchPushedAsOneRun) {
  Window w;
  w.land(1).land(2).land(3).land(4, {{"a", P}, {"b", P}});
  auto r = w.find();
  for (BugId bug = 1; bug <= 4; ++bug) {
    EXPECT_EQ(of(r, bug).action, LandingAction::land);
    EXPECT_EQ(of(r, bug).reason, "every job passed on rev4");
  }
  EXPECT_TRUE(r.requests.empty());
}

TEST(CulpritFinder, ABaseNotKnownToPassIsTestedBeforeTheFirstLandingIsBlamed) {
  Window w;
  w.base({{"build", P}}).land(1, {{"build", P}, {"reftest", F}});
  auto r = w.find();
  EXPECT_TRUE(backed_out(r).empty());
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_EQ(r.requests[0].job, "reftest");
  EXPECT_EQ(r.requests[0].revision, "base");
  EXPECT_TRUE(r.requests[0].content.empty());

  w.base({{"build", P}, {"reftest", R}});
  r = w.find();
  EXPECT_TRUE(r.requests.empty());
  EXPECT_EQ(of(r, 1).reason, "waiting for job reftest on the base base");

  w.base({{"build", P}, {"reftest", P}});
  EXPECT_EQ(backed_out(w.find()), std::vector<BugId>{1});
}

TEST(CulpritFinder, AJobFailingOnTheBaseBlamesNoLanding) {
  Window w;
  w.base({{"build", P}, {"reftest", F}})
      .land(1, {{"build", P}, {"reftest", F}})
      .land(2, {{"build", P}, {"reftest", F}});
  auto r = w.find();
  EXPECT_TRUE(backed_out(r).empty());
  EXPECT_TRUE(r.requests.empty());
  EXPECT_EQ(of(r, 2).action, LandingAction::land);
  EXPECT_EQ(of(r, 2).reason, "every job passed on rev2; already failing without it (on the base base): reftest");

  // With nothing else to judge it on, a sheriff looks at the tree.
  Window only;
  only.base({{"reftest", F}}).land(1, {{"reftest", F}});
  r = only.find();
  EXPECT_EQ(of(r, 1).action, LandingAction::sheriff);
  EXPECT_EQ(of(r, 1).reason, "every job is already failing without it (on the base base): reftest");
}

TEST(CulpritFinder, NothingIsDecidedBeforeAnyResult) {
  Window w;
  w.land(1).land(2);
  auto r = w.find();
  EXPECT_EQ(of(r, 1).action, LandingAction::wait);
  EXPECT_EQ(of(r, 2).reason, "no CI results on rev2 yet");
}

}  // namespace
}  // namespace autoland
