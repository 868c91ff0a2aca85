// What the Mercurial tests share: a scratch folder per test (kept when the
// test fails, for a post-mortem) and running the real `hg`.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
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

  std::filesystem::path dir_;
};

}  // namespace autoland::testing
