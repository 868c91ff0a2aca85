#include "core/landing_policy.h"

#include <gtest/gtest.h>

namespace autoland {
namespace {

PolicyInput base() {
  PolicyInput in;
  in.branches = {{"try", 2, true, TreeStatus::open, true}, {"central", 1, true, TreeStatus::open, false}};
  return in;
}

std::vector<PatchSetId> started(const std::vector<PolicyDecision>& ds) {
  std::vector<PatchSetId> ids;
  for (const auto& d : ds) {
    if (d.start) ids.push_back(d.id);
  }
  return ids;
}

TEST(LandingPolicy, ThresholdPerBranchInAgeOrder) {
  PolicyInput in = base();
  in.waiting = {
      {3, "try", 0, 300}, {1, "try", 0, 100}, {2, "try", 0, 200}, {4, "central", 0, 50}, {5, "central", 0, 60}};
  auto ds = decide_landings(in);
  EXPECT_EQ(started(ds), (std::vector<PatchSetId>{4, 1, 2}));
  EXPECT_EQ(ds.back().id, 3);
  EXPECT_EQ(ds.back().hold_reason, "branch 'try' is at its threshold (2 in flight)");
}

TEST(LandingPolicy, InFlightCountsAgainstThreshold) {
  PolicyInput in = base();
  in.in_flight = {{"try", 1}};
  in.waiting = {{1, "try", 0, 100}, {2, "try", 0, 200}};
  EXPECT_EQ(started(decide_landings(in)), std::vector<PatchSetId>{1});
}

TEST(LandingPolicy, PriorityBeatsAge) {
  PolicyInput in = base();
  in.waiting = {{1, "central", 0, 100}, {2, "central", 5, 900}};
  EXPECT_EQ(started(decide_landings(in)), std::vector<PatchSetId>{2});
}

TEST(LandingPolicy, KillSwitchHoldsEverything) {
  PolicyInput in = base();
  in.kill_switch = true;
  in.waiting = {{1, "try", 0, 100}};
  auto ds = decide_landings(in);
  EXPECT_TRUE(started(ds).empty());
  EXPECT_EQ(ds[0].hold_reason, "the global kill switch is on");
  in.kill_switch = false;
  in.pusher_enabled = false;
  EXPECT_EQ(decide_landings(in)[0].hold_reason, "the pusher is switched off");
}

TEST(LandingPolicy, ClosedTreeHoldsTrunkButNotTry) {
  PolicyInput in = base();
  in.branches[0].tree = TreeStatus::closed;
  in.branches[1].tree = TreeStatus::closed;
  in.waiting = {{1, "try", 0, 100}, {2, "central", 0, 100}};
  auto ds = decide_landings(in);
  EXPECT_EQ(started(ds), std::vector<PatchSetId>{1});
  EXPECT_EQ(ds[1].hold_reason, "the central tree is closed");
}

TEST(LandingPolicy, ApprovalRequired) {
  PolicyInput in = base();
  in.branches[1].tree = TreeStatus::approval_required;
  in.branches[1].threshold = 5;
  in.waiting = {{1, "central", 0, 100, false}, {2, "central", 0, 200, true}};
  auto ds = decide_landings(in);
  EXPECT_EQ(started(ds), std::vector<PatchSetId>{2});
  EXPECT_EQ(ds[0].hold_reason, "the central tree needs approval (a=) and this patchset has none");
}

TEST(LandingPolicy, DisabledAndUnknownBranches) {
  PolicyInput in = base();
  in.branches[1].enabled = false;
  in.waiting = {{1, "central", 0, 100}, {2, "nowhere", 0, 100}};
  auto ds = decide_landings(in);
  EXPECT_EQ(ds[0].hold_reason, "branch 'central' is disabled");
  EXPECT_EQ(ds[1].hold_reason, "branch 'nowhere' is not configured");
}

TEST(LandingPolicy, ZeroThresholdHoldsAll) {
  PolicyInput in = base();
  in.branches[0].threshold = 0;
  in.waiting = {{1, "try", 0, 100}};
  EXPECT_TRUE(started(decide_landings(in)).empty());
}

TEST(LandingPolicy, TheTryBudgetCountsAutolandsPushesOnEveryTryBranch) {
  PolicyInput in = base();
  in.branches[0].threshold = 10;
  in.branches.push_back({"try-comm", 10, true, TreeStatus::open, true});
  in.try_budget.max_in_flight = 3;
  in.in_flight = {{"try", 1}, {"try-comm", 1}};
  in.waiting = {{1, "try", 0, 100}, {2, "try-comm", 0, 200}, {3, "try", 0, 300}, {4, "central", 0, 400}};
  auto ds = decide_landings(in);
  EXPECT_EQ(started(ds), (std::vector<PatchSetId>{1, 4}));  // a trunk landing is not try load
  EXPECT_EQ(ds[1].hold, HoldCode::try_busy);
  EXPECT_EQ(to_string(ds[1].hold), "try_busy");
  EXPECT_EQ(ds[1].hold_reason, "try is busy: autoland has 3 try pushes in flight, its most (3)");
}

TEST(LandingPolicy, ADeepTryQueueHoldsNewTryPushesWhereTheCiCanSaySo) {
  PolicyInput in = base();
  in.try_budget.max_pending_jobs = 500;
  in.try_budget.pending_jobs = 501;
  in.waiting = {{1, "try", 0, 100}};
  auto ds = decide_landings(in);
  EXPECT_TRUE(started(ds).empty());
  EXPECT_EQ(ds[0].hold_reason,
            "try is busy: 501 jobs wait there, above 500; autoland leaves it to people until they run");
  in.try_budget.pending_jobs = 500;
  EXPECT_EQ(started(decide_landings(in)), std::vector<PatchSetId>{1});
  in.try_budget.pending_jobs = -1;  // the CI cannot say: only the in-flight limit applies
  EXPECT_EQ(started(decide_landings(in)), std::vector<PatchSetId>{1});
}

TEST(LandingPolicy, SheriffPriorityGoesPastTheTryBudgetButNotTheThreshold) {
  PolicyInput in = base();
  in.try_budget.max_in_flight = 1;
  in.in_flight = {{"try", 1}};
  in.waiting = {{1, "try", 0, 100}, {2, "try", 5, 200}, {3, "try", 5, 300}};
  auto ds = decide_landings(in);
  EXPECT_EQ(started(ds), std::vector<PatchSetId>{2});
  EXPECT_EQ(ds[1].id, 3);
  EXPECT_EQ(ds[1].hold, HoldCode::threshold);  // try's threshold is 2
  EXPECT_EQ(ds[2].id, 1);
  EXPECT_EQ(ds[2].hold, HoldCode::threshold);
  in.branches[0].threshold = 5;
  ds = decide_landings(in);
  EXPECT_EQ(started(ds), (std::vector<PatchSetId>{2, 3}));
  EXPECT_EQ(ds[2].hold, HoldCode::try_busy);
}

}  // namespace
}  // namespace autoland
