#include "core/flake_verdict.h"

#include <gtest/gtest.h>

namespace autoland {
namespace {

constexpr JobResult S = JobResult::success;
constexpr JobResult F = JobResult::testfailed;
constexpr JobResult X = JobResult::exception;

FlakeEvidence evidence(std::vector<JobResult> on_patch, std::vector<JobResult> on_base = {}, double rate = 0.05) {
  FlakeEvidence e;
  e.job = "mochitest-3";
  e.on_patch = std::move(on_patch);
  e.on_base = std::move(on_base);
  e.base_revision = "0123456789abcdef";
  e.intermittent_rate = rate;
  return e;
}

TEST(FlakeVerdict, TheFailuresNeededGrowWithHowFlakyTheJobIs) {
  EXPECT_EQ(failures_needed(0.0, 0.001), 2);
  EXPECT_EQ(failures_needed(0.01, 0.001), 2);  // 1e-4
  EXPECT_EQ(failures_needed(0.05, 0.001), 3);  // 2.5e-3, then 1.25e-4
  EXPECT_EQ(failures_needed(0.2, 0.001), 5);   // 1.6e-3, then 3.2e-4
  EXPECT_EQ(failures_needed(1.0, 0.001), 20);  // bounded
}

TEST(FlakeVerdict, AFirstFailureAsksForRunsOnThePatchAndOnItsBaseAtOnce) {
  auto v = classify_failure(evidence({F}), {});
  EXPECT_EQ(v.verdict, FlakeClass::rerun);
  EXPECT_EQ(v.more_on_patch, 2);
  EXPECT_EQ(v.more_on_base, 1);
  EXPECT_EQ(v.evidence,
            "mochitest-3 failed on 1 run with this patch; running it 2 more time(s) with it and 1 on the base "
            "0123456789ab");
}

TEST(FlakeVerdict, UnfinishedRunsDecideNothing) {
  EXPECT_EQ(classify_failure(evidence({F, JobResult::running}, {S}), {}).verdict, FlakeClass::pending);
  EXPECT_EQ(classify_failure(evidence({F, F, F}, {JobResult::pending}), {}).verdict, FlakeClass::pending);
  EXPECT_EQ(classify_failure(evidence({}), {}).verdict, FlakeClass::pending);
}

TEST(FlakeVerdict, FailingOnEveryRunWithThePatchAndPassingOnItsBaseIsThePatch) {
  auto v = classify_failure(evidence({F, F, F}, {S}), {});
  EXPECT_EQ(v.verdict, FlakeClass::caused_by_patch);
  EXPECT_EQ(v.evidence, "mochitest-3 failed on all 3 runs with this patch and passed on the base 0123456789ab (1 run)");
  // A build that broke counts as a failure like a test that failed.
  EXPECT_EQ(classify_failure(evidence({JobResult::busted, F, JobResult::failure}, {S}), {}).verdict,
            FlakeClass::caused_by_patch);
}

TEST(FlakeVerdict, PassingOnARerunIsIntermittent) {
  auto v = classify_failure(evidence({F, S, F}, {S}), {});
  EXPECT_EQ(v.verdict, FlakeClass::intermittent);
  EXPECT_EQ(v.evidence,
            "mochitest-3 is intermittent: it failed on 2 of 3 runs with this patch and passed on the others");
}

TEST(FlakeVerdict, FailingOnTheBaseTooIsNotThePatchsFault) {
  auto v = classify_failure(evidence({F, F}, {F}), {});
  EXPECT_EQ(v.verdict, FlakeClass::already_failing);
  EXPECT_EQ(v.evidence,
            "mochitest-3 was already failing without this patch: it failed on 1 run on the base 0123456789ab too");
  auto mixed = classify_failure(evidence({F, F}, {F, S}), {});
  EXPECT_EQ(mixed.verdict, FlakeClass::intermittent);
  EXPECT_EQ(mixed.evidence,
            "mochitest-3 is intermittent: it failed on 1 of 2 runs on the base 0123456789ab without this patch, and "
            "passed on the others");
}

TEST(FlakeVerdict, AKnownFlakyJobNeedsMoreFailuresBeforeThePatchIsBlamed) {
  auto v = classify_failure(evidence({F, F, F}, {S}, /*rate=*/0.2), {});
  EXPECT_EQ(v.verdict, FlakeClass::rerun);
  EXPECT_EQ(v.more_on_patch, 2);
  EXPECT_EQ(v.more_on_base, 0);
  EXPECT_EQ(classify_failure(evidence({F, F, F, F, F}, {S}, 0.2), {}).verdict, FlakeClass::caused_by_patch);
}

TEST(FlakeVerdict, WithoutBudgetEveryRunFailingStillCountsAgainstThePatchAndSaysSo) {
  FlakePolicy broke;
  broke.branch_reruns_left = 0;
  auto v = classify_failure(evidence({F}), broke);
  EXPECT_EQ(v.verdict, FlakeClass::caused_by_patch);
  EXPECT_EQ(v.evidence,
            "mochitest-3 failed on its only run with this patch; the base could not be tested within the budget; fewer "
            "runs than wanted (3)");

  FlakePolicy short_runs;
  short_runs.max_runs_on_patch = 2;
  auto capped = classify_failure(evidence({F, F}, {S}), short_runs);
  EXPECT_EQ(capped.verdict, FlakeClass::caused_by_patch);

  FlakePolicy one_left;
  one_left.branch_reruns_left = 1;
  auto first = classify_failure(evidence({F}), one_left);
  EXPECT_EQ(first.more_on_base + first.more_on_patch, 1) << "the branch budget bounds the reruns asked for";
}

TEST(FlakeVerdict, WhereTheBaseCannotRunOnlyThePatchIsRerun) {
  FlakeEvidence e = evidence({F});
  e.base_can_run = false;
  auto v = classify_failure(e, {});
  EXPECT_EQ(v.more_on_base, 0);
  EXPECT_EQ(v.more_on_patch, 2);
  e.on_patch = {F, F, F};
  v = classify_failure(e, {});
  EXPECT_EQ(v.verdict, FlakeClass::caused_by_patch);
  EXPECT_EQ(v.evidence, "mochitest-3 failed on all 3 runs with this patch; the CI cannot run it on the base");
}

TEST(FlakeVerdict, CiTroubleIsRerunThenReportedAsTheCisNeverThePatchs) {
  auto v = classify_failure(evidence({X}), {});
  EXPECT_EQ(v.verdict, FlakeClass::rerun);
  EXPECT_EQ(v.more_on_patch, 1);
  v = classify_failure(evidence({X, X, X, X, X}), {});
  EXPECT_EQ(v.verdict, FlakeClass::infrastructure);
  // A superseded run (the CI's own rerun) is not a run.
  EXPECT_EQ(classify_failure(evidence({JobResult::retry, S}), {}).verdict, FlakeClass::passed);
}

TEST(FlakeVerdict, OnATrunkRevisionAFailureCountsOnceRepeatedAndAPassBesideItWins) {
  auto judged = [](std::vector<JobResult> runs) { return judge_runs_on_revision(runs, 3, 3); };
  EXPECT_EQ(judged({}).outcome, JobOutcome::not_run);
  EXPECT_EQ(judged({JobResult::pending}).outcome, JobOutcome::pending);
  EXPECT_FALSE(judged({JobResult::pending}).rerun);
  EXPECT_EQ(judged({F}).outcome, JobOutcome::pending);
  EXPECT_TRUE(judged({F}).rerun);
  EXPECT_FALSE(judged({F, JobResult::running}).rerun) << "one rerun at a time";
  EXPECT_EQ(judged({F, F, F}).outcome, JobOutcome::failed);
  EXPECT_EQ(judged({F, S, F}).outcome, JobOutcome::passed);
  // CI trouble on every allowed run: no verdict, no more runs.
  EXPECT_EQ(judged({X, X, X}).outcome, JobOutcome::pending);
  EXPECT_FALSE(judged({X, X, X}).rerun);
  EXPECT_EQ(judge_runs_on_revision({F}, 1, 1).outcome, JobOutcome::failed);  // a branch without reruns
}

}  // namespace
}  // namespace autoland
