#include "services/request_check.h"

#include <gtest/gtest.h>

#include "adapters/store/sqlite/sqlite_store.h"

namespace autoland {
namespace {

std::string patch(const std::string& file, const std::string& user = "Dana <dana@example.org>") {
  std::string header = user.empty() ? "" : "# HG changeset patch\n# User " + user + "\nBug 5 - add " + file + "\n\n";
  return header + "diff --git a/" + file + " b/" + file + "\nnew file mode 100644\n--- /dev/null\n+++ b/" + file +
         "\n@@ -0,0 +1 @@\n+x\n";
}

Attachment attachment(AttachmentId id, std::string description, std::string data, bool is_patch = true,
                      bool obsolete = false) {
  Attachment a;
  a.id = id;
  a.bug_id = 5;
  a.description = std::move(description);
  a.data = std::move(data);
  a.is_patch = is_patch;
  a.is_obsolete = obsolete;
  a.creator = "uploader@example.org";
  return a;
}

std::string refusal_of(const Result<Checked<ChosenPatches>>& r) {
  EXPECT_TRUE(r.ok()) << r.error().message;
  if (!r.ok()) return "";
  EXPECT_FALSE(r->accepted.has_value());
  EXPECT_EQ(r->refusal.part, r->accepted ? "" : "patches");
  return r->refusal.reason;
}

// Every refusal a tag, the keyword or the API can get for its patches.
TEST(RequestCheck, NamedPatchesAreEachOnTheBugCurrentAPatchAndParsing) {
  std::vector<Attachment> on_bug = {
      attachment(51, "a", patch("a.txt")),
      attachment(52, "b", patch("b.txt", "")),
      attachment(53, "old", patch("c.txt"), true, /*obsolete=*/true),
      attachment(54, "notes", "just words", /*is_patch=*/false),
      attachment(55, "d.diff", patch("d.txt"), /*is_patch=*/false),
      attachment(56, "bad", "diff --git a/../x b/../x\n--- a/../x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n")};
  Attachment elsewhere = attachment(57, "e", patch("e.txt"));
  elsewhere.bug_id = 6;
  on_bug.push_back(elsewhere);
  const PatchLimits limits;

  auto both = choose_patches(5, on_bug, {52, 51}, limits);
  ASSERT_TRUE(both.ok() && both->accepted) << (both.ok() ? both->refusal.reason : both.error().message);
  EXPECT_EQ(both->accepted->ids, (std::vector<AttachmentId>{52, 51}));  // the order asked for
  EXPECT_EQ(both->accepted->author, "Dana <dana@example.org>");         // the first header that names one
  auto bare = choose_patches(5, on_bug, {52}, limits);
  ASSERT_TRUE(bare.ok() && bare->accepted);
  EXPECT_EQ(bare->accepted->author, "uploader@example.org");  // no header: who uploaded it

  EXPECT_EQ(refusal_of(choose_patches(5, on_bug, {99}, limits)), "attachment 99 is not on bug 5");
  EXPECT_EQ(refusal_of(choose_patches(5, on_bug, {57}, limits)), "attachment 57 is not on bug 5");
  EXPECT_EQ(refusal_of(choose_patches(5, on_bug, {51, 51}, limits)), "attachment 51 is listed twice");
  EXPECT_EQ(refusal_of(choose_patches(5, on_bug, {51, 53}, limits)), "attachment 53 is obsolete");
  EXPECT_EQ(refusal_of(choose_patches(5, on_bug, {54}, limits)).rfind("attachment 54 is not a patch (", 0), 0u);
  EXPECT_EQ(refusal_of(choose_patches(5, on_bug, {55}, limits)).rfind("attachment 55 is not a patch (", 0), 0u);
  EXPECT_EQ(
      refusal_of(choose_patches(5, on_bug, {56}, limits)).rfind("attachment 56 is not a patch autoland can apply: ", 0),
      0u);
  EXPECT_NE(refusal_of(choose_patches(5, on_bug, {51}, PatchLimits{.max_bytes = 10})).find("attachment 51"),
            std::string::npos);

  Attachment without_data = attachment(58, "x", "");
  without_data.data.reset();
  auto broken = choose_patches(5, {without_data}, {58}, limits);
  ASSERT_FALSE(broken.ok());  // the caller's mistake, not the requester's
  EXPECT_EQ(broken.error().kind, ErrorKind::internal);
}

TEST(RequestCheck, UnnamedPatchesAreEveryCurrentPatchInPartOrder) {
  std::vector<Attachment> on_bug = {
      attachment(61, "Part 2: the rest", patch("b.txt")), attachment(62, "notes", "just words", false),
      attachment(63, "part 1 - first", patch("a.txt")),   attachment(64, "old part 0", patch("o.txt"), true, true),
      attachment(65, "followup", patch("f.txt")),         attachment(60, "another", patch("g.txt"))};
  auto chosen = choose_patches(5, on_bug, {}, PatchLimits{});
  ASSERT_TRUE(chosen.ok() && chosen->accepted);
  EXPECT_EQ(chosen->accepted->ids, (std::vector<AttachmentId>{63, 61, 60, 65}));
  EXPECT_EQ(refusal_of(choose_patches(5, {on_bug[1], on_bug[3]}, {}, PatchLimits{})),
            "bug 5 has no non-obsolete patch attached");
}

TEST(RequestCheck, BranchesAreKnownEnabledAndFoldIntoTheirLanding) {
  ManualClock clock{1'700'000'000};
  auto store = open_sqlite_store({.path = ":memory:", .create = true}, clock);
  ASSERT_TRUE(store.ok());
  auto make = [&](std::string name, std::string pretest, BranchStatus status) {
    Branch b;
    b.name = std::move(name);
    b.repo_url = "/r/" + b.name;
    b.pretest_branch = std::move(pretest);
    b.status = status;
    ASSERT_TRUE((*store)->create_branch(b, "t").ok());
  };
  make("try", "", BranchStatus::enabled);
  make("central", "try", BranchStatus::enabled);
  make("old", "", BranchStatus::disabled);

  auto folded = check_branches(**store, {"try", "central"});
  ASSERT_TRUE(folded.ok() && folded->accepted);
  ASSERT_EQ(folded->accepted->size(), 1u);  // one landing, tested on try first
  EXPECT_EQ(folded->accepted->front().name, "central");
  auto alone = check_branches(**store, {"try"});
  ASSERT_TRUE(alone.ok() && alone->accepted);
  EXPECT_EQ(alone->accepted->front().name, "try");

  auto unknown = check_branches(**store, {"try", "nowhere"});
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->accepted);
  EXPECT_EQ(unknown->refusal.part, "branch");
  EXPECT_EQ(unknown->refusal.reason, "unknown branch 'nowhere' (known: central, old, try)");
  EXPECT_FALSE(unknown->refusal.for_now);
  auto disabled = check_branches(**store, {"old"});
  ASSERT_TRUE(disabled.ok());
  EXPECT_FALSE(disabled->accepted);
  EXPECT_EQ(disabled->refusal.reason, "branch 'old' is disabled");
  EXPECT_TRUE(disabled->refusal.for_now);  // the API answers 409: it may be enabled again
}

// Found by review: a private attachment went to public try; a branch named
// in another case than the config's was unknown to tags; a disabled pretest
// branch was checked only when named.
TEST(RequestCheck, PrivatePatchesNeverLeaveAndBranchesAreOneWhateverTheirCase) {
  Attachment hidden = attachment(71, "security fix", patch("s.txt"));
  hidden.is_private = true;
  std::vector<Attachment> on_bug = {hidden, attachment(72, "part 1", patch("p.txt"))};
  auto named = choose_patches(5, on_bug, {71}, PatchLimits{});
  ASSERT_TRUE(named.ok());
  ASSERT_FALSE(named->accepted);
  EXPECT_EQ(named->refusal.reason, "attachment 71 is private: autoland pushes to repositories anyone can read");
  auto unnamed = choose_patches(5, on_bug, {}, PatchLimits{});
  ASSERT_TRUE(unnamed.ok() && unnamed->accepted);
  EXPECT_EQ(unnamed->accepted->ids, std::vector<AttachmentId>{72});  // the private one is left out

  ManualClock clock{1'700'000'000};
  auto store = open_sqlite_store({.path = ":memory:", .create = true}, clock);
  ASSERT_TRUE(store.ok());
  Branch t;
  t.name = "Try";
  t.repo_url = "/r/try";
  t.required_level = 1;
  ASSERT_TRUE((*store)->create_branch(t, "t").ok());
  Branch c;
  c.name = "Mozilla-Central";
  c.repo_url = "/r/central";
  c.pretest_branch = "Try";
  ASSERT_TRUE((*store)->create_branch(c, "t").ok());
  auto lower = check_branches(**store, {"mozilla-central"});  // as a tag reads it
  ASSERT_TRUE(lower.ok() && lower->accepted) << (lower.ok() ? lower->refusal.reason : lower.error().message);
  EXPECT_EQ(lower->accepted->front().name, "Mozilla-Central");

  t.status = BranchStatus::disabled;
  ASSERT_TRUE((*store)->update_branch(t, "t").ok());
  auto held = check_branches(**store, {"Mozilla-Central"});
  ASSERT_TRUE(held.ok());
  ASSERT_FALSE(held->accepted);
  EXPECT_EQ(held->refusal.reason, "branch 'Mozilla-Central' tests on 'Try' first, which is disabled");
  EXPECT_TRUE(held->refusal.for_now);
}

}  // namespace
}  // namespace autoland
