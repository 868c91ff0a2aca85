// The PostgreSQL store where it differs from a file: several processes'
// worth of store objects on one database at once, a server that restarts
// under them, and a transaction whose connection is cut half-way.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "adapters/process/subprocess.h"
#include "app/store_factory.h"
#include "ports/store.h"
#include "sandbox/postgres/throwaway_postgres.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;

class PostgresStore : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(sandbox::ThrowawayPostgres::installed()) << "apt-get install postgresql";
    dir_ = fs::path(::testing::TempDir()) / ("pg-store-" + std::to_string(::getpid()));
    auto started = sandbox::ThrowawayPostgres::start(dir_.string(), 0);
    ASSERT_TRUE(started.ok()) << started.error().message;
    server_ = std::move(*started);
  }
  static void TearDownTestSuite() {
    server_.reset();
    fs::remove_all(dir_);
  }

  void SetUp() override {
    ASSERT_TRUE(server_);
    const std::string name = "t_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ASSERT_TRUE(server_->create_database(lower).ok());
    url_ = server_->url(lower);
    auto store = open_store(url_, clock_, /*migrate=*/true, /*create=*/true);
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
    Branch try_branch;
    try_branch.name = "try";
    try_branch.repo_url = "/repos/try";
    ASSERT_TRUE(store_->create_branch(try_branch, "test").ok());
  }

  // Another process's store on the same database.
  std::unique_ptr<Store> another_store() {
    auto store = open_store(url_, clock_);
    EXPECT_TRUE(store.ok()) << store.error().message;
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Runs SQL as the database's superuser, beside autoland's connections.
  std::string psql(const std::string& sql) {
    SpawnOptions run;
    run.argv = {"psql", url_, "-At", "-c", sql};
    auto answer = run_program(run, {}, std::chrono::seconds(30));
    EXPECT_TRUE(answer.ok());
    if (!answer.ok()) return {};
    EXPECT_EQ(answer->exit_code, 0) << answer->err;
    return answer->out;
  }

  PatchSet new_patchset(Store& store, const std::string& key) {
    auto p = store.create_patchset(
        {.bug_id = 7, .patches = {1}, .branch = "try", .stage = Stage::try_run, .request_key = key}, "test");
    EXPECT_TRUE(p.ok()) << p.error().message;
    return p.ok() ? *p : PatchSet{};
  }

  static inline std::unique_ptr<sandbox::ThrowawayPostgres> server_;
  static inline fs::path dir_;
  ManualClock clock_{1'700'000'000};
  std::string url_;
  std::unique_ptr<Store> store_;
};

TEST_F(PostgresStore, OfManyWorkersTakingTheSameStepExactlyOneDoes) {
  PatchSet p = new_patchset(*store_, "k1");
  std::vector<std::unique_ptr<Store>> workers;
  for (int i = 0; i < 4; ++i) workers.push_back(another_store());
  std::atomic<int> won{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      TransitionWrite w;
      w.patchset_id = p.id;
      w.expected_state = State::queued;
      w.expected_version = p.version;
      w.new_state = State::validating;
      w.actor = "worker " + std::to_string(t);
      w.comments = {{7, "taken", "taken by " + std::to_string(t), "taken/" + std::to_string(p.id)}};
      auto r = workers[t % workers.size()]->apply_transition(w);
      if (r.ok()) {
        ++won;
      } else if (r.error().kind == ErrorKind::conflict) {
        ++refused;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(refused.load(), 15);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(psql("SELECT state, version FROM patchsets WHERE id = " + std::to_string(p.id)), "validating|2\n");
  EXPECT_EQ(psql("SELECT count(*) FROM comments"), "1\n");
  EXPECT_EQ(psql("SELECT count(*) FROM events WHERE what = 'transition'"), "1\n");
}

TEST_F(PostgresStore, OneRequestKeyMakesOnePatchsetWhoeverAsksFirst) {
  std::vector<std::unique_ptr<Store>> workers;
  for (int i = 0; i < 4; ++i) workers.push_back(another_store());
  std::atomic<int> created{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&, t] {
      auto r = workers[t % workers.size()]->create_patchset(
          {.bug_id = 9, .patches = {2}, .branch = "try", .stage = Stage::try_run, .request_key = "same"}, "test");
      if (r.ok()) {
        ++created;
      } else if (r.error().kind == ErrorKind::conflict) {
        ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(refused.load(), 11);
  EXPECT_EQ(psql("SELECT count(*) FROM patchsets WHERE request_key = 'same'"), "1\n");
}

TEST_F(PostgresStore, TwoSheriffsChangingABranchFromTwoHostsKeepBothChanges) {
  auto other = another_store();
  std::vector<std::thread> threads;
  for (int round = 0; round < 20; ++round) {
    threads.emplace_back([&, round] {
      auto r = store_->change_branch(
          "try",
          [&](Branch& b, int64_t) -> Status {
            b.threshold = b.threshold + 1;
            return {};
          },
          "sheriff a " + std::to_string(round));
      EXPECT_TRUE(r.ok()) << r.error().message;
    });
    threads.emplace_back([&, round] {
      auto r = other->change_branch(
          "try",
          [&](Branch& b, int64_t) -> Status {
            b.max_retriggers = b.max_retriggers + 1;
            return {};
          },
          "sheriff b " + std::to_string(round));
      EXPECT_TRUE(r.ok()) << r.error().message;
    });
  }
  for (auto& t : threads) t.join();
  auto b = store_->get_branch("try");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->threshold, 1 + 20);
  EXPECT_EQ(b->max_retriggers, 2 + 20);
}

TEST_F(PostgresStore, ReconnectsByItselfAfterTheServerRestarts) {
  PatchSet p = new_patchset(*store_, "before");
  ASSERT_TRUE(server_->restart().ok());
  // The pool's connections died with the old server: the next calls open new ones.
  auto read = store_->get_patchset(p.id);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->request_key, "before");
  PatchSet after = new_patchset(*store_, "after");
  EXPECT_GT(after.id, p.id);
  EXPECT_EQ(psql("SELECT count(*) FROM patchsets"), "2\n");
}

TEST_F(PostgresStore, ATransactionCutHalfWayIsRunAgainWholeAndWrittenOnce) {
  int calls = 0;
  auto changed = store_->change_branch(
      "try",
      [&](Branch& b, int64_t) -> Status {
        if (++calls == 1) {
          // The server ends this very transaction's connection, half-way.
          psql(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND "
              "pid <> pg_backend_pid() AND state = 'idle in transaction'");
        }
        b.threshold = 5;
        return {};
      },
      "sheriff");
  ASSERT_TRUE(changed.ok()) << changed.error().message;
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(changed->threshold, 5);
  EXPECT_EQ(psql("SELECT count(*) FROM events WHERE what = 'branch.update'"), "1\n");
}

TEST_F(PostgresStore, ReadersDoNotWaitForAWriterHoldingTheWriteLock) {
  PatchSet p = new_patchset(*store_, "k");
  auto other = another_store();
  std::atomic<bool> inside{false}, release{false};
  std::thread writer([&] {
    auto r = store_->change_branch(
        "try",
        [&](Branch&, int64_t) -> Status {
          inside = true;
          while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
          return {};
        },
        "slow sheriff");
    EXPECT_TRUE(r.ok());
  });
  while (!inside) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // While the write lock is held: reads from another host answer.
  auto read = other->get_patchset(p.id);
  EXPECT_TRUE(read.ok());
  auto listed = other->find_patchsets({});
  EXPECT_TRUE(listed.ok());
  release = true;
  writer.join();
}

TEST_F(PostgresStore, AnEmptyDatabaseIsNeverFilledUnasked) {
  ASSERT_TRUE(server_->create_database("empty_one").ok());
  auto refused = open_store(server_->url("empty_one"), clock_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::not_found);
  EXPECT_NE(refused.error().message.find("is empty"), std::string::npos) << refused.error().message;
  auto unreachable = open_store("postgresql://autoland:secret@127.0.0.1:1/nowhere", clock_);
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.error().kind, ErrorKind::transient);
  EXPECT_EQ(unreachable.error().message.find("secret"), std::string::npos) << unreachable.error().message;
}

}  // namespace
}  // namespace autoland
