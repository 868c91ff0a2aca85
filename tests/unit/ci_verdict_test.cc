#include "core/ci_verdict.h"

#include <gtest/gtest.h>

namespace autoland {
namespace {

JobRun run(std::string name, JobResult r, std::string id = "") { return {std::move(id), std::move(name), r, "", ""}; }

TEST(CiVerdict, NoJobsYetIsPending) { EXPECT_EQ(judge({}, 2).verdict, Verdict::pending); }

TEST(CiVerdict, AllSuccessIsGreen) {
  VerdictReport r = judge({run("build", JobResult::success), run("test", JobResult::success)}, 2);
  EXPECT_EQ(r.verdict, Verdict::green);
  EXPECT_EQ(r.counts[JobResult::success], 2);
  EXPECT_EQ(r.total_jobs, 2);
}

TEST(CiVerdict, AnythingRunningIsPending) {
  VerdictReport r =
      judge({run("build", JobResult::success), run("test", JobResult::running), run("lint", JobResult::testfailed)}, 2);
  EXPECT_EQ(r.verdict, Verdict::pending);
  EXPECT_TRUE(r.retrigger.empty());
}

TEST(CiVerdict, OrangeAsksForRetriggers) {
  VerdictReport r = judge({run("build", JobResult::success), run("m1", JobResult::testfailed),
                           run("m2", JobResult::warnings), run("m3", JobResult::exception)},
                          2);
  EXPECT_EQ(r.verdict, Verdict::orange);
  EXPECT_EQ(r.retrigger, (std::vector<std::string>{"m1", "m2", "m3"}));
}

TEST(CiVerdict, RerunThatPassesIsIntermittent) {
  VerdictReport r =
      judge({run("m1", JobResult::testfailed), run("build", JobResult::success), run("m1", JobResult::success)}, 2);
  EXPECT_EQ(r.verdict, Verdict::green);
  EXPECT_EQ(r.intermittent, std::vector<std::string>{"m1"});
}

TEST(CiVerdict, RetriggersUsedUpIsRed) {
  std::vector<JobRun> runs = {run("m1", JobResult::testfailed), run("m1", JobResult::testfailed),
                              run("m1", JobResult::testfailed)};
  EXPECT_EQ(judge(runs, 2).verdict, Verdict::red);
  EXPECT_EQ(judge(runs, 3).verdict, Verdict::orange);
  EXPECT_EQ(judge({run("m1", JobResult::testfailed)}, 0).verdict, Verdict::red);  // --no-retry
}

// Issue 14, item 6: a job the CI killed (an exception) on every run its
// reruns allowed is the CI's failure: no verdict, never red. A real failure
// elsewhere still makes it red.
TEST(CiVerdict, ExceptionsPastTheRerunsAreNoVerdictOnThePatch) {
  std::vector<JobRun> killed = {run("build", JobResult::success), run("m1", JobResult::exception),
                                run("m1", JobResult::exception), run("m1", JobResult::exception)};
  VerdictReport r = judge(killed, 2);
  EXPECT_EQ(r.verdict, Verdict::infrastructure);
  EXPECT_EQ(r.infrastructure, std::vector<std::string>{"m1"});
  EXPECT_EQ(judge(killed, 3).verdict, Verdict::orange);  // a rerun is left
  EXPECT_EQ(judge({run("m1", JobResult::exception)}, 0).verdict, Verdict::infrastructure);
  killed.push_back(run("build2", JobResult::busted));
  EXPECT_EQ(judge(killed, 2).verdict, Verdict::red);
  // A test failure first, then exceptions: the patch may be at fault, red.
  EXPECT_EQ(judge({run("m1", JobResult::testfailed), run("m1", JobResult::exception)}, 1).verdict, Verdict::red);
  // An exception that passes on a rerun is an intermittent, green.
  EXPECT_EQ(judge({run("m1", JobResult::exception), run("m1", JobResult::success)}, 2).verdict, Verdict::green);
}

TEST(CiVerdict, BustedIsRedWithoutRetriggers) {
  VerdictReport r = judge({run("build", JobResult::busted, "7"), run("m1", JobResult::testfailed)}, 2);
  EXPECT_EQ(r.verdict, Verdict::red);
  EXPECT_TRUE(r.retrigger.empty());
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_EQ(r.failures[0].id, "7");
  EXPECT_EQ(judge({run("b", JobResult::failure)}, 2).verdict, Verdict::red);
}

TEST(CiVerdict, CancelledBuilds) {
  EXPECT_EQ(judge({run("a", JobResult::usercancel), run("b", JobResult::usercancel)}, 2).verdict, Verdict::cancelled);
  EXPECT_EQ(judge({run("a", JobResult::usercancel), run("b", JobResult::success)}, 2).verdict, Verdict::cancelled);
  EXPECT_EQ(judge({run("a", JobResult::usercancel), run("b", JobResult::busted)}, 2).verdict, Verdict::red);
}

TEST(CiVerdict, RetryRunsAreSuperseded) {
  EXPECT_EQ(judge({run("a", JobResult::retry)}, 2).verdict, Verdict::pending);
  VerdictReport r = judge({run("a", JobResult::retry), run("a", JobResult::success)}, 2);
  EXPECT_EQ(r.verdict, Verdict::green);
  EXPECT_TRUE(r.intermittent.empty());
}

TEST(CiVerdict, ResultNames) {
  EXPECT_EQ(parse_job_result("testfailed").value(), JobResult::testfailed);
  EXPECT_EQ(parse_job_result("purple").error().message, "unknown job result 'purple'");
}

}  // namespace
}  // namespace autoland
