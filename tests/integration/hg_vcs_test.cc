// Applying and pushing patchsets with real hg against remotes on disk.
#include "adapters/vcs/hg/hg_vcs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "adapters/process/subprocess.h"
#include "adapters/vcs/hg/type_change.h"
#include "hg_test_support.h"
#include "util/strings.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;

class HgVcsTest : public autoland::testing::HgTest {
 protected:
  void SetUp() override {
    HgTest::SetUp();
    remote_ = (dir_ / "remote").string();
    hg({"init", remote_});
    std::ofstream(fs::path(remote_) / "a.txt") << "l1\nl2\nl3\n";
    hg({"commit", "-A", "-m", "base"}, remote_);
    vcs_ = std::make_unique<HgVcs>((dir_ / "cache").string());
  }
  void TearDown() override {
    vcs_.reset();
    HgTest::TearDown();
  }

  PushSpec spec(std::vector<PatchToApply> patches) {
    PushSpec s;
    s.branch = "central";
    s.pull_url = remote_;
    s.push_url = remote_;
    s.patches = std::move(patches);
    return s;
  }

  static std::string header(const std::string& message) {
    return "# HG changeset patch\n# User Dana Dev <dana@example.org>\n# Date 1700000000 0\n" + message + "\n\n";
  }
  static std::string change_line2(const std::string& to) {
    return "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n l1\n-l2\n+" + to + "\n l3\n";
  }
  static std::string new_file(const std::string& name) {
    return "diff --git a/" + name + " b/" + name + "\nnew file mode 100644\n--- /dev/null\n+++ b/" + name +
           "\n@@ -0,0 +1,1 @@\n+hello\n";
  }

  std::string remote_;
  std::unique_ptr<HgVcs> vcs_;
};

TEST_F(HgVcsTest, AppliesInOrderAndPushes) {
  auto out = vcs_->apply_and_push(spec({{11, header("Bug 1 - part 1 r=rita") + change_line2("two")},
                                        {12, header("Bug 1 - part 2 r=rita") + new_file("b.txt")}}));
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->nodes.size(), 2u);
  EXPECT_EQ(out->tip, hg({"log", "-R", remote_, "-r", "tip", "-T", "{node}"}));
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", "tip^::tip", "-T", "{desc}|{author}\n"}),
            "Bug 1 - part 1 r=rita|Dana Dev <dana@example.org>\nBug 1 - part 2 r=rita|Dana Dev <dana@example.org>\n");
  EXPECT_EQ(hg({"cat", "-r", "tip", "a.txt"}, remote_), "l1\ntwo\nl3\n");
  EXPECT_EQ(out->races, 0);
  // The clone is kept: the next patchset pulls, it does not clone again.
  auto next = vcs_->apply_and_push(spec({{13, header("Bug 2 - more r=rita") + new_file("c.txt")}}));
  ASSERT_TRUE(next.ok()) << next.error().message;
}

TEST_F(HgVcsTest, AKillMidImportLeavesNothingThatLooksLikeALanding) {
  // The cache clone exists (an earlier landing).
  ASSERT_TRUE(vcs_->apply_and_push(spec({{30, header("Bug 5 - first r=rita") + new_file("f.txt")}})).ok());
  // A patch exported on the remote's tip: imported there again it makes the
  // very same node.
  fs::path wc = dir_ / "wc";
  hg({"clone", "-q", remote_, wc.string()});
  std::ofstream(wc / "g.txt") << "g\n";
  hg({"commit", "-A", "-m", "Bug 6 - g r=rita", "-u", "Dana <d@example.org>"}, wc.string());
  std::string exported = hg({"export", "-r", "tip"}, wc.string());
  // What a pusher killed mid-import leaves in its clone: the mark it writes
  // first, and the import, with no note of the node it made.
  std::string clone;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "cache")) {
    if (e.path().filename() == ".hg") clone = e.path().parent_path().string();
  }
  ASSERT_FALSE(clone.empty());
  std::string tip_rev = hg({"log", "-r", "tip", "-T", "{rev}"}, clone);
  std::ofstream(fs::path(clone) / ".hg" / "autoland-unpushed", std::ios::app)
      << "from-rev:" << std::stoi(tip_rev) + 1 << "\n";
  SpawnOptions import;
  import.argv = {"hg", "import", "--bypass", "-"};
  import.cwd = clone;
  import.env_set = {{ "HGPLAIN", "1" }};
  auto imported = run_program(import, exported);
  ASSERT_TRUE(imported.ok() && imported->exit_code == 0) << (imported.ok() ? imported->err : imported.error().message);
  // The restarted pusher (a new process) lands it, once.
  vcs_ = std::make_unique<HgVcs>((dir_ / "cache").string());
  auto out = vcs_->apply_and_push(spec({{31, exported}}));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", "desc('Bug 6 - g')", "-T", "x"}), "x");
}

TEST_F(HgVcsTest, HeaderlessTryPushWithTrySyntaxMakesANewHead) {
  // Another try push is already on the remote, on its own head.
  auto first = vcs_->apply_and_push(spec({{20, header("Bug 3 - x") + new_file("x.txt")}}));
  ASSERT_TRUE(first.ok()) << first.error().message;
  hg({"update", "-R", remote_, "-r", "0"});
  PushSpec s = spec({{21, change_line2("try"), "Dana Dev <dana@example.org>", "Bug 4 - try me", 1700000000}});
  s.try_syntax = "try: -b do -p linux -n --post-to-bugzilla Bug 4";
  s.allow_new_head = true;
  // Push from the base, not from the other try push: refresh goes to the
  // newest head, so this lands on top of it; try takes any number of heads.
  auto out = vcs_->apply_and_push(s);
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->nodes.size(), 2u);
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", out->tip, "-T", "{desc}"}),
            "try: -b do -p linux -n --post-to-bugzilla Bug 4");
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", out->nodes[0], "-T", "{desc}|{author}"}),
            "Bug 4 - try me|Dana Dev <dana@example.org>");
}

