// Persistent working clones against real hg remotes on disk.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "adapters/process/subprocess.h"
#include "adapters/vcs/hg/working_clone.h"
#include "hg_test_support.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;

class HgWorkingCloneTest : public autoland::testing::HgTest {
 protected:
  void SetUp() override {
    HgTest::SetUp();
    remote_ = (dir_ / "remote").string();
    hg({"init", remote_});
    commit_to_remote("a.txt", "one\n", "first");
  }

  std::string commit_to_remote(const std::string& file, const std::string& text, const std::string& message) {
    std::ofstream(fs::path(remote_) / file) << text;
    hg({"commit", "-A", "-m", message}, remote_);
    return hg({"log", "-r", "tip", "-T", "{node}"}, remote_);
  }

  CloneSpec spec() { return {"central", remote_, (dir_ / "cache").string()}; }

  std::string remote_;
};

TEST_F(HgWorkingCloneTest, FirstUseClonesLaterUsesPull) {
  auto clone = HgWorkingClone::open(spec());
  ASSERT_TRUE(clone.ok()) << clone.error().message;
  auto head = (*clone)->refresh();
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(*head, hg({"log", "-r", "tip", "-T", "{node}"}, remote_));
  std::string second = commit_to_remote("b.txt", "two\n", "second");
  std::ofstream(fs::path((*clone)->path()) / "stray.orig") << "left by a failed import";
  std::ofstream(fs::path((*clone)->path()) / "a.txt") << "a local edit";
  auto again = (*clone)->refresh();
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, second);
  // Nothing is checked out: the head is the working copy's parent, and the
  // folder holds nothing but .hg (strays purged).
  EXPECT_EQ(hg({"log", "-r", ".", "-T", "{node}"}, (*clone)->path()), second);
  EXPECT_EQ(hg({"status"}, (*clone)->path()), "");
  std::vector<std::string> entries;
  for (const auto& e : fs::directory_iterator((*clone)->path())) entries.push_back(e.path().filename().string());
  EXPECT_EQ(entries, std::vector<std::string>{".hg"});
  EXPECT_EQ((*clone)->reclones(), 0);
  // Reopening reuses the clone (no second clone).
  auto reopened = HgWorkingClone::open(spec());
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->reclones(), 0);
}

TEST_F(HgWorkingCloneTest, ACheckedOutOrMidRebaseCloneIsEmptiedAgain) {
  auto clone = HgWorkingClone::open(spec());
  ASSERT_TRUE(clone.ok());
  ASSERT_TRUE((*clone)->refresh().ok());
  // As an older autoland left it, or a rebase that fell back to the working copy.
  hg({"debugsetparents", "null"}, (*clone)->path());
  hg({"update", "--clean", "-r", "tip"}, (*clone)->path());
  ASSERT_TRUE(fs::exists(fs::path((*clone)->path()) / "a.txt"));
  auto head = (*clone)->refresh();
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_FALSE(fs::exists(fs::path((*clone)->path()) / "a.txt"));
  EXPECT_EQ(hg({"debugdirstate", "--nodates"}, (*clone)->path()), "");
  EXPECT_EQ(hg({"log", "-r", ".", "-T", "{node}"}, (*clone)->path()), *head);
}

TEST_F(HgWorkingCloneTest, InterruptedCloneIsMadeAgain) {
  fs::create_directories(dir_ / "cache" / "central" / ".hg");  // a clone killed right after it began
  auto clone = HgWorkingClone::open(spec());
  ASSERT_TRUE(clone.ok()) << clone.error().message;
  EXPECT_EQ((*clone)->reclones(), 1);
  auto head = (*clone)->refresh();
  ASSERT_TRUE(head.ok()) << head.error().message;
}

TEST_F(HgWorkingCloneTest, CorruptCloneIsDetectedAndMadeAgain) {
  {
    auto clone = HgWorkingClone::open(spec());
    ASSERT_TRUE(clone.ok());
    ASSERT_TRUE((*clone)->refresh().ok());
  }
  commit_to_remote("c.txt", "three\n", "third");
  // Damage the store: the changelog index loses its tail.
  fs::path changelog = dir_ / "cache" / "central" / ".hg" / "store" / "00changelog.i";
  ASSERT_TRUE(fs::exists(changelog));
  fs::resize_file(changelog, fs::file_size(changelog) / 2);
  auto clone = HgWorkingClone::open(spec());
  ASSERT_TRUE(clone.ok()) << clone.error().message;
  auto head = (*clone)->refresh();
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(*head, hg({"log", "-r", "tip", "-T", "{node}"}, remote_));
  EXPECT_EQ((*clone)->reclones(), 1);
}

TEST_F(HgWorkingCloneTest, CorruptionFoundMidUseIsRepairedInPlace) {
  auto clone = HgWorkingClone::open(spec());
  ASSERT_TRUE(clone.ok());
  ASSERT_TRUE((*clone)->refresh().ok());
  HgCommandServer& hg_before = (*clone)->hg();  // held across the repair, as HgVcs does
  std::string next = commit_to_remote("d.txt", "four\n", "fourth");
  fs::path changelog = fs::path((*clone)->path()) / ".hg" / "store" / "00changelog.i";
  fs::resize_file(changelog, fs::file_size(changelog) / 2);
  auto head = (*clone)->refresh();
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(*head, next);
  EXPECT_EQ((*clone)->reclones(), 1);
  auto tip = hg_before.run({"log", "-r", "tip", "-T", "{node}"});
  ASSERT_TRUE(tip.ok()) << tip.error().message;
  EXPECT_EQ(tip->out, next);
}

TEST_F(HgWorkingCloneTest, UnreachableRemoteIsTransientAndKeepsTheClone) {
  auto clone = HgWorkingClone::open(spec());
  ASSERT_TRUE(clone.ok());
  ASSERT_TRUE((*clone)->refresh().ok());
  fs::rename(remote_, remote_ + ".moved");
  auto r = (*clone)->refresh();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::transient);
  EXPECT_EQ((*clone)->reclones(), 0);
  fs::rename(remote_ + ".moved", remote_);
}

TEST_F(HgWorkingCloneTest, BadNamesAreRefused) {
  EXPECT_FALSE(HgWorkingClone::open({"../escape", remote_, (dir_ / "cache").string()}).ok());
  EXPECT_FALSE(HgWorkingClone::open({"", remote_, (dir_ / "cache").string()}).ok());
}

}  // namespace
}  // namespace autoland
