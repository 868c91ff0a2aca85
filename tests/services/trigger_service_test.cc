// The trigger's rules on the in-memory Bugzilla fake and an in-memory store,
// on a manual clock: every refusal, the marker written once, a human's edit
// racing autoland's, and faults that must only delay.
#include <gtest/gtest.h>

#include "adapters/store/sqlite/sqlite_store.h"
#include "core/lifecycle.h"
#include "services/trigger/trigger.h"
#include "tests/fakes/fake_bug_tracker.h"
#include "util/log.h"

namespace autoland {
namespace {

std::string patch(int n) {
  std::string f = "f" + std::to_string(n);
  return "diff --git a/" + f + " b/" + f + "\n--- a/" + f + "\n+++ b/" + f + "\n@@ -1 +1 @@\n-a\n+b\n";
}

Attachment att(AttachmentId id, std::string summary, bool obsolete = false, bool is_patch = true) {
  Attachment a;
  a.id = id;
  a.description = std::move(summary);
  a.data = patch(static_cast<int>(id));
  a.is_obsolete = obsolete;
  a.is_patch = is_patch;
  a.creator = "dev@example.org";
  return a;
}

class TriggerService : public ::testing::Test {
 protected:
  void SetUp() override {
    util::set_log_level(util::LogLevel::off);
    auto s = open_sqlite_store({.path = ":memory:", .create = true}, clock_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    for (auto [name, pretest, enabled] : {std::tuple{"try", "", true}, std::tuple{"central", "try", true},
                                          std::tuple{"beta", "", true}, std::tuple{"old", "", false}}) {
      Branch b;
      b.name = name;
      b.repo_url = std::string("/r/") + name;
      b.pretest_branch = pretest;
      b.status = enabled ? BranchStatus::enabled : BranchStatus::disabled;
      ASSERT_TRUE(store_->create_branch(b, "t").ok());
    }
    options_.bot_login = "autoland-bot@example.org";
    options_.checkin_needed_branch = "central";
  }

  // A bug whose whiteboard `dev` set (so the history names who asked).
  void add_bug(BugId id, const std::string& whiteboard, std::vector<Attachment> atts) {
    bugs_.add_bug(id);
    for (Attachment& a : atts) bugs_.add_attachment(id, std::move(a));
    clock_.advance(1);
    bugs_.edit_whiteboard(id, whiteboard, "dev@example.org");
  }

  TriggerStats poll() {
    clock_.advance(1);
    Trigger t(*store_, bugs_, options_);
    auto s = t.poll_once();
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? *s : TriggerStats{};
  }

  std::vector<PatchSet> patchsets(BugId bug) {
    PatchSetQuery q;
    q.bug_id = bug;
    return *store_->find_patchsets(q);
  }

  // The refusal queued for the bug (the commenter posts it).
  std::string refusal(BugId bug) {
    auto due = store_->due_comments(INT64_MAX, 1000);
    for (const OutboxComment& c : *due) {
      if (c.bug_id == bug && c.kind == to_string(CommentKind::refused)) return c.body;
    }
    return "";
  }

  ManualClock clock_{1'700'000'000};
  fakes::FakeBugTracker bugs_{clock_};
  std::unique_ptr<Store> store_;
  TriggerOptions options_;
};

TEST_F(TriggerService, ATagBecomesOnePatchsetAndTheMarker) {
  add_bug(1, "x [autoland-try:12:11:-b do -p linux] y", {att(11, "a"), att(12, "b")});
  TriggerStats s = poll();
  EXPECT_EQ(s.patchsets_created, 1u);
  auto ps = patchsets(1);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].patches, (std::vector<AttachmentId>{12, 11}));
  EXPECT_EQ(ps[0].try_syntax, "-b do -p linux");
  EXPECT_EQ(ps[0].requester, "dev@example.org");
  EXPECT_EQ(ps[0].origin, RequestOrigin::whiteboard);
  EXPECT_EQ(bugs_.whiteboard(1), "x [autoland-in-queue] y");
  // Again: nothing new, nothing written.
  int updates = bugs_.calls("update_bug");
  EXPECT_EQ(poll().patchsets_created, 0u);
  EXPECT_EQ(bugs_.calls("update_bug"), updates);
  EXPECT_EQ(patchsets(1).size(), 1u);
}

TEST_F(TriggerService, EveryRefusalSaysWhyAndTakesTheTagOff) {
  add_bug(5, "[autoland-nowhere]", {att(51, "fix")});
  add_bug(6, "[autoland-old]", {att(61, "fix")});
  add_bug(7, "[autoland-try:71]", {att(71, "fix", /*obsolete=*/true)});
  add_bug(8, "[autoland-try:51]", {att(81, "fix")});
  add_bug(9, "[autoland-try:91]", {att(91, "log", false, /*is_patch=*/false)});
  add_bug(10, "[autoland-try]", {});
  Attachment evil = att(111, "evil");
  evil.data = "--- a/../x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n";
  add_bug(11, "keep [autoland-try] this", {evil});
  add_bug(12, "[autoland-try:-q nonsense]", {att(121, "fix")});
  add_bug(13, "[autoland-try", {att(131, "fix")});
  TriggerStats s = poll();
  EXPECT_EQ(s.refusals, 9u);
  EXPECT_EQ(s.patchsets_created, 0u);
  const std::map<BugId, std::string> says = {
      {5, "unknown branch 'nowhere' (known: beta, central, old, try)"},
      {6, "branch 'old' is disabled"},
      {7, "attachment 71 is obsolete"},
      {8, "attachment 51 is not on bug 8"},
      {9, "attachment 91 is not a patch"},
      {10, "bug 10 has no non-obsolete patch attached"},
      {11, "attachment 111 is not a patch autoland can apply: path '../x' climbs out of the repository"},
      {12, "bad try syntax"},
      {13, "is not closed: add ']' at its end"},
  };
  for (const auto& [bug, text] : says) {
    EXPECT_NE(refusal(bug).find(text), std::string::npos) << "bug " << bug << ": " << refusal(bug);
    EXPECT_TRUE(patchsets(bug).empty());
  }
  EXPECT_EQ(bugs_.whiteboard(11), "keep  this");  // the tag goes, every other byte stays
  EXPECT_EQ(bugs_.whiteboard(5), "");
  // Refused once: the next pass refuses nothing again.
  EXPECT_EQ(poll().refusals, 0u);
  EXPECT_EQ(store_->due_comments(INT64_MAX, 100)->size(), 9u);
}

TEST_F(TriggerService, AHumanEditRacingTheMarkerIsKept) {
  add_bug(2, "[autoland-try] note", {att(21, "fix")});
  bool edited = false;
  bugs_.before_update = [&](BugId bug) {
    if (edited) return;
    edited = true;
    bugs_.edit_whiteboard(bug, "[autoland-try] note [perf]", "dev@example.org");
  };
  poll();
  EXPECT_TRUE(edited);
  EXPECT_EQ(patchsets(2).size(), 1u);
  EXPECT_EQ(bugs_.whiteboard(2), "[autoland-in-queue] note [perf]");  // their [perf] kept, the tag replaced once
}

TEST_F(TriggerService, TheKeywordAsksForTheMappedBranch) {
  bugs_.add_bug(3);
  bugs_.add_attachment(3, att(31, "fix"));
  clock_.advance(1);
  bugs_.edit_keywords(3, {"checkin-needed"}, "dev@example.org");
  poll();
  auto ps = patchsets(3);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].branch, "central");
  EXPECT_EQ(ps[0].origin, RequestOrigin::keyword);
  EXPECT_EQ(ps[0].requester, "dev@example.org");
  EXPECT_EQ(bugs_.whiteboard(3), "[autoland-in-queue]");
}