TEST_F(HgVcsTest, APatchThatDoesNotApplyNamesAttachmentFileAndHunk) {
  auto out = vcs_->apply_and_push(spec(
      {{31, header("Bug 5 - x r=a") + change_line2("ok")}, {32, header("Bug 5 - y r=a") + change_line2("again")}}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::conflict);
  EXPECT_EQ(out.error().message, "attachment 32 does not apply: hunk 1 of a.txt failed at 0");
  EXPECT_EQ(hg({"log", "-R", remote_, "-T", "x"}), "x");  // nothing pushed
  // The clone was cleaned: a good patchset goes through next.
  auto next = vcs_->apply_and_push(spec({{33, header("Bug 6 - fine r=a") + change_line2("fine")}}));
  ASSERT_TRUE(next.ok()) << next.error().message;
}

TEST_F(HgVcsTest, RemoteMovedMeanwhileIsAppliedAgainAndPushed) {
  bool moved = false;
  vcs_->set_before_push([&] {
    if (moved) return;
    moved = true;
    std::ofstream(fs::path(remote_) / "other.txt") << "landed by someone else\n";
    hg({"commit", "-A", "-m", "Bug 9 - someone else"}, remote_);
  });
  auto out = vcs_->apply_and_push(spec({{41, header("Bug 7 - mine r=a") + new_file("mine.txt")}}));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->races, 1);
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", "heads(default)", "-T", "{desc}\n"}), "Bug 7 - mine r=a\n");
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", "tip^", "-T", "{desc}"}), "Bug 9 - someone else");
  // What it was pushed on, after the race: the other change.
  auto parent = vcs_->parent_of(spec({}), out->nodes.front());
  ASSERT_TRUE(parent.ok()) << parent.error().message;
  EXPECT_EQ(*parent, hg({"log", "-R", remote_, "-r", "tip^", "-T", "{node}"}));
}

TEST_F(HgVcsTest, TheParentOfAChangesetPushedByOthersIsReadAfterAPull) {
  std::ofstream(fs::path(remote_) / "other.txt") << "x\n";
  hg({"commit", "-A", "-m", "Bug 9 - someone else"}, remote_);
  const std::string theirs = hg({"log", "-R", remote_, "-r", "tip", "-T", "{node}"});
  auto parent = vcs_->parent_of(spec({}), theirs);
  ASSERT_TRUE(parent.ok()) << parent.error().message;
  EXPECT_EQ(*parent, hg({"log", "-R", remote_, "-r", "tip^", "-T", "{node}"}));
  auto root = vcs_->parent_of(spec({}), *parent);
  ASSERT_TRUE(root.ok()) << root.error().message;
  EXPECT_EQ(*root, std::string(40, '0'));
  EXPECT_EQ(vcs_->parent_of(spec({}), std::string(40, 'a')).error().kind, ErrorKind::not_found);
  EXPECT_EQ(vcs_->parent_of(spec({}), "tip").error().kind, ErrorKind::invalid_input);  // ids only, never revsets
}

