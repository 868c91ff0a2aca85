// Applying and pushing patchsets with real git: bare remotes on disk and one
// served by `git daemon` on 127.0.0.1 with pushes allowed.
#include "adapters/vcs/git/git_vcs.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "adapters/process/subprocess.h"
#include "util/strings.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;

class GitVcsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("git-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    remote_ = (dir_ / "remote.git").string();
    work_ = (dir_ / "work").string();
    git({"init", "--quiet", "--bare", "--initial-branch=main", remote_});
    git({"init", "--quiet", "--initial-branch=main", work_});
    write(work_, "a.txt", "l1\nl2\nl3\n");
    git({"-C", work_, "add", "-A"});
    git({"-C", work_, "commit", "--quiet", "-m", "base"});
    git({"-C", work_, "push", "--quiet", remote_, "main"});
    vcs_ = std::make_unique<GitVcs>((dir_ / "cache").string());
  }
  void TearDown() override {
    vcs_.reset();
    daemon_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::string git(std::vector<std::string> args, int want = 0) {
    SpawnOptions o;
    o.argv = {"git"};
    for (auto& a : args) o.argv.push_back(a);
    o.env_set = {{"GIT_AUTHOR_NAME", "Someone"},    {"GIT_AUTHOR_EMAIL", "someone@example.org"},
                 {"GIT_COMMITTER_NAME", "Someone"}, {"GIT_COMMITTER_EMAIL", "someone@example.org"},
                 {"GIT_CONFIG_NOSYSTEM", "1"},      {"LC_ALL", "C"}};
    auto r = run_program(o);
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return "";
    if (want >= 0) {
      EXPECT_EQ(r->exit_code, want) << util::join(o.argv, " ") << ": " << r->err;
    }
    std::string out = r->out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  static void write(const std::string& dir, const std::string& file, const std::string& text) {
    std::ofstream(fs::path(dir) / file) << text;
  }
  // Someone else lands FILE with TEXT on the remote's main.
  void land_elsewhere(const std::string& file, const std::string& text, const std::string& message) {
    git({"-C", work_, "pull", "--quiet", "--ff-only", remote_, "main"});
    write(work_, file, text);
    git({"-C", work_, "add", "-A"});
    git({"-C", work_, "commit", "--quiet", "-m", message});
    git({"-C", work_, "push", "--quiet", remote_, "HEAD:main"});
  }
  std::string remote_log(const std::string& format, const std::string& rev = "main") {
    return git({"--git-dir", remote_, "log", "-1", "--format=" + format, rev});
  }

  PushSpec spec(std::vector<PatchToApply> patches) {
    PushSpec s;
    s.branch = "main";
    s.pull_url = s.push_url = remote_;
    s.patches = std::move(patches);
    return s;
  }
  static std::string hg_header(const std::string& message) {
    return "# HG changeset patch\n# User Dana Dev <dana@example.org>\n# Date 1700000000 0\n" + message + "\n\n";
  }
  static std::string format_patch(const std::string& subject, const std::string& diff) {
    return "From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001\nFrom: Gil Git <gil@example.org>\n"
           "Date: Tue, 14 Nov 2023 22:13:20 +0100\nSubject: [PATCH] " +
           subject + "\n\n---\n\n" + diff + "-- \n2.39.5\n";
  }
  static std::string change_line2(const std::string& to) {
    return "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n l1\n-l2\n+" + to + "\n l3\n";
  }
  static std::string new_file(const std::string& name) {
    return "diff --git a/" + name + " b/" + name + "\nnew file mode 100644\n--- /dev/null\n+++ b/" + name +
           "\n@@ -0,0 +1,1 @@\n+hello\n";
  }

  fs::path dir_;
  std::string remote_, work_;
  std::unique_ptr<GitVcs> vcs_;
  std::optional<Subprocess> daemon_;
};

TEST_F(GitVcsTest, AppliesHgAndGitPatchesInOrderAndPushes) {
  auto out = vcs_->apply_and_push(spec({{11, hg_header("Bug 1 - part 1 r=rita") + change_line2("two")},
                                        {12, format_patch("Bug 1 - part 2 r=rita", new_file("b.txt"))}}));
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->nodes.size(), 2u);
  EXPECT_EQ(out->tip, remote_log("%H"));
  EXPECT_EQ(remote_log("%s|%an <%ae>|%ad|%cn", "main~1"),
            "Bug 1 - part 1 r=rita|Dana Dev <dana@example.org>|Tue Nov 14 22:13:20 2023 +0000|autoland");
  EXPECT_EQ(remote_log("%s|%an <%ae>|%ad"),
            "Bug 1 - part 2 r=rita|Gil Git <gil@example.org>|Tue Nov 14 22:13:20 2023 +0100");
  EXPECT_EQ(git({"--git-dir", remote_, "show", "main:a.txt"}), "l1\ntwo\nl3");
  EXPECT_EQ(out->races, 0);
  // Nothing was checked out in the cache clone: it is bare.
  EXPECT_EQ(git({"--git-dir", (dir_ / "cache" / "main.git").string(), "rev-parse", "--is-bare-repository"}), "true");
}