TEST_F(TriggerService, ABugzillaOutageOnlyDelays) {
  add_bug(4, "[autoland-try]", {att(41, "fix")});
  bugs_.fail("attachments", Error{ErrorKind::transient, "Bugzilla is down (503)"}, 1);
  TriggerStats first = poll();
  EXPECT_EQ(first.patchsets_created, 0u);
  EXPECT_EQ(first.refusals, 0u);  // nobody is told off for an outage
  EXPECT_EQ(bugs_.whiteboard(4), "[autoland-try]");
  EXPECT_EQ(poll().patchsets_created, 1u);
  EXPECT_EQ(bugs_.whiteboard(4), "[autoland-in-queue]");
}

// Found by review: a failure that is neither temporary nor the bug's being
// gone (here an answer without the attachment's bytes) moved the cursor past
// the bug, and its request was never read again.
TEST_F(TriggerService, ARequestThatFailedForAnyOtherReasonIsReadAgain) {
  add_bug(7, "[autoland-try]", {att(71, "fix")});
  clock_.advance(3600);  // another bug changes much later: the cursor could pass bug 7 by far
  add_bug(8, "[autoland-try]", {att(81, "fix")});
  bugs_.fail("attachments", Error{ErrorKind::internal, "the attachment came back without its data"});
  TriggerStats first = poll();
  EXPECT_EQ(first.patchsets_created, 1u);  // bug 8's
  EXPECT_EQ(first.refusals, 0u);
  EXPECT_EQ(bugs_.whiteboard(7), "[autoland-try]");
  EXPECT_EQ(poll().patchsets_created, 1u);  // bug 7's, read again
  EXPECT_EQ(bugs_.whiteboard(7), "[autoland-in-queue]");
}

// Over the limit, a request is refused for it whatever else is wrong with
// it, as through the API (attachment 999 is not on the bug).
TEST_F(TriggerService, ARequestOverTheLimitIsRefusedForItFirst) {
  options_.limits.per_bug = 1;
  add_bug(20, "[autoland-try:201] [autoland-beta:999]", {att(201, "fix")});
  TriggerStats s = poll();
  EXPECT_EQ(s.patchsets_created, 1u);
  EXPECT_EQ(s.refusals, 1u);
  EXPECT_NE(refusal(20).find("queue.max_requests_per_bug"), std::string::npos) << refusal(20);
  EXPECT_EQ(refusal(20).find("is not on bug"), std::string::npos) << refusal(20);
  ASSERT_EQ(patchsets(20).size(), 1u);
  EXPECT_EQ(patchsets(20)[0].branch, "try");
}

TEST_F(TriggerService, APrivateBugIsNeverSeen) {
  add_bug(6, "[autoland-try]", {att(61, "fix")});
  bugs_.set_private(6, true);
  EXPECT_EQ(poll().bugs_seen, 0u);
  EXPECT_TRUE(patchsets(6).empty());
}

}  // namespace
}  // namespace autoland
