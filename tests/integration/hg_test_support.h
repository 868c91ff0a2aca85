// What the Mercurial tests share: a scratch folder per test (kept when the
// test fails, for a post-mortem) and running the real `hg`.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "adapters/process/subprocess.h"
#include "util/strings.h"

namespace autoland::testing {

class HgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("hg-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    stop_servers();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  // Runs `hg ARGS` (in `cwd`); expects exit code `want` (no check when < 0).
  std::string hg(std::vector<std::string> args, const std::string& cwd = "", int want = 0) {
    SpawnOptions o;
    o.argv = {"hg"};
    for (auto& a : args) o.argv.push_back(a);
    o.env_set = {{"HGPLAIN", "1"}, {"HGUSER", "test <t@example.org>"}};
    o.cwd = cwd;
    auto r = run_program(o);
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return "";
    if (want >= 0) {
      EXPECT_EQ(r->exit_code, want) << util::join(o.argv, " ") << ": " << r->err;
    }
    return r->out;
  }

  // Serves `repo` over HTTP with `hg serve` on 127.0.0.1 (a free port),
  // pushes allowed; returns its URL. Stopped at the end of the test.
  std::string serve(const std::string& repo) {
    std::string pid_file = (dir_ / ("serve-" + std::to_string(served_.size()) + ".pid")).string();
    std::string out = hg({"serve", "-R", repo, "-a", "127.0.0.1", "-p", "0", "-d", "--pid-file", pid_file, "--config",
                          "web.push_ssl=false", "--config", "web.allow-push=*"});
    size_t at = out.find("bound to 127.0.0.1:");
    EXPECT_NE(at, std::string::npos) << out;
    if (at == std::string::npos) return "";
    std::string port = out.substr(at + 19, out.find(')', at) - at - 19);
    served_.push_back(pid_file);
    return "http://127.0.0.1:" + port + "/";
  }

  std::filesystem::path dir_;

 private:
  void stop_servers() {
    for (const std::string& pid_file : served_) {
      std::ifstream in(pid_file);
      pid_t pid = 0;
      if (in >> pid && pid > 0) ::kill(pid, SIGTERM);
    }
    served_.clear();
  }
  std::vector<std::string> served_;
};

}  // namespace autoland::testing