// The clone's lock is held for the whole push (the daemon and an `autoland
// push` by hand share the cache): the remote's hook, running while autoland
// waits for its push, finds it taken.
TEST_F(GitVcsTest, TheClonesLockIsHeldWhileThePushRuns) {
  const std::string lock = (dir_ / "cache" / "main.git.lock").string();
  const std::string seen = (dir_ / "lock-seen").string();
  const fs::path hook = fs::path(remote_) / "hooks" / "pre-receive";
  std::ofstream(hook) << "#!/bin/sh\nif flock -n " << lock << " true; then echo free; else echo held; fi >> " << seen
                      << "\n";
  fs::permissions(hook, fs::perms::owner_all, fs::perm_options::add);
  auto out = vcs_->apply_and_push(spec({{21, hg_header("Bug 3 - x r=a") + new_file("y.txt")}}));
  ASSERT_TRUE(out.ok()) << out.error().message;
  std::ifstream in(seen);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "held\n");
}

TEST_F(GitVcsTest, TryPushGoesToABranchOfItsOwnWithTheSyntaxOnTop) {
  PushSpec s = spec({{21, change_line2("try"), "Dana Dev <dana@example.org>", "Bug 4 - try me", 1700000000}});
  s.try_syntax = "try: -b do -p linux";
  s.allow_new_head = true;
  auto out = vcs_->apply_and_push(s);
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->nodes.size(), 2u);
  std::string branch = "autoland/try/" + out->tip.substr(0, 12);
  EXPECT_EQ(remote_log("%H|%s|%an", branch), out->tip + "|try: -b do -p linux|autoland");
  EXPECT_EQ(remote_log("%s|%an", branch + "~1"), "Bug 4 - try me|Dana Dev");
  EXPECT_EQ(remote_log("%s"), "base");  // main untouched
  // In the tip's message instead.
  PushSpec tip = spec({{22, hg_header("Bug 5 - x") + new_file("x.txt")}});
  tip.try_syntax = "try: -b o";
  tip.placement = TrySyntaxPlacement::tip_message;
  tip.allow_new_head = true;
  auto in_tip = vcs_->apply_and_push(tip);
  ASSERT_TRUE(in_tip.ok()) << in_tip.error().message;
  EXPECT_EQ(in_tip->nodes.size(), 1u);
  EXPECT_EQ(git({"--git-dir", remote_, "log", "-1", "--format=%B", in_tip->tip}), "Bug 5 - x\n\ntry: -b o");
}

