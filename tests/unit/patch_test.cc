#include "core/patch.h"

#include <gtest/gtest.h>

#include "test_data.h"

namespace autoland {
namespace {

using autoland::testing::read_data;

Patch parse_ok(const std::string& text) {
  auto r = parse_patch(text);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Patch{};
}

std::string parse_error(const std::string& text, PatchLimits limits = {}) {
  auto r = parse_patch(text, limits);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().message;
}

const FileChange* file(const Patch& p, const std::string& path) {
  for (const auto& f : p.files) {
    if (f.path == path) return &f;
  }
  ADD_FAILURE() << "no file " << path;
  return nullptr;
}

// Recorded with `hg export --git` from a real repository (Mercurial 6.3).
TEST(Patch, HgExportGit) {
  Patch p = parse_ok(read_data("patches/hg-export-git.patch"));
  EXPECT_EQ(p.format, PatchFormat::hg_export);
  EXPECT_EQ(p.author, "Jörg Müller <joerg@example.org>");
  EXPECT_EQ(p.date, "1700003600 -3600");
  EXPECT_EQ(p.node, "2d5c9ff668e26370a5d65aa411423f7b1a41d58f");
  EXPECT_EQ(p.parent, "29bae8d92d54060d8de148b9d6614206f05af388");
  EXPECT_EQ(p.summary(), "Bug 1234 - Rework main and docs r=alice,bob");
  EXPECT_EQ(p.message, "Bug 1234 - Rework main and docs r=alice,bob\n\nLonger description\nover two lines.");
  ASSERT_EQ(p.files.size(), 5u);

  const FileChange* added = file(p, "added.txt");
  ASSERT_TRUE(added);
  EXPECT_EQ(added->kind, FileChangeKind::add);
  EXPECT_EQ(added->new_mode, "100644");
  EXPECT_EQ(added->lines_added, 1u);

  const FileChange* renamed = file(p, "docs/new name.txt");
  ASSERT_TRUE(renamed);
  EXPECT_EQ(renamed->kind, FileChangeKind::rename);
  EXPECT_EQ(renamed->old_path, "docs/old name.txt");

  const FileChange* binary = file(p, "logo.bin");
  ASSERT_TRUE(binary);
  EXPECT_TRUE(binary->binary);

  const FileChange* main = file(p, "main.c");
  ASSERT_TRUE(main);
  EXPECT_EQ(main->kind, FileChangeKind::modify);
  EXPECT_EQ(main->hunks, 1);
  EXPECT_EQ(main->lines_added, 2u);
  EXPECT_EQ(main->lines_removed, 1u);

  const FileChange* script = file(p, "run.sh");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->old_mode, "100644");
  EXPECT_EQ(script->new_mode, "100755");
}

// `hg export` without --git: "diff -r A -r B path" headers. A binary change
// there is only a note: hg import would drop it and git apply refuse it.
TEST(Patch, HgExportPlainDiffs) {
  std::string text = read_data("patches/hg-export-plain.patch");
  EXPECT_EQ(parse_error(text),
            "the patch does not carry the new content of the binary file in logo.bin; make it with "
            "`hg export --git` or `git format-patch --binary` (line 28)");
  size_t note = text.find("diff -r 29bae8d92d54 -r 2d5c9ff668e2 logo.bin");
  ASSERT_NE(note, std::string::npos);
  text.erase(note, text.find("diff -r", note + 1) - note);
  Patch p = parse_ok(text);
  EXPECT_EQ(p.format, PatchFormat::hg_export);
  EXPECT_EQ(p.author, "Jörg Müller <joerg@example.org>");
  ASSERT_NE(file(p, "main.c"), nullptr);
  EXPECT_EQ(file(p, "main.c")->lines_added, 2u);
  ASSERT_NE(file(p, "added.txt"), nullptr);
  EXPECT_EQ(file(p, "added.txt")->kind, FileChangeKind::add);
  ASSERT_NE(file(p, "docs/old name.txt"), nullptr);
  EXPECT_EQ(file(p, "docs/old name.txt")->kind, FileChangeKind::remove);
}

TEST(Patch, WindowsLineEndings) {
  Patch p = parse_ok(read_data("patches/hg-export-crlf.patch"));
  EXPECT_EQ(p.author, "Jörg Müller <joerg@example.org>");
  EXPECT_EQ(p.summary(), "Bug 1234 - Rework main and docs r=alice,bob");
  EXPECT_EQ(p.files.size(), 5u);
}

// Recorded with `git format-patch` (git 2.39): encoded author, folded
// subject, quoted non-ASCII path, deletion, signature.
TEST(Patch, GitFormatPatch) {
  Patch p = parse_ok(read_data("patches/git-format-patch.patch"));
  EXPECT_EQ(p.format, PatchFormat::git_format_patch);
  EXPECT_EQ(p.author, "Zoë Ångström <zoe@example.org>");
  EXPECT_EQ(p.date, "Tue, 14 Nov 2023 22:13:20 +0000");
  EXPECT_EQ(p.summary(),
            "Bug 777 - Fix the numbers in a.txt, which are spelled out wrongly everywhere in the file r=carol");
  EXPECT_EQ(p.message,
            "Bug 777 - Fix the numbers in a.txt, which are spelled out wrongly everywhere in the file r=carol\n\n"
            "Some body text.\n-- not a signature");
  ASSERT_EQ(p.files.size(), 3u);
  EXPECT_EQ(p.files[1].path, "dir with space/é.txt");
  EXPECT_EQ(p.files[2].path, "old.txt");
  EXPECT_EQ(p.files[2].kind, FileChangeKind::remove);
  EXPECT_EQ(p.files[2].lines_removed, 1u);
}

TEST(Patch, SubjectPrefixesAreStripped) {
  std::string mail =
      "From: A <a@example.org>\nSubject: [PATCH v2 2/3] Bug 5 - Thing r=x\n\n---\n"
      "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n";
  EXPECT_EQ(parse_ok(mail).summary(), "Bug 5 - Thing r=x");
}

TEST(Patch, SeriesInOneAttachmentIsRefused) {
  EXPECT_EQ(parse_error(read_data("patches/git-format-patch-series.mbox")),
            "the attachment holds 2 changesets; attach each patch separately (autoland lands them in order)");
}

TEST(Patch, HgDiffWithoutHeader) {
  Patch p = parse_ok(read_data("patches/hg-diff-git.patch"));
  EXPECT_EQ(p.format, PatchFormat::plain_diff);
  EXPECT_FALSE(p.has_header());
  EXPECT_EQ(p.author, "");
  EXPECT_EQ(p.files.size(), 5u);
}

TEST(Patch, PlainUnifiedDiffWithTimestamps) {
  Patch p = parse_ok(read_data("patches/plain-unified.diff"));
  ASSERT_EQ(p.files.size(), 1u);
  EXPECT_EQ(p.files[0].path, "src/foo.c");
  EXPECT_EQ(p.files[0].lines_added, 1u);
}

TEST(Patch, HunkLineThatLooksLikeAHeader) {
  // "--- x" inside a hunk is a removed line "-- x", not a new file.
  std::string diff = "--- a/f\n+++ b/f\n@@ -1,2 +1,1 @@\n--- x\n keep\n";
  Patch p = parse_ok(diff);
  ASSERT_EQ(p.files.size(), 1u);
  EXPECT_EQ(p.files[0].lines_removed, 1u);
}

TEST(Patch, UnsafePathsAreRefused) {
  auto diff_for = [](const std::string& path) {
    return "diff --git a/" + path + " b/" + path + "\n--- a/" + path + "\n+++ b/" + path + "\n@@ -1 +1 @@\n-a\n+b\n";
  };
  EXPECT_EQ(parse_error(diff_for("../etc/passwd")), "path '../etc/passwd' climbs out of the repository with '..'");
  EXPECT_EQ(parse_error(diff_for(".hg/hgrc")), "path '.hg/hgrc' touches version-control metadata (.hg/ or .git/)");
  EXPECT_EQ(parse_error(diff_for("sub/.git/config")),
            "path 'sub/.git/config' touches version-control metadata (.hg/ or .git/)");
  EXPECT_EQ(parse_error(diff_for(".HG/store")), "path '.HG/store' touches version-control metadata (.hg/ or .git/)");
  EXPECT_EQ(parse_error(diff_for("home/.hgrc")),
            "path 'home/.hgrc' edits an .hgrc (repository configuration is off limits)");
  EXPECT_EQ(parse_error("--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-a\n+b\n"),
            "absolute path '/etc/passwd' (paths must be relative to the repository root)");
  EXPECT_EQ(parse_error("diff --git a/x b/y\nrename from x\nrename to ../../y\n"),
            "path '../../y' climbs out of the repository with '..'");
}

// Inputs where a lax parser and `hg import` would disagree about what is touched.
TEST(Patch, NamesThatHgWouldReadDifferentlyAreRefused) {
  // A second file header with tabs instead of spaces after ---/+++.
  EXPECT_EQ(parse_error("--- a/foo\n+++ b/foo\n@@ -1 +1 @@\n-a\n+b\n---\ta/.hgrc\n+++\tb/.hgrc\n@@ -0,0 +1 @@\n+x\n"),
            "path '.hgrc' edits an .hgrc (repository configuration is off limits)");
  // hg cuts an unquoted name at the first space when there is no tab.
  EXPECT_EQ(parse_error("--- /dev/null\n+++ b/.hgrc x\n@@ -0,0 +1 @@\n+x\n"),
            "the file name in '+++ b/.hgrc x' holds a space but no tab follows it, so hg and git would read different "
            "names (line 2)");
  EXPECT_EQ(parse_error("--- /dev/null\n+++ b/.hgrc\tx\n@@ -0,0 +1 @@\n+x\n"),
            "path '.hgrc' edits an .hgrc (repository configuration is off limits)");
  // A rename whose +++ line names another file.
  EXPECT_EQ(
      parse_error("diff --git a/x b/y\nrename from x\nrename to y\n--- a/x\n+++ b/.hg/hgrc\n@@ -1 +1 @@\n-a\n+b\n"),
      "'+++' names '.hg/hgrc' but the diff header names 'y' (line 1)");
  // The old side of a modify is checked too.
  EXPECT_EQ(parse_error("--- a/../../etc/passwd\n+++ b/../../etc/passwd\n@@ -1 +1 @@\n-a\n+b\n"),
            "path '../../etc/passwd' climbs out of the repository with '..'");
  // hg writes whichever of two different names exists; git guesses: refused.
  EXPECT_EQ(parse_error("--- a/../../etc/passwd\n+++ b/foo\n@@ -1 +1 @@\n-a\n+b\n"),
            "'---' names '../../etc/passwd' and '+++' names 'foo': a plain diff must name the same file on both (as "
            "a/PATH and b/PATH) (line 1)");
  EXPECT_EQ(parse_error("diff --git a/.hg/hgrc b/foo\nold mode 100644\nnew mode 100755\n"),
            "the 'diff --git' line names two files ('.hg/hgrc', 'foo') without a rename or copy (line 1)");
  // hg splits "diff --git" at the last " b/".
  EXPECT_EQ(parse_error("diff --git a/x b/y b//etc/passwd\nnew file mode 100644\n"),
            "the 'diff --git' line names two files ('x b/y', '/etc/passwd') without a rename or copy (line 1)");
  // Context diffs and stray hunk lines.
  EXPECT_EQ(parse_error("--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n*** a/g\n--- b/g\n"),
            "'*** a/g' reads as a context diff's header; context diffs are not supported, attach a unified diff "
            "(diff -u, hg diff, git diff) (line 6)");
  EXPECT_EQ(parse_error("--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n+extra\n"),
            "stray diff line '+extra' outside any hunk in f (line 6)");
}

// hg import and git apply apply every hunk they find in their input, also one
// inside the message. Each form, each place, each shape hg or git accepts.
TEST(Patch, DiffsHiddenOutsideTheDiffPartAreRefused) {
  const std::string hidden = "--- a/.hgsub\n+++ b/.hgsub\n@@ -0,0 +1,1 @@\n+sub = ../x\n";
  const std::string real = "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n";
  const std::string why =
      "in the commit message reads as the start of a diff: hg and git would apply it, but it is not part of the "
      "change autoland checks; move it into the diff or indent it";
  // A "--- "/"+++ " pair starts the diff part wherever it stands, so its file
  // is among those checked: in an hg export's message, a mail's body, the
  // diffstat's place.
  EXPECT_EQ(parse_error("# HG changeset patch\n# User A <a@b>\nBug 1 - x\n\n" + hidden + "\n" + real),
            "path '.hgsub' edits subrepository configuration, which autoland does not land");
  const std::string mail = "From: A <a@b>\nSubject: [PATCH] Bug 1 - x\n\n";
  EXPECT_EQ(parse_error(mail + "body\n---\n f | 2 +-\n" + hidden + "\n" + real),
            "path '.hgsub' edits subrepository configuration, which autoland does not land");
  EXPECT_EQ(parse_error(mail + "body\n" + hidden + "---\n f | 2 +-\n\n" + real),
            "stray diff line '---' outside any hunk in .hgsub (line 9)");
  Patch seen = parse_ok("# HG changeset patch\nBug 1 - x\n--- a/g\n+++ b/g\n@@ -1 +1 @@\n-a\n+b\n\n" + real);
  ASSERT_EQ(seen.files.size(), 2u);
  EXPECT_EQ(seen.files[0].path, "g");
  EXPECT_EQ(seen.message, "Bug 1 - x");
  // A plain diff: in the text before it.
  EXPECT_EQ(parse_error("notes\n---a/.hg/hgrc\n+++b/.hg/hgrc\n@@ -0,0 +1 @@\n+x\n\n" + real),
            "'---a/.hg/hgrc' (line 2) " + why);
  // hg needs no space after ---/+++, nor a hunk right after them.
  EXPECT_EQ(parse_error("# HG changeset patch\nmsg\n---x\n+++y\ntext\n" + real), "'---x' (line 3) " + why);
  // A context diff's header, which hg reads too.
  EXPECT_EQ(parse_error("# HG changeset patch\nmsg\n*** a/.hgrc\n--- b/.hgrc\n***************\n" + real),
            "'*** a/.hgrc' (line 3) " + why);
}

TEST(Patch, MessagesWithDashLinesStillLand) {
  const std::string real = "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n";
  Patch hg = parse_ok("# HG changeset patch\n# User A <a@b>\nBug 1 - x\n\nbefore\n---\n--- not a file\nafter\n" + real);
  EXPECT_EQ(hg.message, "Bug 1 - x\n\nbefore\n---\n--- not a file\nafter");
  // format-patch: the last '---' before the diff is git's separator; one of the message stays.
  Patch mail = parse_ok("From: A <a@b>\nSubject: [PATCH] Bug 1 - x\n\nbefore\n---\nafter\n---\n f | 2 +-\n\n" + real +
                        "-- \n2.39.5\n\n");
  EXPECT_EQ(mail.message, "Bug 1 - x\n\nbefore\n---\nafter");
  EXPECT_EQ(mail.diff, real + "-- \n2.39.5\n\n");
}

TEST(Patch, GitHeaderWordsOutsideAHeaderAreRefused) {
  const std::string entry = "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n";
  for (std::string line : {"rename to .hg/hgrc", "copy from x", "new file mode 100644", "deleted file mode 100644",
                           "GIT binary patch", "literal 5", "new mode 100755", "old mode 100644"}) {
    std::string why = parse_error(entry + "note\n" + line + "\n");
    EXPECT_NE(why.find("stands outside the header of a 'diff --git' file"), std::string::npos) << line << ": " << why;
  }
}

// git stops reading a header at the first line it does not know; hg reads
// on to the "---". Found by fuzz_patch_differential.
TEST(Patch, AGitHeaderEndsAtItsFirstOtherLine) {
  EXPECT_EQ(parse_error("diff --git a/run.sh b/run.sh\nold mod\x07e 146040\nnew mode 100755\n"),
            "'new mode 100755' stands outside the header of a 'diff --git' file in run.sh (hg and git read it "
            "differently) (line 3)");
  EXPECT_EQ(parse_error("diff --git a/run.sh b/run.sh\n\nnew mode 100755\n"),
            "'new mode 100755' stands outside the header of a 'diff --git' file in run.sh (hg and git read it "
            "differently) (line 3)");
  EXPECT_EQ(parse_error("diff --git a/f b/f\nindex 1111111..2222222 100644\n"),
            "the 'diff --git' entry for 'f' changes nothing (line 1)");
  Patch empty = parse_ok("diff --git a/empty b/empty\nnew file mode 100644\nindex 0000000..e69de29\n");
  EXPECT_EQ(empty.files[0].kind, FileChangeKind::add);
}

// git guesses one strip level for the whole patch from its first file; hg
// strips one folder from each. Found by fuzz_patch_differential.
TEST(Patch, PlainDiffNamesNeedALeadingFolder) {
  EXPECT_EQ(
      parse_error("--- /dev/null\n+++ bd.txt\n@@ -0,0 +1 @@\n+x\n--- /dev/null\n+++ b/c.txt\n@@ -0,0 +1 @@\n+y\n"),
      "'bd.txt' has no leading folder: name the files a/PATH and b/PATH (line 1)");
  EXPECT_EQ(parse_ok("--- /dev/null\n+++ b/c.txt\n@@ -0,0 +1 @@\n+y\n").files[0].path, "c.txt");
}

// Each found by fuzz_patch_differential: a place where hg or git read a
// name, a mode or binary data otherwise than the parser did.
TEST(Patch, NamesModesAndBinaryDataAsHgAndGitReadThem) {
  // /dev/null in a git diff without its mode line: git reads a file named
  // "dev/null", hg a deletion (fuzz_patch_differential).
  EXPECT_EQ(parse_error("diff --git a/old.txt b/old.txt\n--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone\n"),
            "'+++ /dev/null' in a 'diff --git' file without its 'deleted file mode' line: git and hg read it "
            "differently (line 2)");
  EXPECT_EQ(parse_error("diff --git a/new.txt b/new.txt\n--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+here\n"),
            "'--- /dev/null' in a 'diff --git' file without its 'new file mode' line: git and hg read it "
            "differently (line 2)");
  // Any "***" line outside a hunk: hg reads "***x" before "---" as a
  // context diff's header and skips the file after it (fuzz_patch_differential).
  EXPECT_EQ(parse_error("diff -r 1 f\n***% 100643\n--- /dev/null\n+++ b/added.txt\n@@ -0,0 +1 @@\n+a\n"),
            "'***% 100643' reads as a context diff's header; context diffs are not supported, attach a unified diff "
            "(diff -u, hg diff, git diff) (line 2)");
  // Before the diff, in a message, the same pair makes hg skip the file too.
  EXPECT_NE(parse_error("note\n***% 100643\n--- /dev/null\n+++ b/added.txt\n@@ -0,0 +1 @@\n+a\n")
                .find("reads as the start of a diff"),
            std::string::npos);
  // A rename's names run to the end of the line, trailing spaces and tabs
  // included; a name ending in a space is refused, as hg drops the space
  // where git keeps it (found by fuzz_patch_differential).
  EXPECT_EQ(parse_error("diff --git a/x b/y \nrename from x\nrename to y \n"),
            "path 'y ' ends in a space, which Mercurial and git read differently");
  EXPECT_EQ(parse_error("--- /dev/null\n+++ b/x \t\n@@ -0,0 +1 @@\n+a\n"),
            "path 'x ' ends in a space, which Mercurial and git read differently");
  EXPECT_EQ(parse_error("diff --git a/x b/y\tz\nrename from x\nrename to y\tz\n"),
            "path 'y\\x09z' contains a control character");
  // Gitlinks (submodules) and modes neither tool writes.
  EXPECT_EQ(parse_error("diff --git a/sub b/sub\nnew file mode 160000\nindex 0000000..1234567\n"),
            "'new file mode 160000' gives a mode autoland does not land (a file is 100644 or 100755, a link 120000) "
            "(line 2)");
  EXPECT_FALSE(
      parse_patch("diff --git a/f b/f\nnew file mode 10064 x\n--- /dev/null\n+++ b/f\n@@ -0,0 +1 @@\n+x\n").ok());
  // A NUL in the "+++" line, which is read ahead of the loop's check.
  EXPECT_EQ(parse_error(std::string("--- a/f\n+++ \x01\0b/f\n@@ -1 +1 @@\n-a\n+b\n", 35)),
            "NUL byte outside a binary section (line 2)");
  // Binary data of a shape hg does not read by.
  EXPECT_EQ(
      parse_error("diff --git a/l b/l\nnew file mode 100644\nGIT binary patch\nliteral 7\nOc%17D@N;KiWC8#POaXEL\nZzz\n"
                  "diff --git a/m b/m\n--- a/m\n+++ b/m\n@@ -1 +1 @@\n-a\n+b\n"),
      "malformed binary data in l (line 6)");
  // A quoted name in a plain diff: git unquotes it, hg does not.
  EXPECT_EQ(parse_error("--- \"/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone\n"),
            "the file name in '--- \"/old.txt' is quoted: git unquotes it and hg does not; name it without quotes "
            "(line 1)");
}

TEST(Patch, MailBodiesThatToolsWouldDecodeAreRefused) {
  const std::string rest = "Subject: [PATCH] x\n\n---\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n";
  EXPECT_EQ(parse_error("From: A <a@b>\nContent-Transfer-Encoding: quoted-printable\n" + rest),
            "the mail's body is quoted-printable encoded; attach the output of git format-patch as it is");
  EXPECT_EQ(parse_error("From: A <a@b>\nContent-Transfer-Encoding: BASE64\n" + rest),
            "the mail's body is base64 encoded; attach the output of git format-patch as it is");
  EXPECT_EQ(parse_error("From: A <a@b>\nContent-Type: multipart/mixed; boundary=x\n" + rest),
            "the mail is multipart/mixed; boundary=x; attach the output of git format-patch (text/plain) as it is");
  parse_ok("From: A <a@b>\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n" + rest);
}

// What `git format-patch` writes for names with specials and non-ASCII.
TEST(Patch, MailAuthorsAreUnquotedAndDecoded) {
  const std::string rest = "Subject: x\n\n---\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n";
  EXPECT_EQ(parse_ok("From: \"Name S. Surname\" <a@b.org>\n" + rest).author, "Name S. Surname <a@b.org>");
  EXPECT_EQ(parse_ok("From: \"A \\\"Q\\\" B\" <a@b.org>\n" + rest).author, "A \"Q\" B <a@b.org>");
  EXPECT_EQ(parse_ok("From: =?UTF-8?q?J=C3=B6rg=20M=C3=BCller?= <j@b.org>\n" + rest).author, "Jörg Müller <j@b.org>");
  EXPECT_EQ(parse_ok("From: =?UTF-8?q?J=C3=B6rg?=   <j@b.org>\n" + rest).author, "Jörg <j@b.org>");
  EXPECT_EQ(parse_ok("From: <j@b.org>\n" + rest).author, "<j@b.org>");
}

TEST(Patch, DatesAreReadInBothForms) {
  EXPECT_EQ(parse_patch_date("1700000000 -3600"), (PatchDate{1700000000, 3600}));
  EXPECT_EQ(parse_patch_date("1700000000 0"), (PatchDate{1700000000, 0}));
  EXPECT_EQ(parse_patch_date("Tue, 14 Nov 2023 22:13:20 +0000"), (PatchDate{1700000000, 0}));
  EXPECT_EQ(parse_patch_date("Tue, 14 Nov 2023 23:13:20 +0100"), (PatchDate{1700000000, 3600}));
  EXPECT_EQ(parse_patch_date("14 Nov 2023 17:13:20 -0500"), (PatchDate{1700000000, -18000}));
  EXPECT_EQ(parse_patch_date("Thu, 1 Jan 1970 00:00:00 +0000"), (PatchDate{0, 0}));
  EXPECT_FALSE(parse_patch_date("yesterday"));
  EXPECT_FALSE(parse_patch_date("1700000000 99999999"));
  EXPECT_FALSE(parse_patch_date("Tue, 14 Nov 2023 25:13:20 +0000"));
  EXPECT_EQ(hg_date({1700000000, 3600}), "1700000000 -3600");
  EXPECT_EQ(git_date({1700000000, 3600}), "@1700000000 +0100");
  EXPECT_EQ(git_date({1700000000, -18000}), "@1700000000 -0500");
  EXPECT_EQ(git_date({1700000000, 19800}), "@1700000000 +0530");
  Patch p = parse_ok(read_data("patches/git-format-patch.patch"));
  EXPECT_EQ(p.timestamp, (PatchDate{1700000000, 0}));
  EXPECT_EQ(parse_error("# HG changeset patch\n# Date soon\nm\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"),
            "cannot read the patch's date 'soon' (expected '1700000000 0' or an RFC 2822 date)");
}

TEST(Patch, SymlinkTargetsStayInsideTheRepository) {
  EXPECT_TRUE(check_symlink_target("lib/x.h", "../include/x.h").ok());
  EXPECT_TRUE(check_symlink_target("a/b/c", "../../d/e").ok());
  EXPECT_TRUE(check_symlink_target("link", "./dir/file").ok());
  EXPECT_TRUE(check_symlink_target("link", "dir").ok());
  EXPECT_EQ(check_symlink_target("link", "/etc/passwd").error().message,
            "the symbolic link 'link' -> '/etc/passwd' points to an absolute path, outside the repository");
  EXPECT_EQ(check_symlink_target("link", "..").error().message,
            "the symbolic link 'link' -> '..' points outside the repository");
  EXPECT_EQ(check_symlink_target("a/link", "../../x").error().message,
            "the symbolic link 'a/link' -> '../../x' points outside the repository");
  EXPECT_EQ(check_symlink_target("link", ".hg").error().message,
            "the symbolic link 'link' -> '.hg' points at '.hg': path '.hg' touches version-control metadata (.hg/ or "
            ".git/)");
  EXPECT_FALSE(check_symlink_target("a/link", "../.git/config").ok());
  EXPECT_FALSE(check_symlink_target("a/link", "../.HG").ok());
  EXPECT_FALSE(check_symlink_target("link", "x/../..").ok());
  EXPECT_FALSE(check_symlink_target("link", "x/../y").ok());  // no detours: chains of links stay checkable
  EXPECT_FALSE(check_symlink_target("link", "~/x").ok());
  EXPECT_FALSE(check_symlink_target("link", "C:/x").ok());
  EXPECT_FALSE(check_symlink_target("link", "..\\..\\x").ok());
  EXPECT_FALSE(check_symlink_target("link", "").ok());
  EXPECT_FALSE(check_symlink_target("link", "a\tb").ok());
}

TEST(Patch, SymlinksInAPatch) {
  auto link = [](const std::string& path, const std::string& target) {
    return "diff --git a/" + path + " b/" + path + "\nnew file mode 120000\n--- /dev/null\n+++ b/" + path +
           "\n@@ -0,0 +1 @@\n+" + target + "\n\\ No newline at end of file\n";
  };
  Patch ok = parse_ok(link("docs/latest", "v2"));
  ASSERT_EQ(ok.files.size(), 1u);
  EXPECT_TRUE(ok.files[0].symlink);
  EXPECT_EQ(ok.files[0].link_target, "v2");
  EXPECT_EQ(parse_error(link("x", "/etc")),
            "the symbolic link 'x' -> '/etc' points to an absolute path, outside the "
            "repository");
  EXPECT_EQ(parse_error(link("x", "..")), "the symbolic link 'x' -> '..' points outside the repository");
  EXPECT_FALSE(parse_patch(link("x", ".hg")).ok());
  // Written through in the same patch, whatever the target.
  EXPECT_EQ(parse_error(link("out", "build") + "diff --git a/out/f b/out/f\nnew file mode 100644\n--- /dev/null\n+++ "
                                               "b/out/f\n@@ -0,0 +1 @@\n+x\n"),
            "'out/f' is written through the symbolic link 'out' the patch makes");
  // ... also where only a case-insensitive checkout makes them one folder.
  EXPECT_EQ(parse_error(link("OUT", "build") + "diff --git a/out/f b/out/f\nnew file mode 100644\n--- /dev/null\n+++ "
                                               "b/out/f\n@@ -0,0 +1 @@\n+x\n"),
            "'out/f' is written through the symbolic link 'OUT' the patch makes");
  // A changed target ("index a..b 120000", mode kept) and a file turned into a link.
  EXPECT_EQ(parse_error("diff --git a/l b/l\nindex 1111111..2222222 120000\n--- a/l\n+++ b/l\n@@ -1 +1 @@\n-v1\n\\ No "
                        "newline at end of file\n+/etc\n\\ No newline at end of file\n"),
            "the symbolic link 'l' -> '/etc' points to an absolute path, outside the repository");
  EXPECT_EQ(
      parse_error("diff --git a/l b/l\nold mode 100644\nnew mode 120000\n--- a/l\n+++ b/l\n@@ -1 +1 @@\n-text\n+..\n"),
      "the symbolic link 'l' -> '..' points outside the repository");
  EXPECT_EQ(parse_error("diff --git a/l b/l\nold mode 100644\nnew mode 120000\n"),
            "the symbolic link 'l' gets its target from the tree, not from the patch; put the target in the patch");
  EXPECT_EQ(parse_error("diff --git a/l b/l\nnew file mode 120000\n--- /dev/null\n+++ b/l\n@@ -0,0 +1,2 @@\n+a\n+b\n"),
            "the symbolic link in l gets more than one line as its target (line 7)");
}

TEST(Patch, HgMessageRuleDecidesWhereTheDiffStarts) {
  // "diff erent" is message text for hg, so the try line below it is too.
  Patch p = parse_ok(
      "# HG changeset patch\n# User A <a@b>\nBug 1 - x r=a\ndiff erent approach\ntry: -b do -p all\n"
      "diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n");
  EXPECT_EQ(p.message, "Bug 1 - x r=a\ndiff erent approach\ntry: -b do -p all");
}

TEST(Patch, EveryEntryNeedsANamedFile) {
  EXPECT_EQ(parse_error("# HG changeset patch\n# User A <a@b>\nmsg\ndiff -r 1 foo\n@@ -1 +1 @@\n-a\n+b\n"),
            "hunk without '---' and '+++' lines naming its file (line 5)");
  EXPECT_EQ(parse_error("diff --git a/ b/\nnew file mode 100644\n"), "a file in the patch has an empty name (line 1)");
}

TEST(Patch, PathAliasesAndControlCharacters) {
  EXPECT_FALSE(check_patch_path("foo/.hgrc/").ok());
  EXPECT_FALSE(check_patch_path("a//b").ok());
  EXPECT_FALSE(check_patch_path(".git./config").ok());
  EXPECT_FALSE(check_patch_path(".git /config").ok());
  EXPECT_FALSE(check_patch_path("GIT~1/config").ok());
  EXPECT_FALSE(check_patch_path("HG~1/hgrc").ok());
  EXPECT_FALSE(check_patch_path(".g\u200cit/config").ok());
  EXPECT_FALSE(check_patch_path(std::string(".hgrc\0", 6)).ok());
  EXPECT_FALSE(check_patch_path("x\ny").ok());
  EXPECT_FALSE(check_patch_path(".gitmodules").ok());
  EXPECT_FALSE(check_patch_path("sub/.hgsub").ok());
  EXPECT_TRUE(check_patch_path("docs/git~notes.txt").ok());
  EXPECT_TRUE(check_patch_path(".github/workflows/ci.yml").ok());
  EXPECT_TRUE(check_patch_path("dir with space/é.txt").ok());
  EXPECT_EQ(parse_error("diff --git \"a/.hgrc\\000\" \"b/.hgrc\\000\"\nnew file mode 100644\n"),
            "path '.hgrc\\x00' contains a control character");
}

TEST(Patch, NulBytesOutsideBinarySections) {
  std::string diff = "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b";
  diff += '\0';
  diff += "c\n";
  EXPECT_EQ(parse_error(diff), "NUL byte outside a binary section (line 5)");
}

TEST(Patch, SizeLimit) {
  std::string diff = "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n";
  EXPECT_EQ(parse_error(diff, PatchLimits{10}), "the patch is 34 bytes, over the limit of 10");
}

TEST(Patch, MalformedInputs) {
  EXPECT_EQ(parse_error(""), "the patch is empty");
  EXPECT_EQ(parse_error("just some text\n"), "no diff found: expected 'diff', or '---' and '+++' lines");
  EXPECT_EQ(parse_error("--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n"),
            "hunk 1 in f is cut short at the end of the patch (3 lines missing)");
  EXPECT_EQ(parse_error("--- a/f\n+++ b/f\n@@ -x +1 @@\n"), "malformed hunk header '@@ -x +1 @@' in f (line 3)");
  EXPECT_EQ(parse_error("--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\nbogus\n"),
            "hunk 1 in f ends early: 'bogus' is not a diff line (line 5)");
  EXPECT_EQ(parse_error("@@ -1 +1 @@\n-a\n+b\n"), "no diff found: expected 'diff', or '---' and '+++' lines");
  EXPECT_EQ(parse_error("# HG changeset patch\n# Parent a\n# Parent b\nmerge\n"),
            "the patch is a merge (two '# Parent' lines); autoland lands single changesets (line 3)");
}

TEST(Patch, EmptyChangesetIsRefused) {
  EXPECT_EQ(parse_error("# HG changeset patch\n# User A <a@b>\ntry: -b do -p all\n"), "the patch changes no file");
}

TEST(Patch, NoNewlineMarker) {
  Patch p =
      parse_ok("--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n");
  EXPECT_EQ(p.files[0].lines_added, 1u);
}

TEST(Patch, VeryLongLines) {
  std::string long_line(200000, 'x');
  Patch p = parse_ok("--- a/f\n+++ b/f\n@@ -1 +1 @@\n-" + long_line + "\n+" + long_line + "y\n");
  EXPECT_EQ(p.files[0].lines_added, 1u);
}

TEST(Patch, StripNick) {
  EXPECT_EQ(strip_nick("Jane Doe [:jdoe]"), "Jane Doe");
  EXPECT_EQ(strip_nick("Jane Doe (:jdoe) (PTO)"), "Jane Doe");
  EXPECT_EQ(strip_nick("  Jane Doe  "), "Jane Doe");
  EXPECT_EQ(strip_nick("Jörg [:jm] [needinfo me]"), "Jörg");
  EXPECT_EQ(nick_of("Jane Doe [:jdoe]"), "jdoe");
  EXPECT_EQ(nick_of("Jane Doe (:jdoe) (PTO)"), "jdoe");
  EXPECT_EQ(nick_of("Jörg [:jm, :joerg]"), "jm");
  EXPECT_EQ(nick_of("Jane Doe"), "");
  EXPECT_EQ(nick_of("Jane [:]"), "");
}

TEST(Patch, SynthesizedHeaderParsesBack) {
  SynthesizedHeaderInput in{4242, "Jane Doe [:jdoe]", "jane@example.org", "  part 2: fix\nthe thing ", 1700000000};
  std::string header = synthesize_hg_header(in);
  EXPECT_EQ(header,
            "# HG changeset patch\n# User Jane Doe <jane@example.org>\n# Date 1700000000 0\n"
            "Bug 4242 - part 2: fix the thing\n");
  Patch p = parse_ok(header + "\n" + read_data("patches/hg-diff-git.patch"));
  EXPECT_EQ(p.author, "Jane Doe <jane@example.org>");
  EXPECT_EQ(p.summary(), "Bug 4242 - part 2: fix the thing");
  EXPECT_EQ(p.files.size(), 5u);
  EXPECT_EQ(synthesized_user({1, "", "x@y.org", "", 0}), "x@y.org <x@y.org>");
}

}  // namespace
}  // namespace autoland

TEST(Patch, NormalizedDiffIgnoresHeadersBlobIdsAndTheSignature) {
  std::string hg =
      "# HG changeset patch\n# User A <a@b>\nBug 1 - x\n\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,1 +1,1 @@\n-- "
      "\n+new  \n";
  std::string git =
      "From 0123 Mon Sep 17 00:00:00 2001\nFrom: A <a@b>\nSubject: [PATCH] Bug 1 - x\n\n---\n f | 2 +-\n\n"
      "diff --git a/f b/f\nindex 1234567..89abcde 100644\n--- a/f\n+++ b/f\n@@ -1 +1 @@ int main()\n-- \n+new\n-- "
      "\n2.39.5\n";
  EXPECT_EQ(autoland::normalized_diff(hg), autoland::normalized_diff(git));
  // "-- " inside a hunk is a removed line "- ", and it counts.
  EXPECT_NE(autoland::normalized_diff(hg).find("\n--\n+new\n"), std::string::npos);
  EXPECT_NE(autoland::normalized_diff(hg),
            autoland::normalized_diff("diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,1 +1,1 @@\n-x\n+new\n"));
}
