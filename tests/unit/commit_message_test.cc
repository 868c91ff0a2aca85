#include "core/commit_message.h"

#include <gtest/gtest.h>

namespace autoland {
namespace {

using Names = std::vector<std::string>;

TEST(CommitMessage, TypicalSummary) {
  CommitMessageInfo i = parse_commit_message("Bug 123 - Fix the thing r=alice\n\nDetails here.");
  EXPECT_EQ(i.summary, "Bug 123 - Fix the thing r=alice");
  EXPECT_EQ(i.bugs, std::vector<BugId>{123});
  EXPECT_EQ(i.reviewers, Names{"alice"});
  EXPECT_TRUE(landing_message_problems(i, 123).empty());
}

TEST(CommitMessage, ReviewerForms) {
  EXPECT_EQ(parse_commit_message("Bug 1 - x r=alice,bob").reviewers, (Names{"alice", "bob"}));
  EXPECT_EQ(parse_commit_message("Bug 1 - x r=alice r=bob").reviewers, (Names{"alice", "bob"}));
  EXPECT_EQ(parse_commit_message("Bug 1 - x; r=alice+bob.").reviewers, (Names{"alice", "bob"}));
  EXPECT_EQ(parse_commit_message("Bug 1 - x (r=:alice)").reviewers, (Names{"alice"}));
  EXPECT_EQ(parse_commit_message("Bug 1 - x R=Alice").reviewers, (Names{"Alice"}));
  CommitMessageInfo i = parse_commit_message("Bug 1 - x r=a sr=b ui-r=c a=release");
  EXPECT_EQ(i.reviewers, Names{"a"});
  EXPECT_EQ(i.superreviewers, Names{"b"});
  EXPECT_EQ(i.ui_reviewers, Names{"c"});
  EXPECT_EQ(i.approvers, Names{"release"});
}

TEST(CommitMessage, NotAReviewInsideAWord) {
  CommitMessageInfo i = parse_commit_message("Bug 1 - set color=red and data=5");
  EXPECT_TRUE(i.reviewers.empty());
  EXPECT_TRUE(i.approvers.empty());
}

TEST(CommitMessage, ReviewRequestedOnly) {
  CommitMessageInfo i = parse_commit_message("Bug 9 - x r?bob");
  EXPECT_TRUE(i.review_requested);
  EXPECT_TRUE(i.reviewers.empty());
  EXPECT_EQ(landing_message_problems(i, 9), Names{"review was only requested (r?), not given (r=)"});
}

TEST(CommitMessage, ReviewersFromTheFlagsStandInForAMissingRequals) {
  CommitMessageInfo i = parse_commit_message("Bug 9 - x");
  EXPECT_TRUE(landing_message_problems(i, 9, /*reviewers_from_flags=*/true).empty());
  EXPECT_EQ(landing_message_problems(i, 9), Names{"the summary names no reviewer (r=NAME)"});
  // The other rules still hold.
  EXPECT_EQ(landing_message_problems(parse_commit_message("Bug 8 - x"), 9, true),
            Names{"the summary names bug 8, not bug 9"});
}

TEST(CommitMessage, BugForms) {
  EXPECT_EQ(parse_commit_message("bug 5: x").bugs, std::vector<BugId>{5});
  EXPECT_EQ(parse_commit_message("Bug #6 - x").bugs, std::vector<BugId>{6});
  EXPECT_EQ(parse_commit_message("Bug 7, bug 8 - x").bugs, (std::vector<BugId>{7, 8}));
  EXPECT_TRUE(parse_commit_message("Debug 7 - x").bugs.empty());
  EXPECT_TRUE(parse_commit_message("Bugfix for 7").bugs.empty());
}

TEST(CommitMessage, Flags) {
  CommitMessageInfo i = parse_commit_message("Bug 1 - x r=a DONTBUILD CLOSED TREE");
  EXPECT_TRUE(i.dont_build);
  EXPECT_TRUE(i.closed_tree);
  EXPECT_FALSE(parse_commit_message("Bug 1 - closed tree r=a").closed_tree);
}

TEST(CommitMessage, LandingRuleReportsEveryProblem) {
  CommitMessageInfo i = parse_commit_message("Fix it\n\ntry: -b do -p all");
  EXPECT_EQ(landing_message_problems(i, 42), (Names{
                                                 "the summary names no bug; start it with \"Bug 42 - \"",
                                                 "the summary names no reviewer (r=NAME)",
                                                 "the message carries try syntax, which never lands on trunk",
                                             }));
  EXPECT_EQ(landing_message_problems(parse_commit_message("Bug 41 - x r=a"), 42),
            Names{"the summary names bug 41, not bug 42"});
}

TEST(CommitMessage, WindowsLineEndingsAndUtf8) {
  CommitMessageInfo i = parse_commit_message("Bug 3 - Überarbeitung r=jörg\r\nbody");
  EXPECT_EQ(i.summary, "Bug 3 - Überarbeitung r=jörg");
  EXPECT_EQ(i.reviewers, Names{"jörg"});
}

TEST(CommitMessage, AddReviewers) {
  EXPECT_EQ(add_reviewers_to_message("Bug 1 - x\n\nbody", {"alice", "bob"}), "Bug 1 - x r=alice,bob\n\nbody");
  EXPECT_EQ(add_reviewers_to_message("Bug 1 - x r=carol", {"alice"}), "Bug 1 - x r=carol");
  EXPECT_EQ(add_reviewers_to_message("Bug 1 - x", {}), "Bug 1 - x");
}

}  // namespace
}  // namespace autoland