TEST_F(GitVcsTest, APatchThatDoesNotApplyNamesAttachmentAndFile) {
  auto out = vcs_->apply_and_push(spec({{31, hg_header("Bug 5 - x r=a") + change_line2("ok")},
                                        {32, hg_header("Bug 5 - y r=a") + change_line2("again")}}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::conflict);
  EXPECT_EQ(out.error().message, "attachment 32 does not apply: hunk 1 of a.txt failed at line 1");
  EXPECT_EQ(remote_log("%s"), "base");
  auto missing =
      vcs_->apply_and_push(spec({{33, hg_header("Bug 6 - z") + "diff --git a/nope.txt b/nope.txt\n--- a/nope.txt\n+++ "
                                                               "b/nope.txt\n@@ -1,1 +1,1 @@\n-a\n+b\n"}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "attachment 33 does not apply: file 'nope.txt' is not in the repository");
}

TEST_F(GitVcsTest, RemoteMovedMeanwhileIsAppliedAgainAndPushed) {
  std::vector<std::vector<std::string>> recorded;
  vcs_->set_before_push([&] {
    if (recorded.size() == 1) land_elsewhere("other.txt", "x\n", "Bug 9 - someone else");
  });
  PushSpec s = spec({{41, hg_header("Bug 7 - mine r=a") + new_file("mine.txt")}});
  s.record_intent = [&](const std::vector<std::string>& nodes) {
    recorded.push_back(nodes);
    return Status{};
  };
  auto out = vcs_->apply_and_push(s);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->races, 1);
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_NE(recorded[0], recorded[1]);
  EXPECT_EQ(recorded[1], out->nodes);
  EXPECT_EQ(remote_log("%s"), "Bug 7 - mine r=a");
  EXPECT_EQ(remote_log("%s", "main~1"), "Bug 9 - someone else");
  auto parent = vcs_->parent_of(s, out->nodes.front());
  ASSERT_TRUE(parent.ok()) << parent.error().message;
  EXPECT_EQ(*parent, remote_log("%H", "main~1"));
  EXPECT_EQ(vcs_->parent_of(s, std::string(40, 'a')).error().kind, ErrorKind::not_found);
  EXPECT_EQ(vcs_->parent_of(s, "main").error().kind, ErrorKind::invalid_input);
}

TEST_F(GitVcsTest, RemoteMovedWithAConflictIsRefusedNamingTheFile) {
  bool moved = false;
  vcs_->set_before_push([&] {
    if (moved) return;
    moved = true;
    land_elsewhere("a.txt", "l1\ntheirs\nl3\n", "Bug 10 - theirs");
  });
  auto out = vcs_->apply_and_push(spec({{51, hg_header("Bug 8 - ours r=a") + change_line2("ours")}}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::conflict);
  EXPECT_NE(out.error().message.find("meanwhile"), std::string::npos) << out.error().message;
  EXPECT_NE(out.error().message.find("a.txt"), std::string::npos) << out.error().message;
  EXPECT_EQ(remote_log("%s"), "Bug 10 - theirs");
}

TEST_F(GitVcsTest, AHookRefusalIsQuoted) {
  fs::path hook = fs::path(remote_) / "hooks" / "pre-receive";
  std::ofstream(hook) << "#!/bin/sh\necho 'main is CLOSED for a release'\nexit 1\n";
  fs::permissions(hook, fs::perms::owner_all);
  auto out = vcs_->apply_and_push(spec({{61, hg_header("Bug 11 - x r=a") + new_file("y.txt")}}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::conflict);
  EXPECT_EQ(out.error().message, "the remote refused the push: main is CLOSED for a release");
}

TEST_F(GitVcsTest, ALandedPatchIsNotLandedAgainAndIsFoundAfterACrash) {
  PushSpec s = spec({{71, hg_header("Bug 12 - once r=a") + new_file("once.txt")}});
  auto none = vcs_->find_pushed(s, {});
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());
  auto first = vcs_->apply_and_push(s);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto again = vcs_->apply_and_push(spec({{72, s.patches[0].text}}));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, "attachment 72 is already on main as " + first->tip);
  // The same change as git format-patch: recognised too.
  auto as_git = vcs_->apply_and_push(spec({{73, format_patch("Bug 12 - once r=a", new_file("once.txt"))}}));
  ASSERT_FALSE(as_git.ok());
  EXPECT_EQ(as_git.error().message, "attachment 73 is already on main as " + first->tip);
  auto by_node = vcs_->find_pushed(s, first->nodes);
  ASSERT_TRUE(by_node.ok() && by_node->has_value());
  EXPECT_EQ((*by_node)->tip, first->tip);
  auto by_content = vcs_->find_pushed(s, {std::string(40, 'a')});
  ASSERT_TRUE(by_content.ok() && by_content->has_value()) << (by_content.ok() ? "" : by_content.error().message);
  EXPECT_EQ((*by_content)->tip, first->tip);
}

TEST_F(GitVcsTest, BackoutIsOneCommitUndoingTheLandingNewestFirst) {
  auto landed = vcs_->apply_and_push(spec({{81, hg_header("Bug 23 - part 1 r=a") + change_line2("two")},
                                           {82, hg_header("Bug 23 - part 2 r=a") + new_file("b.txt")}}));
  ASSERT_TRUE(landed.ok()) << landed.error().message;
  land_elsewhere("later.txt", "later\n", "Bug 24 - later");
  BackoutSpec b;
  b.branch = "main";
  b.pull_url = b.push_url = remote_;
  b.revisions = {landed->nodes[0].substr(0, 12), landed->nodes[1]};
  b.bug_id = 23;
  b.reason = "build bustage";
  auto out = vcs_->back_out(b);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(git({"--git-dir", remote_, "log", "-1", "--format=%B", "main"}),
            "Backed out 2 changesets (bug 23) for build bustage\n\nBacked out changeset " +
                landed->nodes[1].substr(0, 12) + "\nBacked out changeset " + landed->nodes[0].substr(0, 12));
  EXPECT_EQ(remote_log("%s", "main~1"), "Bug 24 - later");
  EXPECT_EQ(git({"--git-dir", remote_, "show", "main:a.txt"}), "l1\nl2\nl3");
  EXPECT_EQ(git({"--git-dir", remote_, "ls-tree", "--name-only", "main"}), "a.txt\nlater.txt");
  auto found = vcs_->find_backed_out(b, {std::string(40, 'c')});
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->tip, out->tip);
  auto twice = vcs_->back_out(b);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().message, "already backed out on main as " + out->tip);
  b.revisions = {"0123456789ab"};
  EXPECT_EQ(vcs_->back_out(b).error().message, "changeset 0123456789ab is not on main");
  b.revisions = {"main; rm -rf /"};
  EXPECT_EQ(vcs_->back_out(b).error().kind, ErrorKind::invalid_input);
}

