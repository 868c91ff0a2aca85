// The results poller against an in-memory store and a scripted CI.
#include "services/results/results_poller.h"

#include <gtest/gtest.h>

#include <map>

#include "adapters/store/sqlite/sqlite_store.h"
#include "services/transitions.h"
#include "tests/support/test_support.h"

namespace autoland {
namespace {

// A CI whose runs the test writes; retriggers add a pending run.
class ScriptedCi : public CiResults {
 public:
  Result<std::vector<CiJob>> jobs(const std::string& branch, const std::string& revision) override {
    ++asked;
    if (unreachable) return transient("CI is down");
    auto it = runs.find(branch + "@" + revision);
    if (it == runs.end()) return not_found("unknown revision");
    return it->second;
  }
  Result<std::string> retrigger(const std::string& branch, const std::string& revision,
                                const std::string& job_id) override {
    if (refuse_retrigger) return transient("CI is down");
    auto& list = runs[branch + "@" + revision];
    std::string name;
    for (const CiJob& j : list) {
      if (j.id == job_id) name = j.name;
    }
    if (name.empty()) return not_found("no run " + job_id);
    retriggered.push_back(name);
    list.push_back({std::to_string(list.size() + 100), name, JobResult::pending, JobState::pending});
    return list.back().id;
  }
  Result<CiPushPage> pushes_since(const std::string&, const std::string&) override { return CiPushPage{}; }
  bool jobs_appear_late() const override { return late_jobs; }

  void set(const std::string& key, std::vector<std::pair<std::string, JobResult>> jobs) {
    auto& list = runs[key];
    list.clear();
    for (auto& [name, result] : jobs) {
      list.push_back({std::to_string(list.size() + 1), name, result,
                      result == JobResult::pending ? JobState::pending : JobState::completed});
    }
  }
  void finish_reruns(JobResult result) {
    for (auto& [key, list] : runs) {
      for (CiJob& j : list) {
        if (j.state == JobState::pending && std::stoi(j.id) >= 100) {
          j.result = result;
          j.state = JobState::completed;
        }
      }
    }
  }

  std::map<std::string, std::vector<CiJob>> runs;
  std::vector<std::string> retriggered;
  bool unreachable = false;
  bool refuse_retrigger = false;
  bool late_jobs = false;
  int asked = 0;
};

class ResultsPollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite_store({.path = ":memory:", .create = true}, clock_);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    Branch try_branch;
    try_branch.name = "try";
    try_branch.repo_url = "/r/try";
    try_branch.required_level = 1;
    try_branch.ci_source = "local";
    ASSERT_TRUE(store_->create_branch(try_branch, "t").ok());
    Branch central;
    central.name = "central";
    central.repo_url = "/r/central";
    central.pretest_branch = "try";
    central.ci_source = "local";
    ASSERT_TRUE(store_->create_branch(central, "t").ok());
    poller_ = std::make_unique<ResultsPoller>(
        *store_, clock_, [this](const std::string& name) -> CiResults* { return name == "local" ? &ci_ : nullptr; });
  }

  // A patchset on `branch` pushed at `stage` as `revision`, now testing.
  PatchSet pushed(const std::string& branch, Stage stage, const std::string& revision) {
    PatchSet ps = testing::testing_patchset(*store_, clock_,
                                            {.bug_id = 9, .patches = {1}, .branch = branch, .stage = stage}, revision);
    EXPECT_EQ(ps.state, State::testing);
    return ps;
  }
  PatchSet reread(const PatchSet& ps) { return *store_->get_patchset(ps.id); }

  ManualClock clock_{1'700'000'000};
  std::unique_ptr<Store> store_;
  ScriptedCi ci_;
  std::unique_ptr<ResultsPoller> poller_;
};

TEST_F(ResultsPollerTest, PendingWaitsAndGreenTryIsReported) {
  PatchSet ps = pushed("try", Stage::try_run, "aaa");
  ci_.set("try@aaa", {{"build", JobResult::success}, {"test", JobResult::running}});
  auto stats = poller_->pass();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->waiting, 1);
  EXPECT_EQ(reread(ps).state, State::testing);
  ci_.set("try@aaa", {{"build", JobResult::success}, {"test", JobResult::success}});
  stats = poller_->pass();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->stepped, 1);
  EXPECT_EQ(reread(ps).state, State::reported);
  auto comments = store_->comments_for(ps.id);
  ASSERT_EQ(comments->size(), 2u);  // the results, and the marker release
  EXPECT_EQ((*comments)[0].kind, "try_results");
  // Nothing left to watch: the next pass asks CI nothing.
  int asked = ci_.asked;
  ASSERT_TRUE(poller_->pass().ok());
  EXPECT_EQ(ci_.asked, asked);
}

