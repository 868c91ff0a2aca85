#include "core/committed_change.h"

#include <gtest/gtest.h>

namespace autoland {
namespace {

Patch two_files() {
  auto p = parse_patch(
      "diff --git a/src/a.c b/src/a.c\n--- a/src/a.c\n+++ b/src/a.c\n@@ -1 +1 @@\n-a\n+b\n"
      "diff --git a/old.txt b/new.txt\nsimilarity index 100%\nrename from old.txt\nrename to new.txt\n");
  EXPECT_TRUE(p.ok());
  return p.ok() ? *p : Patch{};
}

TEST(CommittedChange, WhatThePatchListedPasses) {
  CommittedChange c;
  c.files = {{"src/a.c"}, {"new.txt"}, {"old.txt", true}};
  EXPECT_TRUE(check_committed_change(two_files(), c).ok());
}

// The VCS wrote a file the parser did not see: whatever the reason, nothing is pushed.
TEST(CommittedChange, AFileThePatchDidNotListStopsIt) {
  CommittedChange c;
  c.files = {{"src/a.c"}, {"sneaky.txt"}};
  EXPECT_EQ(check_committed_change(two_files(), c).error().message,
            "the changeset made from the patch writes 'sneaky.txt', which is not among the patch's files as autoland "
            "read them; nothing was pushed");
  c.files = {{".hgsub"}};
  EXPECT_EQ(check_committed_change(two_files(), c).error().message,
            "the changeset made from the patch writes '.hgsub': path '.hgsub' edits subrepository configuration, "
            "which autoland does not land");
}

TEST(CommittedChange, PathsThroughLinksBeforeOrAfter) {
  CommittedChange c;
  c.files = {{"src/a.c"}};
  c.links_before = {"src"};
  EXPECT_EQ(check_committed_change(two_files(), c).error().message,
            "'src/a.c' is written through the symbolic link 'src'");
  c.links_before.clear();
  c.links_after = {"src"};
  EXPECT_FALSE(check_committed_change(two_files(), c).ok());
  c.links_after = {"src/a.c"};  // the file itself may be a link, if its target is fine
  c.files = {{"src/a.c", false, true, "../new.txt"}};
  EXPECT_TRUE(check_committed_change(two_files(), c).ok());
  c.files = {{"src/a.c", false, true, "../../etc/passwd"}};
  EXPECT_EQ(check_committed_change(two_files(), c).error().message,
            "the symbolic link 'src/a.c' -> '../../etc/passwd' points outside the repository");
}

// On a case-insensitive checkout (macOS, Windows) "Src" and "src." are "src".
TEST(CommittedChange, LinksAreComparedAsCaseInsensitiveCheckoutsSeeThem) {
  CommittedChange c;
  c.files = {{"src/a.c"}};
  for (std::string link : {"SRC", "Src.", "s\u200Crc"}) {
    c.links_after = {link};
    EXPECT_FALSE(check_committed_change(two_files(), c).ok()) << link;
  }
  c.links_after = {"srcx", "sr"};
  EXPECT_TRUE(check_committed_change(two_files(), c).ok());
  EXPECT_TRUE(is_inside("Out/x", "out"));
  EXPECT_FALSE(is_inside("out", "out"));
  EXPECT_FALSE(is_inside("outer/x", "out"));
}

TEST(CommittedChange, FoldersAbove) {
  EXPECT_EQ(folders_above("a/b/c"), (std::vector<std::string>{"a", "a/b"}));
  EXPECT_TRUE(folders_above("top").empty());
}

}  // namespace
}  // namespace autoland