TEST_F(GitVcsTest, OverTheNetworkThroughGitDaemonAndACorruptCacheIsMadeAgain) {
  // git daemon on a free port, pushes allowed.
  int port = 0;
  for (int attempt = 0; attempt < 20 && !daemon_; ++attempt) {
    port = 20000 + static_cast<int>((::getpid() * 7 + attempt * 131) % 20000);
    SpawnOptions o;
    o.argv = {"git",         "daemon",       "--listen=127.0.0.1",    "--port=" + std::to_string(port),
              "--reuseaddr", "--export-all", "--enable=receive-pack", "--base-path=" + dir_.string(),
              dir_.string()};
    // `git daemon` runs git-daemon as its child: kill the whole group, or
    // the daemon outlives the test (issue 14, item 20).
    o.own_process_group = true;
    auto d = Subprocess::spawn(o);
    ASSERT_TRUE(d.ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    SpawnOptions probe;
    probe.argv = {"git", "ls-remote", "git://127.0.0.1:" + std::to_string(port) + "/remote.git"};
    auto r = run_program(probe);
    if (r.ok() && r->exit_code == 0) daemon_ = std::move(*d);
  }
  ASSERT_TRUE(daemon_) << "git daemon did not start";
  std::string url = "git://127.0.0.1:" + std::to_string(port) + "/remote.git";
  PushSpec s = spec({{91, hg_header("Bug 15 - over the network r=a") + new_file("net.txt")}});
  s.pull_url = s.push_url = url;
  auto out = vcs_->apply_and_push(s);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(remote_log("%H"), out->tip);
  // Damage the cache clone: every object file loses its tail.
  int damaged = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "cache" / "main.git" / "objects")) {
    if (!e.is_regular_file()) continue;
    fs::permissions(e.path(), fs::perms::owner_read | fs::perms::owner_write);
    fs::resize_file(e.path(), e.file_size() / 2);
    ++damaged;
  }
  ASSERT_GT(damaged, 0);
  // The same driver object goes on (what it remembered of the clone must not outlive it).
  GitVcs& fresh = *vcs_;
  PushSpec next = spec({{92, hg_header("Bug 16 - after repair r=a") + new_file("repair.txt")}});
  next.pull_url = next.push_url = url;
  auto repaired = fresh.apply_and_push(next);
  ASSERT_TRUE(repaired.ok()) << repaired.error().message;
  EXPECT_EQ(remote_log("%s"), "Bug 16 - after repair r=a");
  EXPECT_GE(fresh.reclones(), 1);
  // Stopped, nothing of the daemon is left (it once outlived every run).
  daemon_.reset();
  SpawnOptions left;
  left.argv = {"pgrep", "-f", "base-path=" + dir_.string()};
  auto found = run_program(left);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->exit_code, 1) << "still running: " << found->out;
}

