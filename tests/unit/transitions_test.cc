#include "services/transitions.h"

#include <gtest/gtest.h>

#include "adapters/store/sqlite/sqlite_store.h"

namespace autoland {
namespace {

class Transitions : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite_store({.path = ":memory:", .create = true}, clock_);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    Branch try_branch;
    try_branch.name = "try";
    try_branch.repo_url = "/r/try";
    try_branch.required_level = 1;
    ASSERT_TRUE(store_->create_branch(try_branch, "t").ok());
    Branch central;
    central.name = "central";
    central.repo_url = "/r/central";
    central.pretest_branch = "try";
    ASSERT_TRUE(store_->create_branch(central, "t").ok());
    auto p = store_->create_patchset({.bug_id = 9, .patches = {1}, .branch = "central", .stage = Stage::try_run}, "t");
    ASSERT_TRUE(p.ok());
    ps_ = *p;
  }

  PatchSet go(Event e, StepRequest r = {}) {
    r.event = e;
    r.actor = "queue";
    auto out = advance(*store_, clock_, ps_, r);
    EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
    if (out.ok()) ps_ = out->patchset;
    return ps_;
  }

  ManualClock clock_{1'700'000'000};
  std::unique_ptr<Store> store_;
  PatchSet ps_;
};

TEST_F(Transitions, WalksTryThenLanding) {
  go(Event::start_validation);
  go(Event::validated);
  go(Event::start_push);
  clock_.advance(5);
  StepRequest pushed;
  pushed.changes.try_revision = "abc";
  go(Event::pushed, pushed);
  EXPECT_EQ(ps_.push_time, 1'700'000'005);
  EXPECT_EQ(ps_.try_revision, "abc");
  go(Event::results_green);
  EXPECT_EQ(ps_.state, State::waiting);
  EXPECT_EQ(ps_.stage, Stage::landing);
  auto comments = store_->comments_for(ps_.id);
  ASSERT_EQ(comments->size(), 1u);
  EXPECT_EQ((*comments)[0].kind, "try_results");
  EXPECT_NE((*comments)[0].body.find("Revision: abc"), std::string::npos);
  EXPECT_EQ(find_dedup_marker((*comments)[0].body), (*comments)[0].dedup_key);
  EXPECT_FALSE(ps_.completion_time.has_value());

  go(Event::start_push);
  go(Event::pushed);
  clock_.advance(100);
  go(Event::results_green);
  EXPECT_EQ(ps_.state, State::landed);
  EXPECT_EQ(ps_.completion_time, 1'700'000'105);
}

TEST_F(Transitions, RetryStartsAfresh) {
  go(Event::start_validation);
  go(Event::validated);
  go(Event::start_push);
  go(Event::pushed);
  go(Event::results_green);
  ASSERT_EQ(ps_.stage, Stage::landing);
  go(Event::start_push);
  go(Event::pushed);
  StepRequest red;
  red.report = judge({{"1", "build", JobResult::busted, "", ""}}, 2);
  go(Event::results_red, red);
  EXPECT_EQ(ps_.state, State::backing_out);
  go(Event::push_deferred);  // a push race: still backing out
  EXPECT_EQ(ps_.state, State::backing_out);
  go(Event::backout_failed);
  EXPECT_EQ(ps_.state, State::failed);
  EXPECT_TRUE(ps_.push_time.has_value());
  EXPECT_TRUE(ps_.completion_time.has_value());
  go(Event::retry);
  EXPECT_EQ(ps_.state, State::queued);
  EXPECT_EQ(ps_.stage, Stage::try_run);
  EXPECT_EQ(store_->comments_for(ps_.id)->back().kind, kRestoreMarkerAction);
  EXPECT_FALSE(ps_.push_time.has_value());
  EXPECT_FALSE(ps_.completion_time.has_value());
}

TEST_F(Transitions, IllegalEventNamesBugAndWritesNothing) {
  auto out = advance(*store_, clock_, ps_, {.event = Event::pushed, .actor = "pusher"});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message,
            "patchset " + std::to_string(ps_.id) + " (bug 9): cannot apply 'pushed' to a patchset that is queued");
  EXPECT_EQ(store_->get_patchset(ps_.id)->version, ps_.version);
}

TEST_F(Transitions, ReplayedStepAfterSuccessIsAConflictNotADoubleComment) {
  go(Event::start_validation);
  StepRequest reject;
  reject.event = Event::rule_broken;
  reject.actor = "queue";
  reject.problems = {"no reviewer"};
  PatchSet before = ps_;
  auto first = advance(*store_, clock_, before, reject);
  ASSERT_TRUE(first.ok());
  auto replay = advance(*store_, clock_, before, reject);  // a repeated bus message with stale state
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.error().kind, ErrorKind::conflict);
  auto outbox = store_->comments_for(ps_.id);
  ASSERT_EQ(outbox->size(), 2u);  // one rejection comment, one marker release
  EXPECT_EQ((*outbox)[0].kind, "rejected");
  EXPECT_EQ((*outbox)[1].kind, kReleaseMarkerAction);
}

TEST_F(Transitions, EndingReleasesTheMarkerInTheSameTransaction) {
  go(Event::start_validation);
  go(Event::validated);
  go(Event::start_push);
  go(Event::pushed);
  go(Event::results_green);  // try green: goes on to land, marker stays
  auto so_far = store_->comments_for(ps_.id);
  ASSERT_TRUE(so_far.ok());
  for (const auto& c : *so_far) EXPECT_NE(c.kind, kReleaseMarkerAction);
  go(Event::start_push);
  go(Event::pushed);
  go(Event::results_green);
  auto outbox = store_->comments_for(ps_.id);
  ASSERT_EQ(outbox->size(), 3u);
  EXPECT_EQ((*outbox)[2].kind, kReleaseMarkerAction);
  EXPECT_EQ((*outbox)[2].bug_id, 9u);
}

TEST_F(Transitions, TryOnlyRequestIsReportedNotLanded) {
  auto p = store_->create_patchset({.bug_id = 3, .patches = {1}, .branch = "try", .stage = Stage::try_run}, "t");
  ASSERT_TRUE(p.ok());
  ps_ = *p;
  go(Event::start_validation);
  go(Event::validated);
  go(Event::start_push);
  go(Event::pushed);
  go(Event::results_green);
  EXPECT_EQ(ps_.state, State::reported);
  EXPECT_NE(store_->comments_for(ps_.id)->front().body.find("the try run of patchset"), std::string::npos);
}

}  // namespace
}  // namespace autoland