TEST_F(HgVcsTest, RemoteMovedWithAConflictIsRefusedNamingTheFile) {
  vcs_->set_before_push([&] {
    static bool moved = false;
    if (moved) return;
    moved = true;
    std::ofstream(fs::path(remote_) / "a.txt") << "l1\ntheirs\nl3\n";
    hg({"commit", "-m", "Bug 10 - theirs"}, remote_);
  });
  auto out = vcs_->apply_and_push(spec({{51, header("Bug 8 - ours r=a") + change_line2("ours")}}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::conflict);
  EXPECT_NE(out.error().message.find("a.txt"), std::string::npos) << out.error().message;
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", "tip", "-T", "{desc}"}), "Bug 10 - theirs");
}

TEST_F(HgVcsTest, AClosedTreeHookRefusesThePush) {
  std::ofstream(fs::path(remote_) / ".hg" / "hgrc", std::ios::app)
      << "[hooks]\npretxnchangegroup.treeclosed = sh -c 'echo mozilla-central is CLOSED; exit 1'\n";
  auto out = vcs_->apply_and_push(spec({{61, header("Bug 11 - x r=a") + new_file("y.txt")}}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::conflict);
  EXPECT_NE(out.error().message.find("mozilla-central is CLOSED"), std::string::npos) << out.error().message;
}

// The clone's lock is held for the whole push and backout (the daemon and an
// `autoland push` by hand share the cache): the remote's hook, running while
// autoland waits for its push, finds it taken.
TEST_F(HgVcsTest, TheClonesLockIsHeldWhileThePushAndTheBackoutRun) {
  const std::string lock = (dir_ / "cache" / "central.lock").string();
  const std::string seen = (dir_ / "lock-seen").string();
  std::ofstream(fs::path(remote_) / ".hg" / "hgrc", std::ios::app)
      << "[hooks]\npretxnchangegroup.lockcheck = sh -c 'if flock -n " << lock << " true; then echo free; else echo "
      << "held; fi >> " << seen << "'\n";
  auto landed = vcs_->apply_and_push(spec({{71, header("Bug 12 - x r=a") + new_file("y.txt")}}));
  ASSERT_TRUE(landed.ok()) << landed.error().message;
  BackoutSpec b;
  b.branch = "central";
  b.pull_url = b.push_url = remote_;
  b.revisions = landed->nodes;
  b.bug_id = 12;
  b.reason = "bustage";
  b.record_intent = [](const std::vector<std::string>&) { return Status{}; };
  auto backed_out = vcs_->back_out(b);
  ASSERT_TRUE(backed_out.ok()) << backed_out.error().message;
  std::ifstream in(seen);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "held\nheld\n");
}

TEST_F(HgVcsTest, ALandedPatchIsNotLandedAgain) {
  std::string patch = header("Bug 12 - once r=a") + new_file("once.txt");
  auto first = vcs_->apply_and_push(spec({{71, patch}}));
  ASSERT_TRUE(first.ok()) << first.error().message;
  // The same patch attached again (same summary, same diff): refused.
  auto again = vcs_->apply_and_push(spec({{72, patch}}));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);
  EXPECT_EQ(again.error().message, "attachment 72 is already on central as " + first->tip);
  // Its exported form, with the node in the header: refused by node.
  std::string exported = hg({"export", "--git", "-r", first->tip}, remote_);
  auto by_node = vcs_->apply_and_push(spec({{73, exported}}));
  ASSERT_FALSE(by_node.ok());
  EXPECT_EQ(by_node.error().message, "attachment 73 is already on central as " + first->tip);
  // A header-less try of the same diff under the same message: refused too.
  auto plain = vcs_->apply_and_push(spec({{74, new_file("once.txt"), "Dana <d@e>", "Bug 12 - once r=a", 1}}));
  ASSERT_FALSE(plain.ok());
  // The same diff under another summary is a different change: it goes on (and fails
  // only because the file exists now).
  auto other = vcs_->apply_and_push(spec({{75, header("Bug 13 - other") + new_file("once.txt")}}));
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("does not apply"), std::string::npos) << other.error().message;
  EXPECT_EQ(hg({"log", "-T", "x"}, remote_), "xx");
}

TEST_F(HgVcsTest, TrySyntaxCanRideOnTheTipsMessage) {
  PushSpec s =
      spec({{81, header("Bug 14 - a r=a") + new_file("p.txt")}, {82, header("Bug 14 - b r=a") + new_file("q.txt")}});
  s.try_syntax = "try: -b o -p all";
  s.placement = TrySyntaxPlacement::tip_message;
  auto out = vcs_->apply_and_push(s);
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->nodes.size(), 2u);  // no extra commit
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", out->tip, "-T", "{desc}"}), "Bug 14 - b r=a\n\ntry: -b o -p all");
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", out->nodes[0], "-T", "{desc}"}), "Bug 14 - a r=a");
}

TEST_F(HgVcsTest, OverHttpThroughHgServe) {
  std::string url = serve(remote_);
  ASSERT_FALSE(url.empty());
  PushSpec s = spec({{91, header("Bug 15 - over http r=a") + new_file("http.txt")}});
  s.pull_url = s.push_url = url;
  auto out = vcs_->apply_and_push(s);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", "tip", "-T", "{node}"}), out->tip);
  // Someone else pushes (over http too) between our pull and our push.
  std::string other = (dir_ / "other").string();
  hg({"clone", "-q", url, other});
  vcs_->set_before_push([&] {
    static bool moved = false;
    if (moved) return;
    moved = true;
    std::ofstream(fs::path(other) / "theirs.txt") << "theirs\n";
    hg({"commit", "-A", "-m", "Bug 16 - theirs"}, other);
    hg({"push", url}, other);
  });
  PushSpec next = spec({{92, header("Bug 17 - mine r=a") + new_file("mine.txt")}});
  next.pull_url = next.push_url = url;
  auto raced = vcs_->apply_and_push(next);
  ASSERT_TRUE(raced.ok()) << raced.error().message;
  EXPECT_EQ(raced->races, 1);
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", "heads(default)", "-T", "{desc}"}), "Bug 17 - mine r=a");
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", "tip^", "-T", "{desc}"}), "Bug 16 - theirs");
  // After a crash, the remote is asked by node over http: found even though
  // the content no longer matches what the spec says.
  PushSpec changed = next;
  changed.patches[0].text = header("Bug 17 - reworded") + new_file("mine.txt");
  auto found = vcs_->find_pushed(changed, raced->nodes);
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->tip, raced->tip);
}