TEST_F(GitVcsTest, ALandingDoesNotFetchFirstButStillSeesWhatLandedMeanwhile) {
  auto first = vcs_->apply_and_push(spec({{101, hg_header("Bug 30 - first r=a") + new_file("first.txt")}}));
  ASSERT_TRUE(first.ok()) << first.error().message;
  // Someone lands our next change by hand; the cache clone has not seen it.
  git({"-C", work_, "pull", "--quiet", "--ff-only", remote_, "main"});
  write(work_, "hand.txt", "hello\n");
  git({"-C", work_, "add", "-A"});
  git({"-C", work_, "commit", "--quiet", "-m", "Bug 31 - by hand too r=a"});
  git({"-C", work_, "push", "--quiet", remote_, "HEAD:main"});
  std::vector<std::vector<std::string>> recorded;
  PushSpec dup = spec({{102, hg_header("Bug 31 - by hand too r=a") + new_file("hand.txt")}});
  dup.record_intent = [&](const std::vector<std::string>& nodes) {
    recorded.push_back(nodes);
    return Status{};
  };
  auto out = vcs_->apply_and_push(dup);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "attachment 102 is already on main as " + remote_log("%H"));
  EXPECT_EQ(recorded.size(), 1u);  // one refused push attempt, then the fetch found it
  // An unrelated landing goes on top of what landed meanwhile.
  land_elsewhere("hand2.txt", "x\n", "Bug 32 - by hand");
  auto next = vcs_->apply_and_push(spec({{103, hg_header("Bug 33 - next r=a") + new_file("next.txt")}}));
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->races, 1);
  EXPECT_EQ(remote_log("%s", "main~1"), "Bug 32 - by hand");
}

TEST_F(GitVcsTest, AStaleCloneFetchesWhenAPatchNeedsWhatLandedSinceAndBackedOutChangesMayLandAgain) {
  ASSERT_TRUE(vcs_->apply_and_push(spec({{111, hg_header("Bug 40 - first r=a") + new_file("first.txt")}})).ok());
  land_elsewhere("part.txt", "hello\n", "Bug 41 - part 1 r=a");
  std::string part2 =
      hg_header("Bug 41 - part 2 r=a") +
      "diff --git a/part.txt b/part.txt\n--- a/part.txt\n+++ b/part.txt\n@@ -1,1 +1,1 @@\n-hello\n+bye\n";
  auto out = vcs_->apply_and_push(spec({{112, part2}}));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(git({"--git-dir", remote_, "show", "main:part.txt"}), "bye");
  BackoutSpec b;
  b.branch = "main";
  b.pull_url = b.push_url = remote_;
  b.revisions = {out->tip};
  b.bug_id = 41;
  b.reason = "bustage";
  auto backout = vcs_->back_out(b);
  ASSERT_TRUE(backout.ok()) << backout.error().message;
  auto again = vcs_->apply_and_push(spec({{113, part2}}));
  ASSERT_TRUE(again.ok()) << again.error().message;
  b.revisions = {again->tip};
  auto second = vcs_->back_out(b);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(git({"--git-dir", remote_, "show", "main:part.txt"}), "hello");
}