TEST_F(ResultsPollerTest, OrangeIsRetriggeredAndAPassingRerunIsIntermittent) {
  PatchSet ps = pushed("try", Stage::try_run, "bbb");
  ci_.set("try@bbb", {{"build", JobResult::success}, {"xpcshell", JobResult::testfailed}});
  auto stats = poller_->pass();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->retriggered, 1);
  EXPECT_EQ(ci_.retriggered, std::vector<std::string>{"xpcshell"});
  EXPECT_EQ(reread(ps).state, State::retrying);
  // While the rerun is pending, nothing more is retriggered.
  ASSERT_TRUE(poller_->pass().ok());
  EXPECT_EQ(ci_.retriggered.size(), 1u);
  ci_.finish_reruns(JobResult::success);
  ASSERT_TRUE(poller_->pass().ok());
  EXPECT_EQ(reread(ps).state, State::reported);
  auto comments = store_->comments_for(ps.id);
  EXPECT_NE((*comments)[0].body.find("xpcshell"), std::string::npos) << (*comments)[0].body;
}

TEST_F(ResultsPollerTest, RerunsAreBoundedThenRed) {
  PatchSet ps = pushed("try", Stage::try_run, "ccc");
  ci_.set("try@ccc", {{"test", JobResult::testfailed}});
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(poller_->pass().ok());
    ci_.finish_reruns(JobResult::testfailed);
  }
  EXPECT_EQ(ci_.retriggered.size(), 2u);  // max_retriggers
  ASSERT_TRUE(poller_->pass().ok());
  EXPECT_EQ(reread(ps).state, State::failed);
  EXPECT_EQ(ci_.retriggered.size(), 2u);
}

// Issue 14, item 6: jobs killed on every rerun end a try run without a
// verdict (failed, with a comment that does not blame the patch), and back
// out a landing that could not be verified.
TEST_F(ResultsPollerTest, JobsKilledOnEveryRerunAreNoVerdictOnThePatch) {
  PatchSet tried = pushed("try", Stage::try_run, "kkk");
  ci_.set("try@kkk", {{"build", JobResult::success}, {"test", JobResult::exception}});
  PatchSet landing = pushed("central", Stage::landing, "lll");
  ci_.set("central@lll", {{"build", JobResult::exception}});
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(poller_->pass().ok());
    ci_.finish_reruns(JobResult::exception);
  }
  EXPECT_EQ(reread(tried).state, State::failed);
  auto comments = store_->comments_for(tried.id);
  ASSERT_FALSE(comments->empty());
  EXPECT_EQ((*comments)[0].kind, "ci_trouble");
  EXPECT_NE((*comments)[0].body.find("This says nothing about the patch"), std::string::npos) << (*comments)[0].body;
  EXPECT_NE(reread(tried).state_reason.find("CI infrastructure trouble, not the patch: test"), std::string::npos);
  EXPECT_EQ(reread(landing).state, State::backing_out);
  EXPECT_NE(reread(landing).state_reason.find("CI infrastructure trouble"), std::string::npos);
}

TEST_F(ResultsPollerTest, RedOnTrunkBacksOutAndCancelledTryIsCancelled) {
  PatchSet landing = pushed("central", Stage::landing, "ddd");
  ci_.set("central@ddd", {{"build", JobResult::busted}});
  PatchSet tried = pushed("try", Stage::try_run, "eee");
  ci_.set("try@eee", {{"build", JobResult::usercancel}});
  ASSERT_TRUE(poller_->pass().ok());
  EXPECT_EQ(reread(landing).state, State::backing_out);
  EXPECT_EQ(reread(tried).state, State::cancelled);
}

TEST_F(ResultsPollerTest, NoResultsPastTheDeadlineTimeOut) {
  PatchSet unknown = pushed("try", Stage::try_run, "fff");  // CI never heard of it
  PatchSet stuck = pushed("try", Stage::try_run, "ggg");
  ci_.set("try@ggg", {{"test", JobResult::running}});
  ASSERT_TRUE(poller_->pass().ok());
  EXPECT_EQ(reread(unknown).state, State::testing);
  clock_.advance(6 * 3600 + 1);
  ASSERT_TRUE(poller_->pass().ok());
  EXPECT_EQ(reread(unknown).state, State::timed_out);
  EXPECT_EQ(reread(stuck).state, State::timed_out);
}