TEST_F(HgVcsTest, TheIntentIsRecordedBeforeEveryPushAttempt) {
  std::vector<std::vector<std::string>> recorded;
  bool moved = false;
  vcs_->set_before_push([&] {
    // The remote has not got the recorded changesets yet when the push starts.
    ASSERT_FALSE(recorded.empty());
    EXPECT_EQ(hg({"log", "-R", remote_, "-r", "id(" + recorded.back().back() + ")", "-T", "x"}, "", -1), "");
    if (moved) return;
    moved = true;
    std::ofstream(fs::path(remote_) / "other.txt") << "x\n";
    hg({"commit", "-A", "-m", "Bug 18 - someone else"}, remote_);
  });
  PushSpec s = spec({{101, header("Bug 19 - mine r=a") + new_file("mine.txt")}});
  s.record_intent = [&](const std::vector<std::string>& nodes) {
    recorded.push_back(nodes);
    return Status{};
  };
  auto out = vcs_->apply_and_push(s);
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(recorded.size(), 2u);       // once before each attempt
  EXPECT_NE(recorded[0], recorded[1]);  // made again on the new head
  EXPECT_EQ(recorded[1], out->nodes);   // what was pushed is what was recorded last
  // A failing record stops the push before anything leaves.
  vcs_->set_before_push(nullptr);
  PushSpec refused = spec({{102, header("Bug 20 - x r=a") + new_file("x.txt")}});
  refused.record_intent = [](const std::vector<std::string>&) { return Status(transient("store is locked")); };
  auto r = vcs_->apply_and_push(refused);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "store is locked");
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", "tip", "-T", "{desc}"}), "Bug 19 - mine r=a");
}

TEST_F(HgVcsTest, FindPushedAsksTheRemoteByNodeThenByContent) {
  PushSpec s = spec({{111, header("Bug 21 - one r=a") + new_file("one.txt")}});
  s.try_syntax = "try: -b d";
  auto none = vcs_->find_pushed(s, {});
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());  // never pushed
  auto out = vcs_->apply_and_push(s);
  ASSERT_TRUE(out.ok()) << out.error().message;
  auto by_node = vcs_->find_pushed(s, out->nodes);
  ASSERT_TRUE(by_node.ok()) << by_node.error().message;
  ASSERT_TRUE(by_node->has_value());
  EXPECT_EQ((*by_node)->tip, out->tip);
  // Recorded nodes the remote never saw (say, rewritten on the way): found by content.
  auto by_content = vcs_->find_pushed(s, {std::string(40, 'a'), std::string(40, 'b')});
  ASSERT_TRUE(by_content.ok()) << by_content.error().message;
  ASSERT_TRUE(by_content->has_value());
  EXPECT_EQ((*by_content)->nodes, out->nodes);
  // Another patchset is not mistaken for it.
  auto other = vcs_->find_pushed(spec({{112, header("Bug 22 - two r=a") + new_file("one.txt")}}), {});
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
}

TEST_F(HgVcsTest, BackoutIsOneCommitUndoingTheLandingNewestFirst) {
  auto landed = vcs_->apply_and_push(spec({{121, header("Bug 23 - part 1 r=a") + change_line2("two")},
                                           {122, header("Bug 23 - part 2 r=a") + new_file("b.txt")}}));
  ASSERT_TRUE(landed.ok()) << landed.error().message;
  // Someone lands on top meanwhile; the backout goes on top of that.
  std::ofstream(fs::path(remote_) / "later.txt") << "later\n";
  hg({"update", "-R", remote_, "-r", "tip"});
  hg({"commit", "-A", "-m", "Bug 24 - later"}, remote_);
  BackoutSpec b;
  b.branch = "central";
  b.pull_url = b.push_url = remote_;
  b.revisions = {landed->nodes[0].substr(0, 12), landed->nodes[1]};
  b.bug_id = 23;
  b.reason = "build bustage on linux64";
  std::vector<std::string> recorded;
  b.record_intent = [&](const std::vector<std::string>& nodes) {
    recorded = nodes;
    return Status{};
  };
  auto none = vcs_->find_backed_out(b, {});
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());
  auto out = vcs_->back_out(b);
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->nodes.size(), 1u);
  EXPECT_EQ(recorded, out->nodes);
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", "tip", "-T", "{desc}|{author}|{p1node}"}),
            "Backed out 2 changesets (bug 23) for build bustage on linux64\n\nBacked out changeset " +
                landed->nodes[1].substr(0, 12) + "\nBacked out changeset " + landed->nodes[0].substr(0, 12) +
                "|autoland|" + hg({"log", "-R", remote_, "-r", "tip^", "-T", "{node}"}));
  EXPECT_EQ(hg({"cat", "-r", "tip", "a.txt"}, remote_), "l1\nl2\nl3\n");
  EXPECT_EQ(hg({"files", "-r", "tip"}, remote_), "a.txt\nlater.txt\n");
  // Found again after a crash; a second backout is refused.
  auto found = vcs_->find_backed_out(b, {std::string(40, 'c')});
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->tip, out->tip);
  auto again = vcs_->back_out(b);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);
  EXPECT_EQ(again.error().message, "already backed out on central as " + out->tip);
  // A revision that is not on the branch.
  b.revisions = {"0123456789ab"};
  auto unknown = vcs_->back_out(b);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::not_found);
  EXPECT_EQ(unknown.error().message, "changeset 0123456789ab is not on central");
  b.revisions = {"tip; rm -rf /"};
  EXPECT_EQ(vcs_->back_out(b).error().kind, ErrorKind::invalid_input);
}

