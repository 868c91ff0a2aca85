// The queue's rules and scheduling on the fakes (Bugzilla, directory, VCS),
// an in-memory store and a manual clock: the grace period, validation and
// its outages, the kill switch and the pusher switch, closed trees,
// thresholds and priority. CI is played by stepping results directly.
#include <gtest/gtest.h>

#include "adapters/store/sqlite/sqlite_store.h"
#include "services/queue/queue.h"
#include "services/queue/sheriff.h"
#include "services/transitions.h"
#include "tests/fakes/fake_bug_tracker.h"
#include "tests/fakes/fake_directory.h"
#include "tests/fakes/fake_vcs.h"
#include "util/log.h"

namespace autoland {
namespace {

std::string exported(const std::string& summary, const std::string& file) {
  return "# HG changeset patch\n# User Dana Dev <dev@example.org>\n" + summary + "\n\ndiff --git a/" + file + " b/" +
         file + "\nnew file mode 100644\n--- /dev/null\n+++ b/" + file + "\n@@ -0,0 +1 @@\n+x\n";
}

class QueueService : public ::testing::Test {
 protected:
  void SetUp() override {
    util::set_log_level(util::LogLevel::off);
    auto s = open_sqlite_store({.path = ":memory:", .create = true}, clock_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    Branch t;
    t.name = "try";
    t.repo_url = "/r/try";
    t.required_level = 1;
    t.threshold = 1;
    ASSERT_TRUE(store_->create_branch(t, "t").ok());
    Branch c;
    c.name = "central";
    c.repo_url = "/r/central";
    c.pretest_branch = "try";
    c.required_level = 3;
    ASSERT_TRUE(store_->create_branch(c, "t").ok());
    directory_.add("dev@example.org", 3);
    directory_.add("rita@example.org", 3);
    directory_.add("junior@example.org", 1);
    bugs_.add_user({2, "dev@example.org", "dev@example.org", "Dana Dev [:dana]"});
    options_.grace_period_seconds = 60;
    options_.backoff_seconds = 30;
    options_.validation_concurrency = 1;  // the fakes are single-threaded
    queue_ = std::make_unique<Queue>(
        *store_, bugs_, directory_, clock_, [this](const Branch&) { return &vcs_; }, options_);
  }

  // Bug `bug` with one patch, review+ from `reviewer` ("" none), and the
  // marker the trigger leaves.
  PatchSet request(BugId bug, const std::string& branch, const std::string& reviewer = "rita@example.org",
                   const std::string& requester = "dev@example.org") {
    bugs_.add_bug(bug, "dev@example.org", "[autoland-in-queue]");
    Attachment a;
    a.id = bug * 10;
    a.description = "the fix";
    a.is_patch = true;
    a.data = exported("Bug " + std::to_string(bug) + " - fix r=rita", "f" + std::to_string(bug));
    if (!reviewer.empty()) a.flags.push_back({1, "review", "+", reviewer, ""});
    bugs_.add_attachment(bug, a);
    Branch b = *store_->get_branch(branch);
    auto ps = store_->create_patchset({.bug_id = bug,
                                       .patches = {a.id},
                                       .branch = branch,
                                       .stage = b.initial_stage(),
                                       .requester = requester,
                                       .request_key = "test/" + std::to_string(bug) + "/" + branch},
                                      "trigger");
    EXPECT_TRUE(ps.ok()) << ps.error().message;
    return *ps;
  }

  QueuePassStats pass() {
    auto s = queue_->pass();
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? *s : QueuePassStats{};
  }
  State state(const PatchSet& ps) { return store_->get_patchset(ps.id)->state; }
  PatchSet now(const PatchSet& ps) { return *store_->get_patchset(ps.id); }
  // The CI's verdict, as the results poller would step it.
  void green(const PatchSet& ps) {
    auto out = advance(*store_, clock_, now(ps), {.event = Event::results_green, .actor = "results"});
    ASSERT_TRUE(out.ok()) << out.error().message;
  }
  // The patches that reached `remote` (a try push adds its try-syntax commit too).
  size_t on(const std::string& remote) {
    size_t n = 0;
    for (const fakes::FakeChangeset& c : vcs_.remote(remote)) n += c.attachment != 0;
    return n;
  }

  ManualClock clock_{1'700'000'000};
  fakes::FakeBugTracker bugs_{clock_};
  fakes::FakeDirectory directory_;
  fakes::FakeVcs vcs_;
  std::unique_ptr<Store> store_;
  QueueOptions options_;
  std::unique_ptr<Queue> queue_;
};

TEST_F(QueueService, NothingMovesInTheGracePeriodThenTheTryRunIsPushedOnce) {
  PatchSet ps = request(1, "try");
  pass();
  EXPECT_EQ(state(ps), State::queued);
  clock_.advance(59);
  pass();
  EXPECT_EQ(state(ps), State::queued);
  clock_.advance(1);
  QueuePassStats s = pass();
  EXPECT_EQ(s.pushed, 1);
  EXPECT_EQ(state(ps), State::testing);
  EXPECT_EQ(now(ps).try_revision, vcs_.remote("/r/try").back().node);
  EXPECT_EQ(vcs_.remote("/r/try").back().summary.rfind("try: ", 0), 0u);  // the try syntax on top
  EXPECT_EQ(on("/r/try"), 1u);
  pass();
  EXPECT_EQ(on("/r/try"), 1u);  // never twice
}

TEST_F(QueueService, EveryBrokenRuleIsListedAndNothingIsPushed) {
  PatchSet ps = request(2, "central", /*reviewer=*/"junior@example.org", /*requester=*/"junior@example.org");
  clock_.advance(60);
  QueuePassStats s = pass();
  EXPECT_EQ(s.rejected, 1);
  PatchSet ended = now(ps);
  EXPECT_EQ(ended.state, State::rejected);
  EXPECT_NE(
      ended.state_reason.find("needs review+ from a reviewer with commit level 3 (junior@example.org has level 1)"),
      std::string::npos)
      << ended.state_reason;
  EXPECT_NE(ended.state_reason.find("junior@example.org (who asked) has commit level 1; central needs level 3"),
            std::string::npos)
      << ended.state_reason;
  EXPECT_EQ(vcs_.pushes, 0);
}

TEST_F(QueueService, OutagesOfTheDirectoryAndBugzillaOnlyDelay) {
  PatchSet ps = request(3, "try");
  clock_.advance(60);
  directory_.down = true;
  QueuePassStats s = pass();
  EXPECT_EQ(s.deferred, 1);
  EXPECT_EQ(state(ps), State::queued);
  EXPECT_EQ(now(ps).retries, 1);
  directory_.down = false;
  bugs_.fail("attachments", Error{ErrorKind::transient, "503"});
  clock_.advance(30);  // the first back-off
  pass();
  EXPECT_EQ(state(ps), State::queued);
  EXPECT_EQ(now(ps).retries, 2);
  clock_.advance(60);  // doubled
  pass();
  EXPECT_EQ(state(ps), State::testing);
}

TEST_F(QueueService, TheKillSwitchAndThePusherSwitchHoldEveryPush) {
  PatchSet ps = request(4, "try");
  clock_.advance(60);
  ASSERT_TRUE(set_kill_switch(*store_, true, "user:sam").ok());
  pass();
  pass();
  EXPECT_EQ(state(ps), State::waiting);
  ASSERT_TRUE(set_kill_switch(*store_, false, "user:sam").ok());
  ASSERT_TRUE(set_component(*store_, "pusher", false, "user:sam").ok());
  pass();
  EXPECT_EQ(state(ps), State::waiting);
  EXPECT_EQ(vcs_.pushes, 0);
  ASSERT_TRUE(set_component(*store_, "pusher", true, "user:sam").ok());
  pass();
  EXPECT_EQ(state(ps), State::testing);
}

TEST_F(QueueService, AClosedTreeHoldsTheLandingButNotItsTryRun) {
  ASSERT_TRUE(set_tree_status(*store_, "central", TreeStatus::closed, "bustage", "user:sam").ok());
  PatchSet ps = request(5, "central");
  clock_.advance(60);
  pass();
  EXPECT_EQ(state(ps), State::testing);  // its try run is not held
  EXPECT_EQ(on("/r/try"), 1u);
  green(ps);
  EXPECT_EQ(now(ps).stage, Stage::landing);
  for (int i = 0; i < 3; ++i) pass();
  EXPECT_EQ(state(ps), State::waiting);
  EXPECT_EQ(on("/r/central"), 0u);
  ASSERT_TRUE(set_tree_status(*store_, "central", TreeStatus::open, "", "user:sam").ok());
  pass();
  EXPECT_EQ(state(ps), State::testing);
  EXPECT_EQ(on("/r/central"), 1u);
  EXPECT_EQ(now(ps).landing_revision, vcs_.remote("/r/central").back().node);
  green(ps);
  EXPECT_EQ(state(ps), State::landed);
}

TEST_F(QueueService, TheThresholdBoundsPushesInFlightAndPriorityThenAgePicksTheNext) {
  PatchSet a = request(6, "try");
  clock_.advance(1);
  PatchSet b = request(7, "try");
  clock_.advance(1);
  PatchSet c = request(8, "try");
  ASSERT_TRUE(set_patchset_priority(*store_, c.id, 5, "user:sam").ok());
  clock_.advance(60);
  pass();
  EXPECT_EQ(state(c), State::testing);  // the highest priority first
  EXPECT_EQ(state(a), State::waiting);  // try's threshold is 1
  EXPECT_EQ(state(b), State::waiting);
  green(c);
  EXPECT_EQ(state(c), State::reported);
  pass();
  EXPECT_EQ(state(a), State::testing);  // then the oldest
  EXPECT_EQ(state(b), State::waiting);
  EXPECT_EQ(on("/r/try"), 2u);
}

TEST_F(QueueService, TheTryBudgetHoldsAutolandsOwnTryPushesAndSaysWhyInTheQueue) {
  Branch t = *store_->get_branch("try");
  t.threshold = 10;
  ASSERT_TRUE(store_->update_branch(t, "t").ok());
  options_.try_budget.max_in_flight = 1;
  options_.try_budget.max_pending_jobs = 500;
  int pending_on_try = 0;
  options_.try_pending_jobs = [&](const std::string& branch) -> Result<int> {
    EXPECT_EQ(branch, "try");
    return pending_on_try;
  };
  queue_ = std::make_unique<Queue>(
      *store_, bugs_, directory_, clock_, [this](const Branch&) { return &vcs_; }, options_);
  PatchSet a = request(6, "try");
  clock_.advance(1);
  PatchSet b = request(7, "central");  // its try run counts on try too
  clock_.advance(60);
  pass();
  EXPECT_EQ(state(a), State::testing);
  EXPECT_EQ(state(b), State::waiting);
  auto holds = decode_holds(store_->get_setting(std::string(kHoldsSetting))->value_or(""));
  ASSERT_EQ(holds.count(b.id), 1u);
  EXPECT_EQ(holds[b.id].code, HoldCode::try_busy);
  EXPECT_EQ(holds[b.id].reason, "try is busy: autoland has 1 try pushes in flight, its most (1)");

  // Room again, but people's jobs pile up on try: still held.
  green(a);
  pending_on_try = 501;
  pass();
  EXPECT_EQ(state(b), State::waiting);
  holds = decode_holds(store_->get_setting(std::string(kHoldsSetting))->value_or(""));
  EXPECT_EQ(holds[b.id].reason,
            "try is busy: 501 jobs wait there, above 500; autoland leaves it to people until they run");

  // A sheriff's priority goes past it.
  ASSERT_TRUE(set_patchset_priority(*store_, b.id, 1, "user:sam").ok());
  pass();
  EXPECT_EQ(state(b), State::testing);
  EXPECT_TRUE(decode_holds(store_->get_setting(std::string(kHoldsSetting))->value_or("")).empty());
}

TEST_F(QueueService, ALandingAndItsBackoutRecordWhatTheyWerePushedOn) {
  vcs_.push_elsewhere("/r/central", "someone's change");
  const std::string before = vcs_.remote("/r/central").back().node;
  PatchSet ps = request(5, "central");
  clock_.advance(60);
  pass();
  green(ps);
  pass();
  ASSERT_EQ(state(ps), State::testing);
  EXPECT_EQ(now(ps).landing_parent, before);
  auto red = advance(*store_, clock_, now(ps), {.event = Event::results_red, .actor = "results", .reason = "x"});
  ASSERT_TRUE(red.ok()) << red.error().message;
  pass();
  ASSERT_EQ(state(ps), State::backed_out);
  EXPECT_EQ(now(ps).backout_parent, now(ps).landing_revision);
  EXPECT_EQ(now(ps).backout_revision, vcs_.remote("/r/central").back().node);
}

TEST_F(QueueService, TakingTheMarkerOffInTheGracePeriodCancelsTheRequest) {
  PatchSet ps = request(9, "try");
  bugs_.edit_whiteboard(9, "", "dev@example.org");
  clock_.advance(60);
  QueuePassStats s = pass();
  EXPECT_EQ(s.withdrawn, 1);
  EXPECT_EQ(state(ps), State::cancelled);
  EXPECT_EQ(vcs_.pushes, 0);
}

}  // namespace
}  // namespace autoland
