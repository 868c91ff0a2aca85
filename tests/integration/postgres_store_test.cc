// The PostgreSQL store where it differs from a file: several processes'
// worth of store objects on one database at once, a server that restarts
// under them, and a transaction whose connection is cut half-way.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>
#include <vector>

#include "adapters/process/subprocess.h"
#include "adapters/store/sql/copy.h"
#include "adapters/store/sql/schema.h"
#include "api/json_views.h"
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

// Workers compare their clocks with the database server's (the claims'
// clock fence): that clock is the server's, not the calling host's.
TEST_F(PostgresStore, TheServerTimeIsTheDatabaseClock) {
  auto server = store_->server_time();
  ASSERT_TRUE(server.ok()) << server.error().message;
  const UnixTime asked = std::stoll(psql("SELECT CAST(extract(epoch FROM now()) AS BIGINT)"));
  EXPECT_LE(std::abs(*server - asked), 2) << "not the store's manual clock, " << clock_.now();
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

TEST_F(PostgresStore, ReadersAndHeartbeatsDoNotWaitForAWriterHoldingTheWriteLock) {
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
  // And a worker's heartbeat goes in at once: a busy store must not make a
  // live worker look dead to the others.
  // (Waiting, it would give up after the 30 s lock timeout.)
  Status beat = other->heartbeat({"host-b/2/1/s-n", "host-b", "pusher", 2, 1, 0, "pushing"});
  auto workers = store_->list_workers();
  release = true;
  writer.join();
  ASSERT_TRUE(beat.ok()) << "the heartbeat waited for the writer: " << beat.error().message;
  ASSERT_TRUE(workers.ok());
  EXPECT_EQ(workers->size(), 1u);
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

// Everything a store answers through the port, as one document: two stores
// that hold the same rows answer the same.
nlohmann::json everything(Store& store) {
  nlohmann::json all;
  auto branches = store.list_branches();
  auto patchsets = store.find_patchsets({});
  auto events = store.list_events({});
  auto counts = store.count_comments();
  auto due = store.due_comments(2'000'000'000, 100);
  auto watched = store.unreported_pushes(10);
  auto intent = store.get_push_intent("patchset/1/landing");
  EXPECT_TRUE(branches.ok() && patchsets.ok() && events.ok() && counts.ok() && due.ok() && watched.ok() && intent.ok());
  if (!(branches.ok() && patchsets.ok() && events.ok() && counts.ok() && due.ok() && watched.ok() && intent.ok())) {
    return all;
  }
  for (const Branch& b : branches.value()) all["branches"].push_back(to_json(b));
  for (const PatchSet& p : patchsets.value()) {
    nlohmann::json one = to_json(p);
    one["version"] = p.version;
    one["request_key"] = p.request_key;
    one["origin"] = std::string(to_string(p.origin));
    auto comments = store.comments_for(p.id);
    EXPECT_TRUE(comments.ok());
    if (comments.ok()) {
      for (const OutboxComment& c : comments.value()) one["comments"].push_back(to_json(c));
    }
    all["patchsets"].push_back(one);
  }
  for (const AuditEvent& e : events.value()) all["events"].push_back(to_json(e));
  for (const auto& [kind, states] : counts.value()) {
    for (const auto& [state, n] : states) all["comment_counts"][kind][state] = n;
  }
  for (const OutboxComment& c : due.value()) all["due"].push_back(to_json(c));
  for (const char* key : {"kill_switch", "trigger.cursor"}) {
    auto value = store.get_setting(key);
    all["settings"][key] = value.ok() ? value->value_or("-") : "error";
  }
  const auto& found = intent.value();
  all["intent"] = found ? found->branch + " " + found->nodes.front() + " " + std::to_string(found->recorded_time)
                        : std::string("-");
  auto workers = store.list_workers();
  auto leases = store.list_leases();
  EXPECT_TRUE(workers.ok() && leases.ok());
  if (workers.ok()) {
    for (const WorkerRecord& w : workers.value()) {
      all["workers"].push_back({w.id, w.host, w.role, w.pid, w.started_time, w.heartbeat_time, w.doing});
    }
  }
  if (leases.ok()) {
    for (const LeaseRecord& l : leases.value()) all["leases"].push_back({l.key, l.holder, l.taken_time});
  }
  for (const WatchedPush& w : watched.value()) {
    all["watched"].push_back({w.branch, w.revision, w.bugs, w.pusher, w.push_time, w.seen_time});
  }
  return all;
}

void fill(Store& store, ManualClock& clock) {
  for (const char* name : {"try", "mozilla-central"}) {
    Branch b;
    b.name = name;
    b.repo_url = std::string("/repos/") + name;
    ASSERT_TRUE(store.create_branch(b, "sheriff").ok());
  }
  for (uint64_t i = 1; i <= 3; ++i) {
    clock.advance(10);
    auto p = store.create_patchset({.bug_id = 100 + i,
                                    .patches = {1000 + i, 2000 + i},
                                    .branch = "try",
                                    .stage = Stage::try_run,
                                    .try_syntax = "try: -b o",
                                    .author = "dev@example.org",
                                    .requester = "Dev@Example.org",
                                    .request_key = "key/" + std::to_string(i),
                                    .origin = i == 2 ? RequestOrigin::api : RequestOrigin::whiteboard},
                                   "trigger");
    ASSERT_TRUE(p.ok());
    TransitionWrite w;
    w.patchset_id = p->id;
    w.expected_state = State::queued;
    w.expected_version = p->version;
    w.new_state = State::validating;
    w.state_reason = "checking Jörg's ✓ patch";
    w.changes.push_time = clock.now();
    w.actor = "queue";
    w.comments = {{p->bug_id, "queued", "Queued ✓", "queued/" + std::to_string(p->id)}};
    ASSERT_TRUE(store.apply_transition(w).ok());
  }
  auto due = store.due_comments(clock.now(), 10);
  ASSERT_TRUE(due.ok() && due->size() == 3);
  ASSERT_TRUE(store.record_comment_attempt(due->front().id, 0, clock.now() + 60).ok());
  ASSERT_TRUE(store.mark_comment_posted(due->front().id, 4242).ok());
  ASSERT_TRUE(store.set_setting("kill_switch", "off", "sheriff").ok());
  ASSERT_TRUE(store.set_cursor("trigger.cursor", "2026-12-07T10:00:00Z").ok());
  ASSERT_TRUE(store.record_push_intent({"patchset/1/landing", "mozilla-central", {std::string(40, 'a')}, 0}).ok());
  ASSERT_TRUE(store.watch_push({"try", std::string(40, 'b'), {7, 8}, "someone@example.org", 123, 0, false}).ok());
  ASSERT_TRUE(store.watch_push({"try", std::string(40, 'c'), {9}, "someone@example.org", 124, 0, false}).ok());
  ASSERT_TRUE(store.report_watched_push("try", std::string(40, 'c'), {{9, "results", "done", "watched/c"}}, "r").ok());
  ASSERT_TRUE(store.heartbeat({"host-a/1/1", "host-a", "pusher", 1, 1, 0, "pushing"}).ok());
  ASSERT_TRUE(store.take_lease("patchset/2/push", "host-a/1/1", 0).ok());
}

TEST_F(PostgresStore, ACopyFromSqliteKeepsEveryRowAndTheKeysCountOnAfterIt) {
  const fs::path file = dir_.parent_path() / ("copy-" + std::to_string(::getpid()) + ".db");
  fs::remove(file);
  auto sqlite = open_store("sqlite://" + file.string(), clock_, true, /*create=*/true);
  ASSERT_TRUE(sqlite.ok()) << sqlite.error().message;
  fill(**sqlite, clock_);
  // The newest patchset was deleted (DELETE /patchSets/4): its id is never
  // handed out again, copied or not.
  auto deleted = (*sqlite)->create_patchset(
      {.bug_id = 8, .patches = {1}, .branch = "try", .stage = Stage::try_run, .request_key = "deleted"}, "test");
  ASSERT_TRUE(deleted.ok() && deleted->id == 4);
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(raw, "DELETE FROM patchsets WHERE id = 4", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }
  ASSERT_TRUE(server_->create_database("copy_target").ok());
  auto target = open_store(server_->url("copy_target"), clock_, true, /*create=*/true);
  ASSERT_TRUE(target.ok()) << target.error().message;

  std::vector<std::string> heard;
  auto copied = sql::copy_store(**sqlite, **target, [&](std::string_view table, int64_t rows) {
    heard.push_back(std::string(table) + " " + std::to_string(rows));
  });
  ASSERT_TRUE(copied.ok()) << copied.error().message;
  EXPECT_EQ(heard, (std::vector<std::string>{"branches 2", "patchsets 3", "comments 4", "events 11", "settings 2",
                                             "push_intents 1", "watched_pushes 2", "workers 1", "leases 1"}));
  EXPECT_EQ(everything(**target).dump(2), everything(**sqlite).dump(2));

  // New rows get keys after the copied ones, in every table that counts keys.
  auto next = (*target)->create_patchset(
      {.bug_id = 9, .patches = {1}, .branch = "try", .stage = Stage::try_run, .request_key = "after"}, "test");
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->id, 5) << "a deleted patchset's id was handed out again";
  auto comment = (*target)->enqueue_comment({9, "k", "b", "after"}, std::nullopt);
  ASSERT_TRUE(comment.ok() && comment->has_value());
  EXPECT_EQ(**comment, 5);

  // A store that holds something is never copied into; and back again, to SQLite, it is all there.
  auto again = sql::copy_store(**sqlite, **target, nullptr);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);
  EXPECT_NE(again.error().message.find("is not empty"), std::string::npos) << again.error().message;
  const fs::path back = dir_.parent_path() / ("copy-back-" + std::to_string(::getpid()) + ".db");
  fs::remove(back);
  auto returned = open_store("sqlite://" + back.string(), clock_, true, /*create=*/true);
  ASSERT_TRUE(returned.ok());
  // Back a page of three rows at a time: pages end inside every table.
  ASSERT_TRUE(sql::copy_store(**target, **returned, nullptr, /*page_rows=*/3).ok());
  EXPECT_EQ(everything(**returned).dump(2), everything(**target).dump(2));
  auto after_return = (*returned)->create_patchset(
      {.bug_id = 9, .patches = {1}, .branch = "try", .stage = Stage::try_run, .request_key = "returned"}, "test");
  ASSERT_TRUE(after_return.ok()) << after_return.error().message;
  EXPECT_EQ(after_return->id, 6);
  fs::remove(file);
  fs::remove(back);
}

// The copy's table list is the schema: a column added by a migration and
// forgotten there would be lost by every copy.
TEST(StoreCopyTables, NameEveryColumnOfTheSchema) {
  ManualClock clock;
  const fs::path file = fs::path(::testing::TempDir()) / ("columns-" + std::to_string(::getpid()) + ".db");
  fs::remove(file);
  ASSERT_TRUE(open_store("sqlite://" + file.string(), clock, true, true).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  std::set<std::string> schema_tables;
  sqlite3_stmt* names = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> "
                     "'schema_migrations'",
                     -1, &names, nullptr);
  while (sqlite3_step(names) == SQLITE_ROW)
    schema_tables.insert(reinterpret_cast<const char*>(sqlite3_column_text(names, 0)));
  sqlite3_finalize(names);
  std::set<std::string> copied_tables;
  for (const sql::Table& table : sql::tables()) {
    copied_tables.insert(std::string(table.name));
    std::set<std::string> columns;
    sqlite3_stmt* info = nullptr;
    sqlite3_prepare_v2(db, ("PRAGMA table_info(" + std::string(table.name) + ")").c_str(), -1, &info, nullptr);
    while (sqlite3_step(info) == SQLITE_ROW)
      columns.insert(reinterpret_cast<const char*>(sqlite3_column_text(info, 1)));
    sqlite3_finalize(info);
    EXPECT_EQ(columns, std::set<std::string>(table.columns.begin(), table.columns.end())) << table.name;
  }
  EXPECT_EQ(copied_tables, schema_tables);
  sqlite3_close(db);
  fs::remove(file);
}

}  // namespace
}  // namespace autoland
