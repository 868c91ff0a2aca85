// The pusher's crash recovery on the VCS fake and an in-memory store: a push
// or backout killed on either side of the remote taking it is redone, or
// found, never made twice.
#include <gtest/gtest.h>

#include "adapters/store/sqlite/sqlite_store.h"
#include "services/pusher/pusher.h"
#include "tests/fakes/fake_vcs.h"
#include "util/log.h"

namespace autoland {
namespace {

using fakes::FakeVcs;

std::string exported(const std::string& summary) {
  return "# HG changeset patch\n# User Dana <dana@example.org>\n" + summary +
         "\n\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n";
}

class PusherService : public ::testing::Test {
 protected:
  void SetUp() override {
    util::set_log_level(util::LogLevel::off);
    auto s = open_sqlite_store({.path = ":memory:", .create = true}, clock_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    central_.name = "central";
    central_.repo_url = "/r/central";
    vcs_.push_elsewhere("/r/central", "the base");
  }

  PushSpec landing() {
    PushSpec spec;
    static_cast<RemoteSpec&>(spec) = remote_of(central_, 3);
    spec.patches = {{.attachment_id = 11, .text = exported("Bug 5 - one r=rita")},
                    {.attachment_id = 12, .text = exported("Bug 5 - two r=rita")}};
    return spec;
  }

  int copies(const std::string& summary) {
    int n = 0;
    for (const fakes::FakeChangeset& c : vcs_.remote("/r/central")) n += c.summary == summary;
    return n;
  }

  ManualClock clock_{1'700'000'000};
  std::unique_ptr<Store> store_;
  FakeVcs vcs_;
  Branch central_;
};

TEST_F(PusherService, KilledAfterTheRemoteTookItTheNextRunFindsItInsteadOfPushingAgain) {
  Pusher pusher(*store_, vcs_);
  vcs_.script(FakeVcs::Script::crash_after);
  auto first = pusher.push(push_intent_key(5, Stage::landing), landing());
  ASSERT_FALSE(first.ok());
  EXPECT_TRUE(first.error().outcome_unknown);
  EXPECT_EQ(copies("Bug 5 - one r=rita"), 1);

  Pusher restarted(*store_, vcs_);
  auto again = restarted.push(push_intent_key(5, Stage::landing), landing());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->resumed);
  EXPECT_EQ(again->outcome.nodes.size(), 2u);
  EXPECT_EQ(again->outcome.tip, vcs_.remote("/r/central").back().node);
  EXPECT_EQ(copies("Bug 5 - one r=rita"), 1);
  EXPECT_EQ(copies("Bug 5 - two r=rita"), 1);
  EXPECT_EQ(vcs_.pushes, 2);
}

TEST_F(PusherService, KilledBeforeThePushLeftTheNextRunPushesOnce) {
  Pusher pusher(*store_, vcs_);
  vcs_.script(FakeVcs::Script::crash_before);
  ASSERT_FALSE(pusher.push(push_intent_key(5, Stage::landing), landing()).ok());
  auto intent = store_->get_push_intent(push_intent_key(5, Stage::landing));
  ASSERT_TRUE(intent.ok() && intent->has_value());  // written before anything left
  EXPECT_EQ((*intent)->nodes.size(), 2u);
  EXPECT_EQ(copies("Bug 5 - one r=rita"), 0);

  auto again = Pusher(*store_, vcs_).push(push_intent_key(5, Stage::landing), landing());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again->resumed);
  EXPECT_EQ(copies("Bug 5 - one r=rita"), 1);
  EXPECT_EQ(vcs_.pushes, 2);
}

TEST_F(PusherService, ARaceIsRedoneOnTheNewTipAndItsIntentRecordedAgain) {
  vcs_.script(FakeVcs::Script::race);
  auto pushed = Pusher(*store_, vcs_).push(push_intent_key(6, Stage::landing), landing());
  ASSERT_TRUE(pushed.ok()) << pushed.error().message;
  EXPECT_EQ(pushed->outcome.races, 1);
  auto intent = store_->get_push_intent(push_intent_key(6, Stage::landing));
  ASSERT_TRUE(intent.ok() && intent->has_value());
  EXPECT_EQ((*intent)->nodes, pushed->outcome.nodes);  // what landed, not what was first made
  // A second call with the same key answers from the remote.
  auto again = Pusher(*store_, vcs_).push(push_intent_key(6, Stage::landing), landing());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->resumed);
  EXPECT_EQ(vcs_.pushes, 2);
}

TEST_F(PusherService, ARefusedPushWritesNothingAndLeavesNoIntent) {
  vcs_.script(FakeVcs::Script::refuse);
  auto refused = Pusher(*store_, vcs_).push(push_intent_key(7, Stage::landing), landing());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::conflict);
  EXPECT_FALSE(store_->get_push_intent(push_intent_key(7, Stage::landing))->has_value());
  EXPECT_EQ(vcs_.pushes, 0);
}

TEST_F(PusherService, ABackoutKilledAfterLandingIsFoundNotRepeated) {
  auto landed = Pusher(*store_, vcs_).push(push_intent_key(8, Stage::landing), landing());
  ASSERT_TRUE(landed.ok());
  BackoutSpec spec;
  static_cast<RemoteSpec&>(spec) = remote_of(central_, 3);
  spec.revisions = landed->outcome.nodes;
  spec.bug_id = 5;
  spec.reason = "bustage";
  vcs_.script(FakeVcs::Script::crash_after);
  ASSERT_FALSE(Pusher(*store_, vcs_).back_out(backout_intent_key(8), spec).ok());
  auto again = Pusher(*store_, vcs_).back_out(backout_intent_key(8), spec);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->resumed);
  EXPECT_EQ(copies("Backed out 2 changesets (bug 5) for bustage"), 1);
}

}  // namespace
}  // namespace autoland
