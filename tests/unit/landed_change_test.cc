#include "core/landed_change.h"

#include <gtest/gtest.h>

#include <map>

namespace autoland {
namespace {

const std::string kDiff = "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n";
const std::string kOther = "diff --git a/g b/g\n--- a/g\n+++ b/g\n@@ -1 +1 @@\n-a\n+c\n";

std::string node(char c) { return std::string(40, c); }

class LandedChange : public ::testing::Test {
 protected:
  Result<std::optional<std::string>> find(const std::vector<BranchChangeset>& recent, const std::string& summary,
                                          const std::string& patch = kDiff) {
    return find_landed_change(recent, summary, "# HG changeset patch\n# User D <d@x>\n" + summary + "\n\n" + patch,
                              [&](const std::string& n) -> Result<std::string> {
                                ++reads;
                                auto it = diffs.find(n);
                                if (it == diffs.end()) return not_found("no " + n);
                                return it->second;
                              });
  }
  std::map<std::string, std::string> diffs = {{node('a'), kDiff}, {node('b'), kOther}, {node('c'), kDiff}};
  int reads = 0;
};

TEST_F(LandedChange, TheSameSummaryAndDiffIsFoundAndOnlyThoseDiffsAreRead) {
  std::vector<BranchChangeset> recent = {{node('b'), "Bug 2 - other r=x"}, {node('a'), "Bug 1 - fix r=x\n\nbody"}};
  auto found = find(recent, "Bug 1 - fix r=x");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, node('a'));
  EXPECT_EQ(reads, 1);  // only the one whose summary matched
  // The same summary with another diff is another change.
  auto other = find(recent, "Bug 2 - other r=x");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*other, std::nullopt);
  EXPECT_EQ(find(recent, "Bug 1 - fix").value(), std::nullopt);  // the first line must match whole
}

TEST_F(LandedChange, WhatANewerChangesetBackedOutMayLandAgain) {
  std::vector<BranchChangeset> recent = {
      {node('d'), "Backed out 2 changesets (bug 1) for bustage\n\nBacked out changeset " + node('a').substr(0, 12) +
                      "\nBacked out changeset 999999999999"},
      {node('a'), "Bug 1 - fix r=x"}};
  EXPECT_EQ(find(recent, "Bug 1 - fix r=x").value(), std::nullopt);
  // Landed again after the backout: that landing counts.
  recent.insert(recent.begin(), {node('c'), "Bug 1 - fix r=x"});
  EXPECT_EQ(find(recent, "Bug 1 - fix r=x").value(), node('c'));
  // A backout older than the landing does not undo it.
  std::vector<BranchChangeset> old_backout = {{node('a'), "Bug 1 - fix r=x"},
                                              {node('d'), "Backed out changeset " + node('a').substr(0, 12)}};
  EXPECT_EQ(find(old_backout, "Bug 1 - fix r=x").value(), node('a'));
}

TEST_F(LandedChange, AFailedReadIsAnErrorNotAnAnswer) {
  auto r = find({{node('e'), "Bug 1 - fix r=x"}}, "Bug 1 - fix r=x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
}

TEST(ChangesetList, NulSeparatedNodesAndMessagesAsBothVcsPrintThem) {
  // hg: "{node}\0{desc}\0"; git: "%H%x00%B%x00" with a newline between entries.
  std::string hg = node('a') + std::string("\0Bug 1 - x\n\nbody\0", 17) + node('b') + std::string("\0Bug 2\0", 7);
  auto from_hg = parse_changeset_list(hg);
  ASSERT_EQ(from_hg.size(), 2u);
  EXPECT_EQ(from_hg[0].node, node('a'));
  EXPECT_EQ(from_hg[0].description, "Bug 1 - x\n\nbody");
  EXPECT_EQ(from_hg[1].description, "Bug 2");
  std::string git = node('c') + std::string("\0Bug 3\n\0", 8) + "\n" + node('d') + std::string("\0Bug 4\n\0", 8) + "\n";
  auto from_git = parse_changeset_list(git);
  ASSERT_EQ(from_git.size(), 2u);
  EXPECT_EQ(from_git[1].node, node('d'));
  EXPECT_EQ(from_git[1].description, "Bug 4\n");
  EXPECT_TRUE(parse_changeset_list("").empty());
}

}  // namespace
}  // namespace autoland
