#include "core/landing_rules.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace autoland {
namespace {

std::string exported(const std::string& summary, const std::string& user = "Dana <dana@example.org>") {
  return "# HG changeset patch\n# User " + user + "\n" + summary +
         "\n\ndiff --git a/f.txt b/f.txt\nnew file mode 100644\n--- /dev/null\n+++ b/f.txt\n@@ -0,0 +1 @@\n+x\n";
}

PatchUnderReview patch(AttachmentId id, std::string text, std::vector<ReviewFlag> flags = {}) {
  return {id, false, "dana@example.org", std::move(text), std::move(flags)};
}

LandingCheck trunk_check(std::vector<PatchUnderReview> patches) {
  LandingCheck c;
  c.bug_id = 5;
  c.requester = "Dana@Example.org";
  c.branch = "central";
  c.trunk = true;
  c.required_level = 3;
  c.patches = std::move(patches);
  return c;
}

const CommitLevels kLevels = {{"dana@example.org", 3}, {"rita@example.org", 3}, {"lou@example.org", 1}};

TEST(LandingRules, AReviewedPatchAskedForByALevelThreeLands) {
  LandingCheck c = trunk_check({patch(51, exported("Bug 5 - add f r=rita"), {{"review", "+", "rita@example.org"}})});
  EXPECT_EQ(people_to_look_up(c), (std::set<std::string>{"dana@example.org", "rita@example.org"}));
  LandingVerdict v = check_landing(c, kLevels);
  EXPECT_TRUE(v.problems.empty()) << v.problems[0];
  EXPECT_TRUE(v.reviewers_to_add.empty());  // the message names one already
  // Without r= in the message the flags' reviewers are added to it.
  c.patches[0].text = exported("Bug 5 - add f");
  v = check_landing(c, kLevels);
  EXPECT_TRUE(v.problems.empty()) << v.problems[0];
  EXPECT_EQ(v.reviewers_to_add, (std::map<AttachmentId, std::vector<std::string>>{{51, {"rita@example.org"}}}));
}

TEST(LandingRules, EveryProblemOfATrunkLandingIsListed) {
  LandingCheck c = trunk_check({
      patch(51, exported("Bug 5 - add f r=rita"), {{"review", "+", "dana@example.org"}}),  // self-review
      patch(52, exported("Bug 5 - add f r=lou"),
            {{"review", "+", "lou@example.org"}, {"review", "-", "rita@example.org"}}),
      patch(53, "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"),  // no header
      patch(54, exported("Bug 6 - other bug r=rita"), {{"superreview", "+", "rita@example.org"}}),
      patch(55, "not a patch"),
  });
  c.patches[0].is_obsolete = true;
  c.requester = "lou@example.org";
  EXPECT_EQ(people_to_look_up(c),
            (std::set<std::string>{"dana@example.org", "lou@example.org", "rita@example.org"}));  // '+' only
  LandingVerdict v = check_landing(c, kLevels);
  std::vector<std::string> want = {
      "attachment 51 is obsolete: attach the current version and tag the bug again",
      "attachment 51 needs review+ from a reviewer with commit level 3 (dana@example.org is the patch's author "
      "(self-review does not count on central))",
      "attachment 52 needs review+ from a reviewer with commit level 3 (lou@example.org has level 1)",
      "attachment 53 has no changeset header: a landing keeps the author's name and message (attach hg export or "
      "git format-patch output)",
  };
  ASSERT_GE(v.problems.size(), want.size() + 3);
  for (const std::string& w : want) {
    EXPECT_NE(std::find(v.problems.begin(), v.problems.end(), w), v.problems.end()) << w;
  }
  auto has = [&](const std::string& start) {
    return std::any_of(v.problems.begin(), v.problems.end(),
                       [&](const std::string& p) { return p.rfind(start, 0) == 0; });
  };
  EXPECT_TRUE(has("attachment 54: ")) << "the message names bug 6";
  EXPECT_TRUE(has("attachment 55 is not a patch autoland can apply: "));
  EXPECT_EQ(v.problems.back(), "lou@example.org (who asked) has commit level 1; central needs level 3");

  // Self-review counts where the operator allows it.
  c.allow_self_review = true;
  std::vector<std::string> allowed = check_landing(c, kLevels).problems;
  EXPECT_FALSE(std::any_of(allowed.begin(), allowed.end(),
                           [](const std::string& p) { return p.rfind("attachment 51 needs review+", 0) == 0; }));
  EXPECT_EQ(allowed.size(), v.problems.size() - 1);
}

TEST(LandingRules, ATryPushNeedsCurrentParsingPatchesAndAQualifiedRequester) {
  LandingCheck c = trunk_check({patch(51, "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n")});
  c.trunk = false;
  c.branch = "try";
  c.required_level = 1;
  EXPECT_EQ(people_to_look_up(c), std::set<std::string>{"dana@example.org"});  // no reviews on try
  EXPECT_TRUE(check_landing(c, kLevels).problems.empty());
  EXPECT_EQ(check_landing(c, {}).problems,
            std::vector<std::string>{"Dana@Example.org (who asked) is not in the directory; try needs level 1"});
  c.requester.clear();
  EXPECT_EQ(check_landing(c, kLevels).problems,
            std::vector<std::string>{"nobody is on record as having asked for this landing"});
  c.requester = "dana@example.org";
  // Made private after it was asked for (the request check refuses one
  // then): it is still never pushed, on try as on a trunk.
  c.patches[0].is_private = true;
  EXPECT_EQ(check_landing(c, kLevels).problems,
            std::vector<std::string>{"attachment 51 is private: autoland pushes to repositories anyone can read"});
  c.patches[0].is_private = false;
  c.limits.max_bytes = 10;
  ASSERT_EQ(check_landing(c, kLevels).problems.size(), 1u);
  EXPECT_EQ(check_landing(c, kLevels).problems[0].rfind("attachment 51 is not a patch autoland can apply: ", 0), 0u);
}

}  // namespace
}  // namespace autoland
