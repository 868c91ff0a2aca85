// The patch differential test: for generated patches (every form, with diffs
// hidden in messages, in the diffstat's place and between files, and every
// kind of file change) and for the fuzzer's corpus, the files autoland's
// parser lists must be exactly the files hg import and git apply would
// write, read by their own parsers. Any difference fails; a patch the parser
// refuses is fine (nothing lands), and the test also checks that enough of
// them are accepted for the comparison to mean something.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "core/patch.h"
#include "patch_oracle.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Pieces a patch is made of; the generator picks among them.
const std::vector<std::string> kMessageLines = {"Bug 1 - fix things r=alice",
                                                "",
                                                "Plain text.",
                                                "---",
                                                "--- not a file",
                                                "diff erent approach",
                                                "# comment",
                                                "-- ",
                                                " indented --- a/x",
                                                "* a list item",
                                                "@someone thanks",
                                                "+1 from me"};
// Lines that read as something else to some tool.
const std::vector<std::string> kTrickyLines = {"+++ not a file either",
                                               "---x",
                                               "+++y",
                                               "@@ -0,0 +1 @@",
                                               "*** star",
                                               "***************",
                                               "Index: notes",
                                               "rename to evil.txt",
                                               "new file mode 100644",
                                               "GIT binary patch",
                                               "From: x <y@z>",
                                               "diff -r 1 -r 2 f"};

std::vector<std::string> hidden_diffs(const std::string& f) {
  return {
      "--- a/" + f + "\n+++ b/" + f + "\n@@ -0,0 +1,1 @@\n+x = y\n",
      "---a/" + f + "\n+++b/" + f + "\n@@ -0,0 +1,1 @@\n+x = y\n",
      "--- a/" + f + "\n+++ b/" + f + "\n",
      "*** a/" + f + "\n--- b/" + f + "\n***************\n*** 0 ****\n--- 1 ----\n+ x\n",
      "diff --git a/" + f + " b/" + f + "\nnew file mode 100644\n--- /dev/null\n+++ b/" + f + "\n@@ -0,0 +1 @@\n+x\n",
      "diff --git a/" + f + " b/" + f + "\nnew file mode 100644\n--- /dev/null\n+++ b/" + f + "\t\n@@ -0,0 +1 @@\n+x\n",
      "diff --git a/" + f + " b/" + f + "\nnew file mode 100644\n",
  };
}
const std::vector<std::string> kHiddenNames = {"hidden.txt", ".hgsub",      "sub/.hgrc",           ".hg/hgrc",
                                               "../outside", ".gitmodules", "dir with space/h.txt"};

const std::vector<std::string> kEntries = {
    // git: modify, add, delete, rename with and without a hunk, copy, mode, binary, link
    "diff --git a/a.txt b/a.txt\nindex 1111111..2222222 100644\n--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n l1\n-l2\n"
    "+two\n",
    "diff --git a/new.txt b/new.txt\nnew file mode 100644\nindex 0000000..3333333\n--- /dev/null\n+++ b/new.txt\n@@ "
    "-0,0 +1,2 @@\n+n1\n+n2\n",
    "diff --git a/c.txt b/c.txt\ndeleted file mode 100644\nindex 4444444..0000000\n--- a/c.txt\n+++ /dev/null\n@@ "
    "-1 +0,0 @@\n-c\n",
    "diff --git a/dir/b.txt b/dir/b2.txt\nsimilarity index 100%\nrename from dir/b.txt\nrename to dir/b2.txt\n",
    "diff --git a/r.txt b/r2.txt\nsimilarity index 80%\nrename from r.txt\nrename to r2.txt\n--- a/r.txt\n+++ "
    "b/r2.txt\n@@ -1 +1 @@\n-r\n+R\n",
    "diff --git a/k.txt b/k2.txt\ncopy from k.txt\ncopy to k2.txt\n",
    "diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n",
    "diff --git a/logo.bin b/logo.bin\nnew file mode 100644\nindex 0000000..eaf36c1\nGIT binary patch\nliteral 4\n"
    "LcmZQzWMT#Y01f~L\n\nliteral 0\nHcmV?d00001\n\n",
    "diff --git a/latest b/latest\nnew file mode 120000\n--- /dev/null\n+++ b/latest\n@@ -0,0 +1 @@\n+a.txt\n\\ No "
    "newline at end of file\n",
    "diff --git \"a/dir with space/q\\303\\251.txt\" \"b/dir with space/q\\303\\251.txt\"\nnew file mode "
    "100644\n--- /dev/null\n+++ \"b/dir with space/q\\303\\251.txt\"\n@@ -0,0 +1 @@\n+q\n",
    // hg without --git, and plain unified diffs
    "diff -r 1a2b3c4d5e6f -r 6f5e4d3c2b1a h.txt\n--- a/h.txt\tThu Jan 01 00:00:00 1970 +0000\n+++ b/h.txt\tThu Jan 01 "
    "00:00:00 1970 +0000\n@@ -1,1 +1,1 @@\n-h\n+H\n",
    "--- a/p.txt\n+++ b/p.txt\n@@ -1,3 +1,3 @@\n p1\n-p2\n+P2\n p3\n",
    "--- a/sp ace.txt\t2023-01-01 10:00:00\n+++ b/sp ace.txt\t2023-01-01 10:00:01\n@@ -1 +1 @@\n-a\n+b\n",
    "diff --git a/sp ace.txt b/sp ace.txt\n--- a/sp ace.txt\t\n+++ b/sp ace.txt\t\n@@ -1 +1 @@\n-a\n+b\n",
    "--- /dev/null\n+++ b/dir/n.txt\n@@ -0,0 +1 @@\n+n\n",
    "--- old/deep/file.c\t2023-01-01\n+++ new/deep/file.c\t2023-01-02\n@@ -1 +1 @@\n-a\n+b\n",
    "Index: s.txt\n===================================================================\n--- a/s.txt\n+++ b/s.txt\n@@ "
    "-1 "
    "+1 @@\n-s\n+S\n",
};

