// --post-to-bug: the push watcher against an in-memory store and a CI whose
// pushes and jobs the test writes.
#include "services/results/push_watcher.h"

#include <gtest/gtest.h>

#include "adapters/store/sqlite/sqlite_store.h"
#include "core/comments.h"
#include "services/transitions.h"
#include "tests/support/test_support.h"

namespace autoland {
namespace {

// Pushes are numbered from 1; the cursor is the number of the last one listed.
class PushLog : public CiResults {
 public:
  Result<std::vector<CiJob>> jobs(const std::string&, const std::string& revision) override {
    if (down) return transient("CI is down");
    auto it = results.find(revision);
    if (it == results.end()) return not_found("no jobs yet");
    return it->second;
  }
  Result<std::string> retrigger(const std::string&, const std::string&, const std::string&) override {
    ADD_FAILURE() << "somebody else's push must never be rerun";
    return invalid_input("no");
  }
  Result<CiPushPage> pushes_since(const std::string&, const std::string& cursor) override {
    if (down) return transient("CI is down");
    CiPushPage page;
    size_t from = cursor.empty() ? pushes.size() : std::stoul(cursor);
    for (size_t i = from; i < pushes.size() && page.pushes.size() < 2; ++i) page.pushes.push_back(pushes[i]);
    page.next_cursor = std::to_string(from + page.pushes.size());
    return page;
  }
  void push(const std::string& revision, const std::string& message) {
    pushes.push_back({revision, "Pat <pat@example.org>", message, 1'700'000'000});
  }
  void finish(const std::string& revision, JobResult build, JobResult test) {
    results[revision] = {{"1", "build", build, JobState::completed, "u1", "l1"},
                         {"2", "test", test, JobState::completed, "u2", "l2"}};
  }
  std::vector<CiPush> pushes;
  std::map<std::string, std::vector<CiJob>> results;
  bool down = false;
};

class PushWatcherTest : public ::testing::Test {
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
    try_branch.results_timeout_minutes = 60;
    ASSERT_TRUE(store_->create_branch(try_branch, "t").ok());
    Branch central;  // not a try branch: its pushes are never listed
    central.name = "central";
    central.repo_url = "/r/central";
    central.ci_source = "local";
    ASSERT_TRUE(store_->create_branch(central, "t").ok());
    watcher_ =
        std::make_unique<PushWatcher>(*store_, clock_, [this](const std::string&) -> CiResults* { return &ci_; });
  }
  PushWatchStats pass() {
    auto stats = watcher_->pass();
    EXPECT_TRUE(stats.ok()) << stats.error().message;
    return stats.ok() ? *stats : PushWatchStats{};
  }
  std::vector<OutboxComment> outbox() { return *store_->due_comments(clock_.now() + 1'000'000, 100); }

  ManualClock clock_;
  std::unique_ptr<Store> store_;
  PushLog ci_;
  std::unique_ptr<PushWatcher> watcher_;
};

const std::string kRev1(40, '1'), kRev2(40, '2'), kRev3(40, '3'), kRev4(40, '4');

TEST_F(PushWatcherTest, APushAskingForResultsGetsThemOnEachBugOnce) {
  ci_.push(kRev1, "old push from before autoland watched\ntry: -b do -p all --post-to-bug 9");
  pass();  // the first pass only takes a cursor: history is not reported
  EXPECT_EQ(*store_->get_setting(PushWatcher::cursor_key("try")), std::optional<std::string>("1"));

  ci_.push(kRev2, "Bug 42 - fix\n\ntry: -b do -p linux -u all --post-to-bug 42,43");
  ci_.push(kRev3, "try: -b o -p all");  // no bug asked for
  PushWatchStats first = pass();
  EXPECT_EQ(first.seen, 2);
  EXPECT_EQ(first.watched, 1);
  EXPECT_EQ(first.waiting, 1);
  EXPECT_TRUE(outbox().empty());

  ci_.finish(kRev2, JobResult::success, JobResult::testfailed);
  PushWatchStats second = pass();
  EXPECT_EQ(second.reported, 1);
  std::vector<OutboxComment> out = outbox();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].bug_id, 42);
  EXPECT_EQ(out[1].bug_id, 43);
  EXPECT_EQ(out[0].dedup_key, "push/try/222222222222/bug/42");
  EXPECT_EQ(out[0].body,
            "Autoland: the try push 222222222222 by Pat <pat@example.org> asked for its results on this bug "
            "(--post-to-bug). They are orange.\n"
            "Revision: " +
                kRev2 +
                "\n"
                "Results: 2 jobs: 1 success, 1 testfailed\n"
                "Failures:\n"
                "  testfailed: test l2\n"
                "autoland-dedup: push/try/222222222222/bug/42");
  EXPECT_EQ(pass().reported, 0);
  EXPECT_EQ(outbox().size(), 2u);
}

TEST_F(PushWatcherTest, AutolandsOwnPushesAreLeftToTheResultsPoller) {
  pass();
  PatchSet ps = testing::testing_patchset(
      *store_, clock_, {.bug_id = 5, .patches = {1}, .branch = "try", .stage = Stage::try_run}, kRev2);
  ASSERT_EQ(ps.state, State::testing);
  ci_.push(kRev2, "try: -b do -p all --post-to-bug 5");
  ci_.finish(kRev2, JobResult::success, JobResult::success);
  EXPECT_EQ(pass().watched, 0);
  EXPECT_TRUE(outbox().empty());
}

TEST_F(PushWatcherTest, AnAutolandPushNotYetRecordedIsKnownByItsIntent) {
  pass();
  // The pusher wrote its intent, pushed, and died before recording the
  // revision on the patchset: CI lists the push first.
  ASSERT_TRUE(store_->record_push_intent({"patchset/7/try", "try", {kRev1, kRev2}, 0}).ok());
  ci_.push(kRev2, "try: -b do -p all -n --post-to-bug 5");
  ci_.finish(kRev2, JobResult::success, JobResult::success);
  EXPECT_EQ(pass().watched, 0);
  EXPECT_TRUE(outbox().empty());
}

TEST_F(PushWatcherTest, APushWhoseBranchIsGoneIsDroppedAndBugListsAreCapped) {
  pass();
  std::string many = "try: -b do --post-to-bug 1";
  for (int b = 2; b <= 30; ++b) many += "," + std::to_string(b);
  ci_.push(kRev2, many);
  EXPECT_EQ(pass().watched, 1);
  auto watched = store_->unreported_pushes(10);
  ASSERT_EQ(watched->size(), 1u);
  EXPECT_EQ((*watched)[0].bugs.size(), 10u);  // the first ten only
  ASSERT_TRUE(store_->delete_branch("try", "sam").ok());
  EXPECT_EQ(pass().errors, 0);
  EXPECT_TRUE(store_->unreported_pushes(10)->empty());  // dropped, not retried forever
  EXPECT_TRUE(outbox().empty());
}

TEST_F(PushWatcherTest, ACrashBeforeTheCursorMovesWatchesNothingTwice) {
  pass();
  ci_.push(kRev2, "try: -b do -p all --post-to-bug 42");
  EXPECT_EQ(pass().watched, 1);
  // As if the process died after watching and before the cursor was written.
  ASSERT_TRUE(store_->set_cursor(PushWatcher::cursor_key("try"), "0").ok());
  EXPECT_EQ(pass().watched, 0);
  ci_.finish(kRev2, JobResult::success, JobResult::success);
  EXPECT_EQ(pass().reported, 1);
  // A report replayed by a second process is refused and adds nothing.
  auto again =
      store_->report_watched_push("try", kRev2, {{42, "push_results", "x", "push/try/222222222222/bug/42"}}, "t");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);
  EXPECT_EQ(outbox().size(), 1u);
}

TEST_F(PushWatcherTest, NoResultsByTheDeadlineSaysSoAndBadSyntaxIsIgnored) {
  pass();
  ci_.push(kRev2, "try: -b do -p all --post-to-bug 42");
  ci_.push(kRev3, "try: -b do --no-such-flag --post-to-bug 42");
  ci_.push(kRev4, "no try syntax at all --post-to-bug 42");
  EXPECT_EQ(pass().watched, 1);
  ci_.down = true;
  EXPECT_EQ(pass().errors, 2);  // CI down (listing and report): nothing reported, nothing lost
  ci_.down = false;
  clock_.advance(61 * 60);
  EXPECT_EQ(pass().reported, 1);
  std::vector<OutboxComment> out = outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].body.find("They were not complete after 60 minutes; autoland stopped waiting."), std::string::npos)
      << out[0].body;
}

}  // namespace
}  // namespace autoland