TEST_F(HgVcsTest, OneChangesetBackoutAndAConflictingOne) {
  auto landed = vcs_->apply_and_push(spec({{131, header("Bug 25 - x r=a") + change_line2("x")}}));
  ASSERT_TRUE(landed.ok()) << landed.error().message;
  hg({"update", "-R", remote_, "-r", "tip"});
  std::ofstream(fs::path(remote_) / "a.txt") << "l1\ny\nl3\n";
  hg({"commit", "-m", "Bug 26 - on top of x"}, remote_);
  BackoutSpec b;
  b.branch = "central";
  b.pull_url = b.push_url = remote_;
  b.revisions = {landed->tip};
  b.bug_id = 25;
  b.reason = "test failures";
  auto out = vcs_->back_out(b);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::conflict);
  EXPECT_EQ(out.error().message,
            "changeset " + landed->tip.substr(0, 12) + " cannot be backed out cleanly: hunk 1 of a.txt failed at 0");
  // Back out the later one alone: one changeset, Mozilla's one-line form.
  b.revisions = {hg({"log", "-R", remote_, "-r", "tip", "-T", "{node}"})};
  b.bug_id = 26;
  auto one = vcs_->back_out(b);
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", "tip", "-T", "{desc}"}),
            "Backed out changeset " + b.revisions[0].substr(0, 12) + " (bug 26) for test failures");
  EXPECT_EQ(hg({"cat", "-r", "tip", "a.txt"}, remote_), "l1\nx\nl3\n");
}

TEST_F(HgVcsTest, ALandingDoesNotPullFirstButStillSeesWhatLandedMeanwhile) {
  auto first = vcs_->apply_and_push(spec({{141, header("Bug 30 - first r=a") + new_file("first.txt")}}));
  ASSERT_TRUE(first.ok()) << first.error().message;
  // Someone lands our next patch by hand; the cache clone has not seen it.
  std::string patch = header("Bug 31 - by hand too r=a") + new_file("hand.txt");
  std::ofstream(dir_ / "hand.patch") << patch;
  hg({"update", "-r", "tip"}, remote_);
  hg({"import", (dir_ / "hand.patch").string()}, remote_);
  auto dup = vcs_->apply_and_push(spec({{142, patch}}));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, ErrorKind::conflict);
  EXPECT_EQ(dup.error().message,
            "attachment 142 is already on central as " + hg({"log", "-r", "tip", "-T", "{node}"}, remote_));
  EXPECT_EQ(hg({"log", "-r", "desc('by hand too')", "-T", "x"}, remote_), "x");
  // Another landing by hand; then an unrelated patchset goes on top of it.
  std::ofstream(dir_ / "hand2.patch") << header("Bug 32 - by hand r=a") + new_file("hand2.txt");
  hg({"import", (dir_ / "hand2.patch").string()}, remote_);
  auto next = vcs_->apply_and_push(spec({{143, header("Bug 33 - next r=a") + new_file("next.txt")}}));
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(hg({"log", "-r", "tip^", "-T", "{desc}"}, remote_), "Bug 32 - by hand r=a");
}

TEST_F(HgVcsTest, AStaleCloneIsPulledWhenAPatchNeedsWhatLandedSince) {
  ASSERT_TRUE(vcs_->apply_and_push(spec({{151, header("Bug 40 - first r=a") + new_file("first.txt")}})).ok());
  // Part 1 lands by hand; part 2 changes what part 1 added.
  std::ofstream(dir_ / "part1.patch") << header("Bug 41 - part 1 r=a") + new_file("part.txt");
  hg({"update", "-r", "tip"}, remote_);
  hg({"import", (dir_ / "part1.patch").string()}, remote_);
  auto part2 = vcs_->apply_and_push(spec(
      {{152,
        header("Bug 41 - part 2 r=a") +
            "diff --git a/part.txt b/part.txt\n--- a/part.txt\n+++ b/part.txt\n@@ -1,1 +1,1 @@\n-hello\n+bye\n"}}));
  ASSERT_TRUE(part2.ok()) << part2.error().message;
  EXPECT_EQ(hg({"cat", "-r", "tip", "part.txt"}, remote_), "bye\n");
}

TEST_F(HgVcsTest, BackedOutChangesMayLandAgainAndBeBackedOutAgain) {
  std::string patch = header("Bug 42 - flaky r=a") + change_line2("flaky");
  auto landed = vcs_->apply_and_push(spec({{161, patch}}));
  ASSERT_TRUE(landed.ok()) << landed.error().message;
  BackoutSpec b;
  b.branch = "central";
  b.pull_url = b.push_url = remote_;
  b.revisions = {landed->tip};
  b.bug_id = 42;
  b.reason = "bustage";
  auto out = vcs_->back_out(b);
  ASSERT_TRUE(out.ok()) << out.error().message;
  // The same patch again: not a duplicate, since it was backed out.
  auto again = vcs_->apply_and_push(spec({{162, patch}}));
  ASSERT_TRUE(again.ok()) << again.error().message;
  // And backed out again for the same reason: another landing, another backout.
  b.revisions = {again->tip};
  auto second = vcs_->back_out(b);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_NE(second->tip, out->tip);
  EXPECT_EQ(hg({"cat", "-r", "tip", "a.txt"}, remote_), "l1\nl2\nl3\n");
  // A revision number, or a prefix that short, is not taken for a changeset.
  b.revisions = {"1"};
  auto number = vcs_->back_out(b);
  ASSERT_FALSE(number.ok());
  EXPECT_EQ(number.error().message, "'1' is too short to name a changeset: give at least 12 hex digits");
}

TEST(HgPushFailure, TheReasonOnTheNextLineIsKept) {
  // What hg prints when another push got in between discovery and bundle.
  EXPECT_EQ(describe_import_failure("abort: push failed:\n'repository changed while pushing - please try again'\n", ""),
            "push failed: 'repository changed while pushing - please try again'");
}

