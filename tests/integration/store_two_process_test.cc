// Real processes on one SQLite file: concurrent writers must not corrupt or
// lose anything, and a writer killed mid-transaction must leave every
// patchset consistent (its state, audit events and outbox comments all
// written, or none).
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "app/store_factory.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;

class TwoProcessStore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("store-2p-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    url_ = "sqlite://" + (dir_ / "autoland.db").string();
    auto created = open_store(url_, clock_, /*migrate=*/true, /*create=*/true);  // as `autoland db init`
    ASSERT_TRUE(created.ok()) << created.error().message;
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);  // kept on failure for a post-mortem
  }

  std::unique_ptr<Store> open() {
    auto s = open_store(url_, clock_);
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? std::move(*s) : nullptr;
  }

  std::string integrity() {
    sqlite3* db = nullptr;
    sqlite3_open((dir_ / "autoland.db").c_str(), &db);
    std::string result;
    sqlite3_exec(
        db, "PRAGMA integrity_check",
        [](void* out, int, char** values, char**) {
          *static_cast<std::string*>(out) += values[0] ? values[0] : "";
          return 0;
        },
        &result, nullptr);
    sqlite3_close(db);
    return result;
  }

  fs::path dir_;
  std::string url_;
  SystemClock clock_;
};

// Moves the patchset one step along queued -> validating -> waiting -> queued ...
// with one outbox comment per step; retries transient errors. Returns true
// when this process made the step.
bool try_step(Store& store, PatchSetId id) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto p = store.get_patchset(id);
    if (!p) {
      if (p.error().retryable()) continue;
      return false;
    }
    State next = p->state == State::queued       ? State::validating
                 : p->state == State::validating ? State::waiting
                                                 : State::queued;
    TransitionWrite w;
    w.patchset_id = id;
    w.expected_state = p->state;
    w.expected_version = p->version;
    w.new_state = next;
    w.actor = "pid:" + std::to_string(::getpid());
    w.comments = {{p->bug_id, "note", "step", "ps" + std::to_string(id) + "/v" + std::to_string(p->version)}};
    auto r = store.apply_transition(w);
    if (r) return true;
    if (r.error().kind == ErrorKind::conflict) return false;  // the other process won
    if (!r.error().retryable()) return false;
  }
  return false;
}

TEST_F(TwoProcessStore, ConcurrentWritersLoseNothing) {
  constexpr int kPatchsets = 40;
  constexpr int kCreates = 60;
  {
    auto store = open();
    ASSERT_TRUE(store);
    for (int i = 0; i < kPatchsets; ++i) {
      ASSERT_TRUE(store->create_patchset({.bug_id = static_cast<BugId>(i + 1), .branch = "try"}, "setup").ok());
    }
  }

  int pipes[2][2];
  pid_t children[2];
  for (int c = 0; c < 2; ++c) {
    ASSERT_EQ(pipe(pipes[c]), 0);
    children[c] = fork();
    ASSERT_GE(children[c], 0);
    if (children[c] == 0) {
      close(pipes[c][0]);
      int won_steps = 0, won_shared = 0, own_created = 0;
      {
        auto s = open_store(url_, clock_);
        if (!s) _exit(3);
        Store& store = **s;
        for (int round = 0; round < 3; ++round) {
          for (PatchSetId id = 1; id <= kPatchsets; ++id) won_steps += try_step(store, id);
        }
        for (int i = 0; i < kCreates; ++i) {
          auto own = store.create_patchset(
              {.bug_id = 1000, .branch = "try", .request_key = "child" + std::to_string(c) + "-" + std::to_string(i)},
              "c");
          own_created += own.ok();
          auto shared = store.create_patchset(
              {.bug_id = 2000, .branch = "try", .request_key = "shared-" + std::to_string(i)}, "c");
          won_shared += shared.ok();
        }
      }
      int counts[3] = {won_steps, won_shared, own_created};
      if (write(pipes[c][1], counts, sizeof counts) != sizeof counts) _exit(4);
      _exit(0);
    }
    close(pipes[c][1]);
  }

  int total_steps = 0, total_shared = 0, total_own = 0;
  for (int c = 0; c < 2; ++c) {
    int counts[3] = {0, 0, 0};
    ASSERT_EQ(read(pipes[c][0], counts, sizeof counts), static_cast<ssize_t>(sizeof counts));
    close(pipes[c][0]);
    int status = 0;
    ASSERT_EQ(waitpid(children[c], &status, 0), children[c]);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child " << c << " status " << status;
    total_steps += counts[0];
    total_shared += counts[1];
    total_own += counts[2];
  }

  EXPECT_EQ(total_shared, kCreates) << "each shared request key must be taken exactly once";
  EXPECT_EQ(total_own, 2 * kCreates);
  EXPECT_GE(total_steps, kPatchsets);  // every patchset moved at least once

  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(integrity(), "ok");
  EXPECT_EQ(store->find_patchsets({.limit = 100000})->size(), static_cast<size_t>(kPatchsets + 3 * kCreates));
  int versions = 0;
  for (PatchSetId id = 1; id <= kPatchsets; ++id) {
    auto p = store->get_patchset(id);
    ASSERT_TRUE(p.ok());
    versions += static_cast<int>(p->version) - 1;
    // Every step wrote exactly one audit event and one comment with it.
    EXPECT_EQ(store->list_events({.patchset_id = id})->size(), static_cast<size_t>(p->version));
    EXPECT_EQ(store->comments_for(id)->size(), static_cast<size_t>(p->version - 1));
  }
  EXPECT_EQ(versions, total_steps) << "a step was lost or counted twice";
}

TEST_F(TwoProcessStore, WriterKilledMidFlightLeavesConsistentState) {
  constexpr int kPatchsets = 10;
  {
    auto store = open();
    ASSERT_TRUE(store);
    for (int i = 0; i < kPatchsets; ++i) {
      ASSERT_TRUE(store->create_patchset({.bug_id = static_cast<BugId>(i + 1), .branch = "try"}, "setup").ok());
    }
  }
  for (int round = 0; round < 3; ++round) {
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto s = open_store(url_, clock_);
      if (!s) _exit(3);
      for (int i = 0;; ++i) (void)try_step(**s, 1 + i % kPatchsets);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + 70 * round));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));

    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(integrity(), "ok");
    int64_t moved = 0;
    for (PatchSetId id = 1; id <= kPatchsets; ++id) {
      auto p = store->get_patchset(id);
      ASSERT_TRUE(p.ok());
      moved += p->version - 1;
      EXPECT_EQ(store->list_events({.patchset_id = id})->size(), static_cast<size_t>(p->version)) << "patchset " << id;
      EXPECT_EQ(store->comments_for(id)->size(), static_cast<size_t>(p->version - 1)) << "patchset " << id;
    }
    EXPECT_GT(moved, 0) << "the killed writer made no progress; the test proves nothing";
    // And the store still takes writes after the crash.
    EXPECT_TRUE(try_step(*store, 1));
  }
}

}  // namespace
}  // namespace autoland
