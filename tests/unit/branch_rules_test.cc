#include "core/branch_rules.h"

#include <gtest/gtest.h>

#include "util/strings.h"

namespace autoland {
namespace {

// Hardening issue, item 11: names that used to be accepted by the API and
// the config (one cut at a NUL mapped onto another branch's clone folder).
TEST(BranchRules, OneStrictRuleForNames) {
  for (std::string bad :
       {std::string("a\0b", 3), std::string("a\nb"), std::string("a\tb"), std::string("caf\xc3\xa9"),
        std::string("\xff"), std::string(5000, 'x'), std::string(".hg"), std::string(".GIT"), std::string("-rf"),
        std::string("try.lock"), std::string("try.LOCK"), std::string("../../etc"), std::string("a/b"),
        std::string("."), std::string(".."), std::string(""), std::string("a b"), std::string("a:b")}) {
    EXPECT_FALSE(check_branch_name(bad).ok()) << util::printable(bad, 20);
  }
  for (std::string good : {"try", "mozilla-inbound", "mozilla-central", "release_1.2", "b2g-inbound"}) {
    EXPECT_TRUE(check_branch_name(good).ok()) << good;
  }
}

BranchRuleContext context_with(std::vector<Branch> branches, std::set<std::string> ci = {"local"}) {
  BranchRuleContext c;
  c.ci_sources = std::move(ci);
  c.find = [branches](const std::string& name) -> std::optional<Branch> {
    for (const Branch& b : branches) {
      if (b.name == name) return b;
    }
    return std::nullopt;
  };
  return c;
}

TEST(BranchRules, EveryRuleOnce) {
  Branch try_branch{.name = "try", .repo_url = "/r/try", .required_level = 1, .ci_source = "local"};
  Branch central{.name = "central", .repo_url = "/r/c", .pretest_branch = "try", .ci_source = "local"};
  auto ctx = context_with({try_branch, central});
  EXPECT_TRUE(validate_branch(try_branch, ctx).ok());
  EXPECT_TRUE(validate_branch(central, ctx).ok());
  auto why = [&](Branch b) { return validate_branch(b, ctx).error().message; };
  Branch b = central;
  b.ci_source = "";
  EXPECT_EQ(why(b),
            "branch 'central': ci '' is not a CI source configured here (local): its pushes would never be "
            "tested");
  b = central;
  b.ci_source = "buildbot";
  EXPECT_FALSE(validate_branch(b, ctx).ok());
  EXPECT_TRUE(validate_branch(b, context_with({try_branch}, {"local", "buildbot"})).ok());
  b = central;
  b.required_level = 0;
  EXPECT_EQ(why(b), "branch 'central': required_level must be 1 to 3");
  b = central;
  b.pretest_branch = "central";
  EXPECT_EQ(why(b), "branch 'central': a branch cannot be its own pretest branch");
  b = central;
  b.pretest_branch = "central2";
  EXPECT_EQ(why(b), "branch 'central': pretest branch 'central2' does not exist");
  Branch other = central;
  other.name = "other";
  b = central;
  b.pretest_branch = "other";
  EXPECT_EQ(validate_branch(b, context_with({try_branch, other})).error().message,
            "branch 'central': pretest branch 'other' is not a try branch (it has a pretest branch of its own, or "
            "needs level 2 or more)");
  b = central;
  b.ci_source = "treeherder";
  EXPECT_FALSE(validate_branch(b, context_with({try_branch}, {"local", "treeherder"})).ok());
  b.max_retriggers = 0;
  EXPECT_TRUE(validate_branch(b, context_with({try_branch}, {"local", "treeherder"})).ok());
  b = central;
  b.default_try_syntax = "try: -b z";
  EXPECT_FALSE(validate_branch(b, ctx).ok());
  b = central;
  b.repo_url = "";
  EXPECT_EQ(why(b), "branch 'central': a repo_url is needed: where pushes go");
  b = central;
  b.landing_strategy = LandingStrategy::pipelined;
  EXPECT_TRUE(validate_branch(b, ctx).ok());
  b.max_batch = 0;
  EXPECT_EQ(why(b), "branch 'central': max_batch must be 1 to 100");
  b = central;
  b.landing_strategy = LandingStrategy::batch;
  EXPECT_EQ(why(b),
            "branch 'central': landing_strategy 'batch' is not available yet; 'pipelined' lands up to threshold at "
            "once with the same culprit finding");
  b = try_branch;
  b.landing_strategy = LandingStrategy::pipelined;
  EXPECT_EQ(why(b),
            "branch 'try': landing_strategy 'pipelined' is for trunk branches: try pushes never land and are never "
            "backed out");
}

}  // namespace
}  // namespace autoland