TEST(HgImportFailure, DescribedFromHgOutput) {
  EXPECT_EQ(describe_import_failure("patching file a.txt\nHunk #1 FAILED at 0\n1 out of 1 hunks FAILED -- saving "
                                    "rejects to file a.txt.rej\nabort: patch failed to apply\n",
                                    "applying -\n"),
            "hunk 1 of a.txt failed at 0");
  EXPECT_EQ(describe_import_failure("abort: no diffs found\n", ""), "no diffs found");
  EXPECT_EQ(describe_import_failure("unable to find 'gone.c' for patching\nabort: patch failed to apply\n", ""),
            "file 'gone.c' is not in the repository");
  EXPECT_EQ(
      describe_import_failure("applying patch from stdin\nfile f1 already exists\nabort: patch failed to apply\n", ""),
      "file 'f1' exists already");
}

// The attack of the hardening issue: a hunk inside the message. hg import
// applied it whatever autoland listed. Now such a pair starts the diff part,
// its file is checked, and a refused patch leaves the remote as it was.
TEST_F(HgVcsTest, AHunkInsideTheMessageIsCheckedLikeAnyOther) {
  std::string before = hg({"log", "-R", remote_, "-r", "tip", "-T", "{node}"});
  for (std::string hidden : {".hgsub", "sub/.hgrc", ".gitmodules", ".hg/hgrc", "../outside"}) {
    std::string patch = header("Bug 1 - innocent r=rita") + "--- a/" + hidden + "\n+++ b/" + hidden +
                        "\n@@ -0,0 +1,1 @@\n+x = y\n\n" + change_line2("two");
    auto out = vcs_->apply_and_push(spec({{11, patch}}));
    ASSERT_FALSE(out.ok()) << hidden;
    EXPECT_EQ(out.error().kind, ErrorKind::invalid_input);
    EXPECT_NE(out.error().message.find(hidden.substr(hidden.rfind('/') + 1)), std::string::npos) << out.error().message;
  }
  // Without a space hg still reads "---"/"+++" as a file's diff: refused as such.
  auto spaceless = vcs_->apply_and_push(
      spec({{12, header("Bug 1 - x r=rita") + "---a/.hg/hgrc\n+++b/.hg/hgrc\n@@ -0,0 +1,1 @@\n+[hooks]\n\n" +
                     change_line2("two")}}));
  ASSERT_FALSE(spaceless.ok());
  EXPECT_NE(spaceless.error().message.find("reads as the start of a diff"), std::string::npos);
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", "tip", "-T", "{node}"}), before);
  // An innocent file there is simply part of the change, listed and landed.
  std::string two_files = header("Bug 2 - two files r=rita") + new_file("early.txt") + "\n" + change_line2("two");
  auto parsed = parse_patch(two_files);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->files.size(), 2u);
  auto out = vcs_->apply_and_push(spec({{13, two_files}}));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", "tip", "-T", "{join(files, ' ')}|{desc}"}),
            "a.txt early.txt|Bug 2 - two files r=rita");
}

// The second line of defence: what only the tree shows. A link made by one
// patch and written through by the next; a link already in the tree; a link
// retargeted by a plain-looking hunk (hg writes no mode line for it).
TEST_F(HgVcsTest, LinksAreCheckedOnTheTreeTheChangesetJoins) {
  fs::path wc = dir_ / "wc";
  hg({"clone", "-q", remote_, wc.string()});
  fs::create_directories(wc / "real");
  std::ofstream(wc / "real" / "f.txt") << "f\n";
  fs::create_symlink("real", wc / "docs");
  hg({"commit", "-A", "-m", "links", "-u", "t"}, wc.string());
  hg({"push", "-q"}, wc.string());
  std::string before = hg({"log", "-R", remote_, "-r", "tip", "-T", "{node}"});

  auto link = [](const std::string& path, const std::string& target) {
    return "diff --git a/" + path + " b/" + path + "\nnew file mode 120000\n--- /dev/null\n+++ b/" + path +
           "\n@@ -0,0 +1,1 @@\n+" + target + "\n\\ No newline at end of file\n";
  };
  auto through = vcs_->apply_and_push(spec({{21, header("Bug 3 - link r=r") + link("out", "real")},
                                            {22, header("Bug 3 - through r=r") + new_file("out/evil.txt")}}));
  ASSERT_FALSE(through.ok());
  EXPECT_EQ(through.error().message, "attachment 22: 'out/evil.txt' is written through the symbolic link 'out'");
  auto existing = vcs_->apply_and_push(spec({{23, header("Bug 4 - x r=r") + new_file("docs/new.txt")}}));
  ASSERT_FALSE(existing.ok());
  EXPECT_EQ(existing.error().message, "attachment 23: 'docs/new.txt' is written through the symbolic link 'docs'");
  std::string retarget =
      header("Bug 5 - retarget r=r") +
      "diff --git a/docs b/docs\n--- a/docs\n+++ b/docs\n@@ -1,1 +1,1 @@\n-real\n\\ No newline at end "
      "of file\n+../..\n\\ No newline at end of file\n";
  ASSERT_TRUE(parse_patch(retarget).ok());  // nothing in the patch says it is a link
  auto out = vcs_->apply_and_push(spec({{24, retarget}}));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "attachment 24: the symbolic link 'docs' -> '../..' points outside the repository");
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", "tip", "-T", "{node}"}), before);
  // A link inside the repository lands.
  auto fine = vcs_->apply_and_push(spec({{25, header("Bug 6 - link r=r") + link("latest", "real/f.txt")}}));
  ASSERT_TRUE(fine.ok()) << fine.error().message;
}

