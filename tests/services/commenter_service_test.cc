// The commenter's exactly-once and patience rules on the in-memory Bugzilla
// fake, an in-memory store and a manual clock: backoff, leases, a lost
// answer, a crash between posting and recording, bugs that vanish, limits.
#include <gtest/gtest.h>

#include "adapters/store/sqlite/sqlite_store.h"
#include "core/comments.h"
#include "services/commenter/commenter.h"
#include "tests/fakes/fake_bug_tracker.h"
#include "util/log.h"

namespace autoland {
namespace {

class CommenterService : public ::testing::Test {
 protected:
  void SetUp() override {
    util::set_log_level(util::LogLevel::off);
    auto s = open_sqlite_store({.path = ":memory:", .create = true}, clock_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    options_.bot_login = "autoland-bot@example.org";
    options_.backoff_base_seconds = 30;
    options_.backoff_max_seconds = 3600;
    options_.lease_seconds = 300;
    for (BugId b : {1, 2, 3}) bugs_.add_bug(b);
  }

  int64_t queue(BugId bug, const std::string& body, const std::string& key) {
    auto id = store_->enqueue_comment({bug, "note", body, key}, std::nullopt);
    EXPECT_TRUE(id.ok() && id->has_value());
    return id.ok() && id->has_value() ? **id : 0;
  }

  CommenterStats drain() {
    Commenter c(*store_, bugs_, clock_, options_);
    auto s = c.drain_once();
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? *s : CommenterStats{};
  }

  // How many comments on `bug` carry `key` as their dedup marker.
  int on_bug(BugId bug, const std::string& key) {
    int n = 0;
    for (const BugComment& c : bugs_.posted(bug)) n += find_dedup_marker(c.text) == key;
    return n;
  }

  ManualClock clock_{1'700'000'000};
  fakes::FakeBugTracker bugs_{clock_};
  std::unique_ptr<Store> store_;
  CommenterOptions options_;
};

TEST_F(CommenterService, AnOutageBacksOffDoublingUpToTheCapThenPostsOnce) {
  int64_t id = queue(1, "try run finished", "ps1/results");
  bugs_.fail("post_comment", Error{ErrorKind::transient, "503 Service Unavailable"}, 9);
  std::vector<UnixTime> waits;
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(drain().deferred, 1u) << "attempt " << i + 1;
    OutboxComment c = *store_->get_comment(id);
    waits.push_back(c.next_attempt_time - clock_.now());
    EXPECT_EQ(drain().deferred, 0u);  // not due yet: nothing is tried
    clock_.set(c.next_attempt_time);
  }
  EXPECT_EQ(waits, (std::vector<UnixTime>{30, 60, 120, 240, 480, 960, 1920, 3600, 3600}));
  EXPECT_EQ(drain().posted, 1u);
  EXPECT_EQ(on_bug(1, "ps1/results"), 1);
  EXPECT_EQ(store_->get_comment(id)->state, CommentState::posted);
}

TEST_F(CommenterService, ALostAnswerIsLookedForAfterTheLeaseAndNeverPostedTwice) {
  int64_t id = queue(1, "landed", "ps2/landed");
  Error lost{ErrorKind::transient, "timed out waiting for Bugzilla"};
  lost.outcome_unknown = true;
  bugs_.fail_after("post_comment", lost);
  EXPECT_EQ(drain().deferred, 1u);
  EXPECT_EQ(on_bug(1, "ps2/landed"), 1);  // it did go out
  // Not before the lease: a proxy may still deliver it.
  EXPECT_EQ(store_->get_comment(id)->next_attempt_time, clock_.now() + options_.lease_seconds);
  clock_.advance(options_.lease_seconds);
  CommenterStats s = drain();
  EXPECT_EQ(s.found_already_posted, 1u);
  EXPECT_EQ(s.posted, 0u);
  EXPECT_EQ(on_bug(1, "ps2/landed"), 1);
  EXPECT_EQ(store_->get_comment(id)->state, CommentState::posted);
}

TEST_F(CommenterService, AClaimHeldByACrashedDrainWaitsForItsLease) {
  int64_t id = queue(2, "refused", "bug2/refused");
  // Another drain claimed it and died before posting.
  ASSERT_TRUE(store_->record_comment_attempt(id, 0, clock_.now() + options_.lease_seconds).ok());
  EXPECT_EQ(drain().posted, 0u);  // hidden while the lease runs
  clock_.advance(options_.lease_seconds);
  CommenterStats s = drain();
  EXPECT_EQ(s.posted, 1u);  // looked for first, not there, posted now
  EXPECT_EQ(bugs_.calls("comments"), 1);
  EXPECT_EQ(on_bug(2, "bug2/refused"), 1);
}

TEST_F(CommenterService, ACrashAfterPostingFindsTheCommentInsteadOfPostingAgain) {
  int64_t id = queue(2, "backed out", "ps3/backout");
  // The crashed drain claimed it and posted it; it never recorded the post.
  ASSERT_TRUE(store_->record_comment_attempt(id, 0, clock_.now() + options_.lease_seconds).ok());
  ASSERT_TRUE(bugs_.post_comment(2, with_dedup_marker("backed out", "ps3/backout")).ok());
  clock_.advance(options_.lease_seconds);
  EXPECT_EQ(drain().found_already_posted, 1u);
  EXPECT_EQ(on_bug(2, "ps3/backout"), 1);
  // A look-alike from someone else does not count: only the bot's own.
  int64_t other = queue(3, "note", "ps4/note");
  ASSERT_TRUE(store_->record_comment_attempt(other, 0, clock_.now()).ok());
  bugs_.add_comment(3, with_dedup_marker("quoting the bot", "ps4/note"), "mallory@example.org");
  clock_.advance(1);
  EXPECT_EQ(drain().posted, 1u);
  EXPECT_EQ(on_bug(3, "ps4/note"), 2);  // mallory's and the bot's own
  EXPECT_EQ(bugs_.posted(3).back().creator, "autoland-bot@example.org");
}

TEST_F(CommenterService, ABugThatTurnedPrivateDropsItsCommentsOnce) {
  queue(3, "one", "a/1");
  queue(3, "two", "a/2");
  int64_t elsewhere = queue(1, "three", "a/3");
  bugs_.set_private(3, true);
  CommenterStats s = drain();
  EXPECT_EQ(s.dropped, 1u);  // the first drops both
  EXPECT_EQ(s.posted, 1u);   // another bug's goes on
  EXPECT_EQ(store_->get_comment(elsewhere)->state, CommentState::posted);
  EXPECT_EQ(bugs_.calls("post_comment"), 2);  // bug 3 answered "not authorized" once; its second was never tried
  clock_.advance(3600);
  EXPECT_EQ(drain().dropped, 0u);
}

TEST_F(CommenterService, AnEntryIsDroppedAfterMaxAttemptsWithItsLastError) {
  options_.max_attempts = 3;
  int64_t id = queue(1, "x", "k/x");
  bugs_.fail("post_comment", Error{ErrorKind::transient, "still down"}, 10);
  for (int i = 0; i < 3; ++i) {
    drain();
    clock_.advance(options_.backoff_max_seconds);
  }
  EXPECT_EQ(drain().dropped, 1u);
  OutboxComment c = *store_->get_comment(id);
  EXPECT_EQ(c.state, CommentState::dropped);
  EXPECT_NE(c.last_error.find("gave up after 3 attempts; last error: still down"), std::string::npos) << c.last_error;
}

TEST_F(CommenterService, ARunawayBugIsRateLimitedWithoutHoldingOthersBack) {
  options_.max_per_bug_per_hour = 2;
  for (int i = 0; i < 4; ++i) queue(1, "n" + std::to_string(i), "flood/" + std::to_string(i));
  queue(2, "other", "calm/1");
  Commenter c(*store_, bugs_, clock_, options_);  // one commenter: its limits count across passes
  CommenterStats first = *c.drain_once();
  EXPECT_EQ(first.posted, 3u);  // two on bug 1, one on bug 2
  EXPECT_EQ(first.rate_limited, 2u);
  clock_.advance(3600);
  EXPECT_EQ(c.drain_once()->posted, 2u);
  int flood = 0;
  for (int i = 0; i < 4; ++i) flood += on_bug(1, "flood/" + std::to_string(i));
  EXPECT_EQ(flood, 4);
}

// Two commenters (two hosts) share one limit: what counts is what the store
// says was posted, by either of them, and it outlives a restart.
TEST_F(CommenterService, TheRateLimitHoldsAcrossCommentersAndRestarts) {
  options_.max_per_bug_per_hour = 3;
  for (int i = 0; i < 6; ++i) queue(1, "n" + std::to_string(i), "flood/" + std::to_string(i));
  options_.batch_size = 2;
  Commenter first(*store_, bugs_, clock_, options_);
  Commenter second(*store_, bugs_, clock_, options_);
  EXPECT_EQ(first.drain_once()->posted, 2u);
  CommenterStats other = *second.drain_once();
  EXPECT_EQ(other.posted, 1u) << "the second commenter counted only its own posts";
  EXPECT_EQ(other.rate_limited, 1u);
  clock_.advance(60);
  Commenter restarted(*store_, bugs_, clock_, options_);
  EXPECT_EQ(restarted.drain_once()->posted, 0u) << "a restart forgot the hour's posts";
  int flood = 0;
  for (int i = 0; i < 6; ++i) flood += on_bug(1, "flood/" + std::to_string(i));
  EXPECT_EQ(flood, 3);
  clock_.advance(3600);
  EXPECT_EQ(restarted.drain_once()->posted, 2u);
}

// An entry another poster holds (its lease runs) meets the rate limit: it
// steps aside without moving that claim's lease.
TEST_F(CommenterService, ARateLimitedEntryClaimedElsewhereKeepsItsLease) {
  options_.max_per_bug_per_hour = 1;
  queue(1, "first", "a/1");
  EXPECT_EQ(drain().posted, 1u);
  int64_t id = queue(1, "second", "a/2");
  ASSERT_TRUE(store_->record_comment_attempt(id, 0, clock_.now() + options_.lease_seconds).ok());
  clock_.advance(options_.lease_seconds);  // due again: the claimer is slow, not dead
  ASSERT_TRUE(store_->record_comment_attempt(id, 1, clock_.now() + options_.lease_seconds).ok());
  Commenter c(*store_, bugs_, clock_, options_);
  auto delivered = c.deliver(id);
  ASSERT_FALSE(delivered.ok());
  EXPECT_EQ(delivered.error().kind, ErrorKind::transient);
  EXPECT_EQ(store_->get_comment(id)->next_attempt_time, clock_.now() + options_.lease_seconds);
}

}  // namespace
}  // namespace autoland