TEST_F(ResultsPollerTest, APatchsetWithNoPushTimeStillTimesOut) {
  PatchSetChanges no_push_time;
  no_push_time.clear_times = true;  // as an older version left it: no push time on record
  PatchSet ps = testing::testing_patchset(
      *store_, clock_, {.bug_id = 9, .patches = {1}, .branch = "try", .stage = Stage::try_run}, "nnn", no_push_time);
  ASSERT_FALSE(reread(ps).push_time.has_value());
  ASSERT_TRUE(poller_->pass().ok());
  EXPECT_EQ(reread(ps).state, State::testing);
  clock_.advance(6 * 3600 + 1);
  ASSERT_TRUE(poller_->pass().ok());
  EXPECT_EQ(reread(ps).state, State::timed_out);
}

TEST_F(ResultsPollerTest, ATroubleThatStaysEndsThePatchsetAtItsDeadline) {
  PatchSet ps = pushed("try", Stage::try_run, "ttt");
  ResultsPoller lost(*store_, clock_, [](const std::string&) -> CiResults* { return nullptr; });
  EXPECT_EQ(lost.pass()->errors, 1);
  EXPECT_EQ(reread(ps).state, State::testing);  // an error alone changes nothing
  clock_.advance(6 * 3600 + 1);
  EXPECT_EQ(lost.pass()->errors, 1);
  PatchSet ended = reread(ps);
  EXPECT_EQ(ended.state, State::timed_out);
  EXPECT_NE(ended.state_reason.find("not configured"), std::string::npos) << ended.state_reason;
}

TEST_F(ResultsPollerTest, WhereJobsAppearLateGreenMustHoldOverTwoLooks) {
  ci_.late_jobs = true;
  PatchSet ps = pushed("try", Stage::try_run, "lll");
  // The decision task alone is green: more jobs are coming.
  ci_.set("try@lll", {{"decision", JobResult::success}});
  ASSERT_TRUE(poller_->pass().ok());
  EXPECT_EQ(reread(ps).state, State::testing);
  ci_.set("try@lll", {{"decision", JobResult::success}, {"build", JobResult::success}});
  ASSERT_TRUE(poller_->pass().ok());
  EXPECT_EQ(reread(ps).state, State::testing);  // the list changed: look again
  ASSERT_TRUE(poller_->pass().ok());
  EXPECT_EQ(reread(ps).state, State::reported);
}

TEST_F(ResultsPollerTest, PassesAreBoundedAndTakeEveryPatchsetInTurn) {
  ResultsPoller bounded(*store_, clock_, [this](const std::string&) -> CiResults* { return &ci_; },
                        {.max_per_pass = 2});
  std::vector<PatchSet> all;
  for (std::string rev : {"r1", "r2", "r3", "r4", "r5"}) {
    all.push_back(pushed("try", Stage::try_run, rev));
    ci_.set("try@" + rev, {{"test", JobResult::running}});
  }
  std::vector<int> watched;
  for (int i = 0; i < 4; ++i) watched.push_back(bounded.pass()->watched);
  EXPECT_EQ(watched, (std::vector<int>{2, 2, 1, 2}));  // then round again
  for (std::string rev : {"r1", "r2", "r3", "r4", "r5"}) ci_.set("try@" + rev, {{"test", JobResult::success}});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bounded.pass().ok());
  for (const PatchSet& ps : all) EXPECT_EQ(reread(ps).state, State::reported) << ps.id;
}

TEST_F(ResultsPollerTest, AnUnreachableCiLosesNothingAndALostRetriggerIsSentAgain) {
  PatchSet ps = pushed("try", Stage::try_run, "hhh");
  ci_.set("try@hhh", {{"test", JobResult::testfailed}});
  ci_.unreachable = true;
  auto stats = poller_->pass();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->errors, 1);
  EXPECT_EQ(reread(ps).state, State::testing);
  // The step is written, then the retrigger fails (as a crash right there would).
  ci_.unreachable = false;
  ci_.refuse_retrigger = true;
  ASSERT_TRUE(poller_->pass().ok());
  EXPECT_EQ(reread(ps).state, State::retrying);
  EXPECT_TRUE(ci_.retriggered.empty());
  // Next pass: still orange with no rerun, so it is retriggered now, once.
  ci_.refuse_retrigger = false;
  ASSERT_TRUE(poller_->pass().ok());
  EXPECT_EQ(ci_.retriggered, std::vector<std::string>{"test"});
  ASSERT_TRUE(poller_->pass().ok());
  EXPECT_EQ(ci_.retriggered.size(), 1u);
}

}  // namespace
}  // namespace autoland