TEST_F(GitVcsTest, ASilentHookRefusalGivesGitsReason) {
  fs::path hook = fs::path(remote_) / "hooks" / "pre-receive";
  std::ofstream(hook) << "#!/bin/sh\nexit 1\n";
  fs::permissions(hook, fs::perms::owner_all);
  auto out = vcs_->apply_and_push(spec({{121, hg_header("Bug 50 - x r=a") + new_file("z.txt")}}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "the remote refused the push: (pre-receive hook declined)");
}

TEST(GitApplyFailure, DescribedFromGitOutput) {
  EXPECT_EQ(describe_git_apply_failure("error: patch failed: src/a.c:12\nerror: src/a.c: patch does not apply\n"),
            "the change to src/a.c at line 12 does not match");
  EXPECT_EQ(describe_git_apply_failure("error: patch failed: a.txt:1\nFalling back to three-way merge...\n"
                                       "Applied patch to 'a.txt' with conflicts.\nU a.txt\n"),
            "conflict in a.txt; the change to a.txt at line 1 does not match");
  EXPECT_EQ(describe_git_apply_failure("error: b.txt: already exists in index\n"), "file 'b.txt' exists already");
  EXPECT_EQ(describe_git_apply_failure("fatal: something odd\n"), "fatal: something odd");
  // With the patch at hand, the hunk is named.
  std::string patch =
      "diff --git a/src/a.c b/src/a.c\n--- a/src/a.c\n+++ b/src/a.c\n@@ -3,3 +3,3 @@\n x\n-y\n+z\n w\n"
      "@@ -12,4 +12,4 @@ int f()\n a\n-b\n+c\n d\n";
  EXPECT_EQ(describe_git_apply_failure("error: patch failed: src/a.c:12\n", patch),
            "hunk 2 of src/a.c failed at line 12");
}

// The hardening issue's attack on git: git apply took a hunk in the message.
TEST_F(GitVcsTest, AHunkInsideTheMessageNeverReachesTheRemote) {
  std::string before = remote_log("%H");
  for (std::string hidden : {".gitmodules", ".git/config", "../outside"}) {
    std::string body = "Bug 1 - innocent\n\n--- a/" + hidden + "\n+++ b/" + hidden + "\n@@ -0,0 +1,1 @@\n+[x]\n";
    std::string patch = "From: Gil Git <gil@example.org>\nSubject: [PATCH] Bug 1 - innocent\n\n" + body + "\n---\n\n" +
                        change_line2("two");
    auto refused = vcs_->apply_and_push(spec({{12, patch}}));
    ASSERT_FALSE(refused.ok()) << hidden;
    EXPECT_EQ(refused.error().kind, ErrorKind::invalid_input) << refused.error().message;
  }
  EXPECT_EQ(remote_log("%H"), before);
}

// A link made by one patch and written through by the next, and a link the
// tree has retargeted outside by a hunk that says nothing of links.
TEST_F(GitVcsTest, LinksAreCheckedOnTheTreeTheCommitJoins) {
  fs::create_directories(fs::path(work_) / "real");
  write(work_, "real/f.txt", "f\n");
  fs::create_symlink("real", fs::path(work_) / "docs");
  land_elsewhere("real/g.txt", "g\n", "links");
  std::string before = remote_log("%H");
  std::string link =
      "diff --git a/out b/out\nnew file mode 120000\n--- /dev/null\n+++ b/out\n@@ -0,0 +1 @@\n+real\n\\ "
      "No newline at end of file\n";
  auto through = vcs_->apply_and_push(spec(
      {{21, hg_header("Bug 3 - link r=r") + link}, {22, hg_header("Bug 3 - through r=r") + new_file("out/x.txt")}}));
  ASSERT_FALSE(through.ok());
  EXPECT_NE(through.error().message.find("out/x.txt"), std::string::npos) << through.error().message;
  auto existing = vcs_->apply_and_push(spec({{23, hg_header("Bug 4 - x r=r") + new_file("docs/new.txt")}}));
  ASSERT_FALSE(existing.ok());
  EXPECT_NE(existing.error().message.find("docs/new.txt"), std::string::npos) << existing.error().message;
  auto retarget = vcs_->apply_and_push(spec(
      {{24, hg_header("Bug 5 - r r=r") + "diff --git a/docs b/docs\n--- a/docs\n+++ b/docs\n@@ -1 +1 @@\n-real\n"
                                         "\\ No newline at end of file\n+../..\n\\ No newline at end of file\n"}}));
  ASSERT_FALSE(retarget.ok());
  EXPECT_EQ(retarget.error().message,
            "attachment 24: the symbolic link 'docs' -> '../..' points outside the repository");
  EXPECT_EQ(remote_log("%H"), before);
}

}  // namespace
}  // namespace autoland