const std::vector<std::string> kNoise = {
    "",           "", "Index: foo", "=====", "some words", "rename to evil.txt", "new mode 100755", "Only in a: x",
    "-- \n2.39.5"};

// One patch from `rng`: a form, a message with pieces that may read as diffs,
// one to three entries with noise between them.
std::string generate(std::mt19937& rng) {
  auto pick = [&](const auto& v) -> const auto& { return v[rng() % v.size()]; };
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  std::string message;
  int lines = static_cast<int>(rng() % 4);
  for (int i = 0; i < lines; ++i) message += (chance(15) ? pick(kTrickyLines) : pick(kMessageLines)) + "\n";
  if (chance(15)) message += pick(hidden_diffs(pick(kHiddenNames)));
  std::string diff;
  int entries = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < entries; ++i) {
    if (i > 0 && chance(30)) diff += pick(kNoise) + "\n";
    if (chance(5)) diff += pick(hidden_diffs(pick(kHiddenNames)));
    diff += pick(kEntries);
  }
  if (chance(10)) diff += pick(kNoise) + "\n";
  switch (rng() % 3) {
    case 0:
      return "# HG changeset patch\n# User Dana <d@example.org>\n# Date 1700000000 0\n" +
             std::string(chance(20) ? "# Branch stable\n" : "") + "Bug 1 - x r=a\n" + message + "\n" + diff;
    case 1:
      return "From 1234567890abcdef1234567890abcdef12345678 Mon Sep 17 00:00:00 2001\nFrom: Dana <d@example.org>\n"
             "Date: Tue, 14 Nov 2023 22:13:20 +0000\nSubject: [PATCH] Bug 1 - x\n\n" +
             message + (chance(70) ? "---\n a.txt | 2 +-\n" + std::string(chance(20) ? "---\n" : "") + "\n" : "") +
             diff + "-- \n2.39.5\n\n";
    default: return message + diff;
  }
}

class PatchDifferential : public ::testing::Test {
 protected:
  // Returns whether the parser accepted it; fails the test on a difference.
  // As the git adapter reads patches, and as the hg adapter does.
  bool check(const std::string& text, const std::string& name) {
    auto for_git = parse_patch(text);
    auto for_hg = parse_patch(text, PatchLimits{.for_hg = true});
    if (for_git) {
      EXPECT_EQ(testing::differences(*for_git, oracle_.ask(text, for_git->diff), "git"), "") << name << ":\n" << text;
    }
    if (for_hg) {
      EXPECT_EQ(testing::differences(*for_hg, oracle_.ask(text, for_hg->diff), "hg"), "") << name << ":\n" << text;
    }
    return for_git.ok() && for_hg.ok();
  }
  testing::PatchOracle oracle_{AUTOLAND_PATCH_ORACLE};
};

TEST_F(PatchDifferential, GeneratedPatchesListWhatHgAndGitWrite) {
  // AUTOLAND_DIFFERENTIAL_SEED and _COUNT explore further than make test does.
  const char* seed = std::getenv("AUTOLAND_DIFFERENTIAL_SEED");
  const char* count = std::getenv("AUTOLAND_DIFFERENTIAL_COUNT");
  std::mt19937 rng(seed ? static_cast<unsigned>(std::stoul(seed)) : 20261207u);
  int accepted = 0, total = count ? std::stoi(count) : 1500;
  for (int i = 0; i < total && !HasFailure(); ++i)
    accepted += check(generate(rng), "generated patch " + std::to_string(i));
  std::printf(
      "patch differential: %d of %d generated patches accepted, each listing exactly what hg and git "
      "write\n",
      accepted, total);
  // Most carry a refused piece; enough must pass for the comparison to count.
  EXPECT_GE(accepted, total / 5);
}

TEST_F(PatchDifferential, TheFuzzCorpusAndRecordedPatchesListWhatHgAndGitWrite) {
  int accepted = 0, total = 0;
  for (const char* dir : {AUTOLAND_FUZZ_CORPUS, AUTOLAND_PATCH_DATA}) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      ++total;
      accepted += check(read(entry.path()), entry.path().string());
    }
  }
  EXPECT_GE(accepted, total / 2);
}

// The attack that landed .hgsub: hg and git would write the hidden file from
// the whole attachment; autoland either lists it or refuses the patch.
TEST_F(PatchDifferential, TheHiddenHunkOfTheHardeningIssue) {
  const std::string real = "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+b\n";
  for (const std::string& name : kHiddenNames) {
    for (const std::string& hidden : hidden_diffs(name)) {
      std::string patch = "# HG changeset patch\n# User A <a@b>\nBug 1 - innocent\n" + hidden + "\n" + real;
      check(patch, "hidden " + name);
      auto answer = oracle_.ask(patch, "");
      if (answer["hg_whole"].is_array() && answer["hg_whole"].size() > 1) {
        // hg reads a second file: autoland must list it too, or refuse.
        auto parsed = parse_patch(patch, PatchLimits{.for_hg = true});
        if (parsed) {
          EXPECT_EQ(parsed->files.size(), answer["hg_whole"].size()) << patch;
        }
      }
    }
  }
}

}  // namespace
}  // namespace autoland