// git writes a file that becomes a symbolic link (and back) as a delete and
// a create of one path; hg import stopped at "file a.txt already exists".
// Given to hg as its own mode-change diff, it lands, with the same end.
TEST_F(HgVcsTest, AGitPatchThatTurnsAFileIntoALinkAndBackLands) {
  // Made against another a.txt (two of its three lines): git would refuse to
  // delete it; hg applies the joined hunk and keeps "l3", which is caught.
  std::string stale = header("Bug 6 - stale r=r") +
                      "diff --git a/a.txt b/a.txt\ndeleted file mode 100644\n--- a/a.txt\n+++ /dev/null\n"
                      "@@ -1,2 +0,0 @@\n-l1\n-l2\n"
                      "diff --git a/a.txt b/a.txt\nnew file mode 120000\n--- /dev/null\n+++ b/a.txt\n"
                      "@@ -0,0 +1 @@\n+b.txt\n\\ No newline at end of file\n";
  std::string before = hg({"log", "-R", remote_, "-r", "tip", "-T", "{node}"});
  auto refused_stale = vcs_->apply_and_push(spec({{30, stale}}));
  ASSERT_FALSE(refused_stale.ok());
  EXPECT_NE(refused_stale.error().message.find("'a.txt' on the branch is not the file the patch deletes"),
            std::string::npos)
      << refused_stale.error().message;
  EXPECT_EQ(hg({"log", "-R", remote_, "-r", "tip", "-T", "{node}"}), before);

  std::string to_link = header("Bug 7 - a.txt becomes a link r=r") +
                        "diff --git a/a.txt b/a.txt\ndeleted file mode 100644\nindex 1111111..0000000\n--- a/a.txt\n"
                        "+++ /dev/null\n@@ -1,3 +0,0 @@\n-l1\n-l2\n-l3\n"
                        "diff --git a/a.txt b/a.txt\nnew file mode 120000\nindex 0000000..2222222\n--- /dev/null\n"
                        "+++ b/a.txt\n@@ -0,0 +1 @@\n+b.txt\n\\ No newline at end of file\n" +
                        new_file("b.txt");
  auto parsed = parse_patch(to_link, {.for_hg = true});
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  auto out = vcs_->apply_and_push(spec({{31, to_link}}));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(hg({"manifest", "-v", "-r", "tip"}, remote_), "644 @ a.txt\n644   b.txt\n");
  EXPECT_EQ(hg({"cat", "-r", "tip", "a.txt"}, remote_), "b.txt");

  std::string back = header("Bug 8 - a.txt is a file again r=r") +
                     "diff --git a/a.txt b/a.txt\ndeleted file mode 120000\n--- a/a.txt\n+++ /dev/null\n"
                     "@@ -1 +0,0 @@\n-b.txt\n\\ No newline at end of file\n"
                     "diff --git a/a.txt b/a.txt\nnew file mode 100755\n--- /dev/null\n+++ b/a.txt\n"
                     "@@ -0,0 +1,2 @@\n+#!/bin/sh\n+true\n";
  auto again = vcs_->apply_and_push(spec({{32, back}}));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(hg({"manifest", "-v", "-r", "tip"}, remote_), "755 * a.txt\n644   b.txt\n");
  EXPECT_EQ(hg({"cat", "-r", "tip", "a.txt"}, remote_), "#!/bin/sh\ntrue\n");

  // The link must still be one the checks allow: pointing out is refused.
  std::string evil = header("Bug 9 - out r=r") +
                     "diff --git a/b.txt b/b.txt\ndeleted file mode 100644\n--- a/b.txt\n+++ /dev/null\n"
                     "@@ -1 +0,0 @@\n-hello\n"
                     "diff --git a/b.txt b/b.txt\nnew file mode 120000\n--- /dev/null\n+++ b/b.txt\n"
                     "@@ -0,0 +1 @@\n+../../etc\n\\ No newline at end of file\n";
  auto refused = vcs_->apply_and_push(spec({{33, evil}}));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("points outside the repository"), std::string::npos)
      << refused.error().message;
}

TEST(JoinTypeChanges, OnlyADeleteAndCreateOfOnePathIsJoined) {
  std::string plain = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n";
  EXPECT_EQ(join_type_changes(plain)->diff, plain);
  std::string two_paths =
      "diff --git a/x b/x\ndeleted file mode 100644\n--- a/x\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n"
      "diff --git a/y b/y\nnew file mode 100644\n--- /dev/null\n+++ b/y\n@@ -0,0 +1 @@\n+a\n";
  EXPECT_EQ(join_type_changes(two_paths)->diff, two_paths);
  // The same type on both sides: left to hg as it is.
  std::string same =
      "diff --git a/x b/x\ndeleted file mode 100644\n--- a/x\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n"
      "diff --git a/x b/x\nnew file mode 100755\n--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+a\n";
  EXPECT_EQ(join_type_changes(same)->diff, same);
  auto link = join_type_changes(
      "diff --git a/x b/x\ndeleted file mode 100644\n--- a/x\n+++ /dev/null\n"
      "@@ -1,2 +0,0 @@\n-a\n-b\ndiff --git a/x b/x\nnew file mode 120000\n--- /dev/null\n"
      "+++ b/x\n@@ -0,0 +1 @@\n+t\n\\ No newline at end of file\n");
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(link->diff,
            "diff --git a/x b/x\nold mode 100644\nnew mode 120000\n--- a/x\n+++ b/x\n@@ -1,2 +1 @@\n-a\n-b\n+t\n"
            "\\ No newline at end of file\n");
  ASSERT_EQ(link->changes.size(), 1u);
  EXPECT_EQ(link->changes[0].path, "x");
  EXPECT_EQ(link->changes[0].content, "t");
  auto binary = join_type_changes(
      "diff --git a/x b/x\ndeleted file mode 100644\nGIT binary patch\nliteral 0\n\n"
      "diff --git a/x b/x\nnew file mode 120000\n--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+t\n");
  ASSERT_FALSE(binary.ok());
  EXPECT_EQ(binary.error().message,
            "'x' changes type (a file becomes a symbolic link, or back) with binary content, which Mercurial cannot "
            "apply as git writes it: attach an hg export of the change instead");
}

