// The hg command server client against a real Mercurial (Debian's package).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "adapters/process/subprocess.h"
#include "adapters/vcs/hg/command_server.h"
#include "hg_test_support.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;

class HgCommandServerTest : public autoland::testing::HgTest {
 protected:
  void SetUp() override {
    HgTest::SetUp();
    repo_ = (dir_ / "repo").string();
    hg({"init", repo_});
    auto s = HgCommandServer::start(repo_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(*s);
  }
  void TearDown() override {
    server_.reset();
    HgTest::TearDown();
  }

  void write(const std::string& name, const std::string& text) { std::ofstream(fs::path(repo_) / name) << text; }

  HgResult run(const std::vector<std::string>& args, std::string_view input = {}) {
    auto r = server_->run(args, input);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : HgResult{-1, "", ""};
  }

  std::string repo_;
  std::unique_ptr<HgCommandServer> server_;
};

TEST_F(HgCommandServerTest, RunsCommandsAndReportsExitCodes) {
  write("a.txt", "one\n");
  EXPECT_EQ(run({"add", "a.txt"}).exit_code, 0);
  HgResult commit =
      run({"commit", "-m", "Bug 1 - Première r=alice", "-u", "Jörg <j@example.org>", "-d", "1700000000 0"});
  EXPECT_EQ(commit.exit_code, 0) << commit.err;
  HgResult log = run({"log", "-r", "tip", "-T", "{desc}|{author}|{rev}"});
  EXPECT_EQ(log.out, "Bug 1 - Première r=alice|Jörg <j@example.org>|0");
  HgResult bad = run({"update", "no-such-revision"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("unknown revision"), std::string::npos) << bad.err;
}

TEST_F(HgCommandServerTest, ImportReadsThePatchFromInput) {
  write("a.txt", "one\n");
  run({"add", "a.txt"});
  run({"commit", "-m", "base", "-u", "t <t@e>"});
  std::string patch =
      "# HG changeset patch\n# User Dana <dana@example.org>\n# Date 1700000000 0\nBug 2 - change r=rita\n\n"
      "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,1 +1,1 @@\n-one\n+two\n";
  HgResult r = run({"import", "--bypass", "-"}, patch);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(run({"log", "-r", "tip", "-T", "{desc}|{author}"}).out, "Bug 2 - change r=rita|Dana <dana@example.org>");
  EXPECT_EQ(run({"cat", "-r", "tip", "a.txt"}).out, "two\n");
  // With the same parent, header and date the re-import makes the very same
  // node: no new changeset. (With another date or parent it would land
  // twice; refusing duplicates is the pusher's job, not hg's.)
  HgResult again = run({"import", "--bypass", "-"}, patch);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(run({"log", "-T", "{rev}\n"}).out, "1\n0\n");
  HgResult not_applying =
      run({"import", "--bypass", "-"}, "--- a/a.txt\n+++ b/a.txt\n@@ -1,1 +1,1 @@\n-nothing like this\n+x\n");
  EXPECT_NE(not_applying.exit_code, 0);
}

TEST_F(HgCommandServerTest, ADeadServerIsRestartedByTheNextCommand) {
  pid_t before = server_->pid();
  ASSERT_GT(before, 0);
  ASSERT_EQ(::kill(before, SIGKILL), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  HgResult r = run({"root"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, repo_ + "\n");
  EXPECT_NE(server_->pid(), before);
  EXPECT_EQ(server_->restarts(), 1);
}

TEST_F(HgCommandServerTest, ManyCommandsOnOneProcess) {
  pid_t pid = server_->pid();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) ASSERT_EQ(run({"root"}).exit_code, 0);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(server_->pid(), pid);
  std::cout << "[ figures  ] 100 hg commands over one command server: " << ms / 100 << " ms each\n";
}

TEST_F(HgCommandServerTest, AnOutOfStepStreamIsAnErrorNotACrash) {
  // A stand-in for hg that says hello, then writes outside the protocol (as
  // a crashing hg may): the client must refuse the frame, not allocate 1.8 GB.
  fs::path fake = dir_ / "fake-hg";
  std::ofstream(fake) << "#!/usr/bin/env python3\n"
                         "import struct, sys\n"
                         "hello = b'capabilities: getencoding runcommand\\nencoding: UTF-8'\n"
                         "sys.stdout.buffer.write(b'o' + struct.pack('>I', len(hello)) + hello)\n"
                         "sys.stdout.buffer.flush()\n"
                         "sys.stdin.buffer.readline()\n"
                         "sys.stdout.buffer.write(b'Traceback (most recent call last):\\n')\n"
                         "sys.stdout.buffer.flush()\n"
                         "sys.stdin.buffer.read()\n";
  fs::permissions(fake, fs::perms::owner_all);
  auto server = HgCommandServer::start(repo_, fake.string());
  ASSERT_TRUE(server.ok()) << server.error().message;
  auto r = (*server)->run({"log"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::transient);
  EXPECT_NE(r.error().message.find("malformed frame"), std::string::npos) << r.error().message;
}

TEST(RunProgram, CollectsOutputAndExitCode) {
  auto r = run_program({.argv = {"sh", "-c", "cat; echo err >&2; exit 3"}}, "in\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "in\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->exit_code, 3);
  auto missing = run_program({.argv = {"/nonexistent/program"}});
  EXPECT_FALSE(missing.ok());
  auto slow = run_program({.argv = {"sleep", "5"}}, {}, std::chrono::milliseconds(200));
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().kind, ErrorKind::transient);
}

}  // namespace
}  // namespace autoland