// Try first, then land: an exported patch imported again on the same parent
// makes the same node. A second try run and the landing must both work.
TEST_F(HgVcsTest, AnExportedPatchGoesToTryAgainAndThenLands) {
  std::string try_remote = (dir_ / "try").string();
  hg({"clone", "-q", remote_, try_remote});
  std::ofstream(fs::path(try_remote) / ".hg" / "hgrc", std::ios::app) << "[phases]\npublish = False\n";
  fs::path wc = dir_ / "wc";
  hg({"clone", "-q", remote_, wc.string()});
  std::ofstream(wc / "g.txt") << "g\n";
  hg({"commit", "-A", "-m", "Bug 7 - g r=rita", "-u", "Dana <d@example.org>", "-d", "1700000000 0"}, wc.string());
  std::string exported = hg({"export", "--git", "-r", "tip"}, wc.string());
  std::string node = hg({"log", "-r", "tip", "-T", "{node}"}, wc.string());

  auto to_try = [&](const std::string& syntax) {
    PushSpec s = spec({{40, exported}});
    s.branch = "try";
    s.pull_url = s.push_url = try_remote;
    s.allow_new_head = true;
    s.try_syntax = syntax;
    return vcs_->apply_and_push(s);
  };
  auto first = to_try("try: -b o -p all");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->nodes[0], node);  // what the author exported, exactly
  auto second = to_try("try: -b d -p linux");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_NE(second->tip, first->tip);  // a new push, so try runs it again
  EXPECT_EQ(second->nodes[0], node);
  // The same syntax again (within the same second, the same syntax commit):
  // pushed again or found there, never refused.
  auto same = to_try("try: -b o -p all");
  ASSERT_TRUE(same.ok()) << same.error().message;
  auto bare = to_try("");
  ASSERT_TRUE(bare.ok()) << bare.error().message;
  EXPECT_EQ(bare->tip, node);  // the very changeset: its earlier runs stand
  auto landed = vcs_->apply_and_push(spec({{40, exported}}));
  ASSERT_TRUE(landed.ok()) << landed.error().message;
  EXPECT_EQ(landed->tip, node);
  // Only on a trunk branch is the same change a duplicate.
  auto again = vcs_->apply_and_push(spec({{40, exported}}));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, "attachment 40 is already on central as " + node);
}

// What lands is what the author wrote: author, date and message as the parser
// reports them, in every patch form, however hg's own header parser reads them.
TEST_F(HgVcsTest, AuthorDateAndMessageLandAsWritten) {
  const std::string diff = "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,3 +1,3 @@\n l1\n-l2\n+x\n l3\n";
  struct Case {
    std::string patch, author, date, message;
  };
  std::vector<Case> cases = {
      {"From: \"Name S. Surname\" <n@example.org>\nDate: Tue, 14 Nov 2023 23:13:20 +0100\nSubject: [PATCH] Bug 1 - "
       "title r=a\n\nbody line\n---\nafter a dash line\n---\n a.txt | 2 +-\n\n" +
           diff + "-- \n2.39.5\n",
       "Name S. Surname <n@example.org>", "1700000000 -3600", "Bug 1 - title r=a\n\nbody line\n---\nafter a dash line"},
      {"From: =?UTF-8?q?J=C3=B6rg=20M=C3=BCller?= <j@example.org>\nDate: Tue, 14 Nov 2023 17:13:20 -0500\nSubject: "
       "[PATCH] Bug 2 - x\n\n---\n" +
           diff,
       "Jörg Müller <j@example.org>", "1700000000 18000", "Bug 2 - x"},
      {"# HG changeset patch\n# User Ann <a@example.org>\n# Date 1600000000 -7200\n# Branch evil\nBug 3 - y\n\n"
       "--- not a file\nmore\n" +
           diff,
       "Ann <a@example.org>", "1600000000 -7200", "Bug 3 - y\n\n--- not a file\nmore"},
  };
  for (const Case& c : cases) {
    auto parsed = parse_patch(c.patch);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(parsed->author, c.author);
    EXPECT_EQ(parsed->message, c.message);
    auto out = vcs_->apply_and_push(spec({{50, c.patch}}));
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(hg({"log", "-R", remote_, "-r", out->tip, "-T", "{author}|{date|hgdate}|{branch}"}),
              c.author + "|" + c.date + "|default");
    EXPECT_EQ(hg({"log", "-R", remote_, "-r", out->tip, "-T", "{desc}"}), c.message);
    hg({"strip", "--config", "extensions.strip=", "-R", remote_, "-r", out->tip, "-q"});
    vcs_ = std::make_unique<HgVcs>((dir_ / ("cache-" + std::to_string(&c - cases.data()))).string());
  }
}

}  // namespace
}  // namespace autoland
