// The Store contract: every adapter must pass this suite: SQLite on a file
// and in memory, and PostgreSQL on a real server (one throwaway server for
// the whole binary, a new database for each test).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <tuple>

#include "app/store_factory.h"
#include "core/lifecycle.h"
#include "ports/store.h"
#include "sandbox/postgres/throwaway_postgres.h"

namespace autoland {
namespace {

// The one PostgreSQL server of this test binary, started at its first use
// and stopped when the binary ends.
class PostgresServer : public ::testing::Environment {
 public:
  static Result<std::string> new_database() {
    if (!server_) {
      if (!sandbox::ThrowawayPostgres::installed()) {
        return invalid_input("PostgreSQL is not installed (scripts/install-deps.sh all)");
      }
      const auto dir = std::filesystem::path(::testing::TempDir()) / ("store-pg-" + std::to_string(::getpid()));
      AUTOLAND_TRY_ASSIGN(server_, sandbox::ThrowawayPostgres::start(dir.string(), 0));
      dir_ = dir;
    }
    const std::string name = "contract_" + std::to_string(++databases_);
    AUTOLAND_TRY(server_->create_database(name));
    return server_->url(name);
  }
  void TearDown() override {
    server_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

 private:
  static inline std::unique_ptr<sandbox::ThrowawayPostgres> server_;
  static inline std::filesystem::path dir_;
  static inline int databases_ = 0;
};

const auto* const kPostgresServer = ::testing::AddGlobalTestEnvironment(new PostgresServer);

class StoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string url = GetParam();
    if (url == "sqlite-file") {
      dir_ = std::filesystem::path(::testing::TempDir()) /
             ("store-contract-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
      url = "sqlite://" + (dir_ / "autoland.db").string();
    } else if (url == "postgres") {
      auto database = PostgresServer::new_database();
      ASSERT_TRUE(database.ok()) << database.error().message;
      url = *database;
    }
    auto s = open_store(url, clock_, /*migrate=*/true, /*create=*/true);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  Branch branch(std::string name, int threshold = 1) {
    Branch b;
    b.name = std::move(name);
    b.repo_url = "/repos/" + b.name;
    b.threshold = threshold;
    return b;
  }

  PatchSet new_patchset(BugId bug = 1, std::string key = "") {
    auto p = store_->create_patchset(
        {.bug_id = bug, .patches = {10, 11}, .branch = "try", .stage = Stage::try_run, .request_key = std::move(key)},
        "test");
    EXPECT_TRUE(p.ok()) << p.error().message;
    return p.ok() ? *p : PatchSet{};
  }

  TransitionWrite step(const PatchSet& p, State to) {
    TransitionWrite w;
    w.patchset_id = p.id;
    w.expected_state = p.state;
    w.expected_version = p.version;
    w.new_state = to;
    w.actor = "test";
    w.detail = std::string(to_string(p.state)) + " -> " + std::string(to_string(to));
    return w;
  }

  ManualClock clock_{1'700'000'000};
  std::unique_ptr<Store> store_;
  std::filesystem::path dir_;
};

TEST_P(StoreContract, MigrationsAreAppliedOnceAndReported) {
  auto status = store_->schema_status();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->current_version, status->latest_version);
  EXPECT_GE(status->current_version, 1);
  EXPECT_TRUE(status->pending.empty());
  auto again = store_->migrate();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
}

TEST_P(StoreContract, BranchesCrud) {
  auto created = store_->create_branch(branch("try", 4), "sheriff:a");
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->threshold, 4);

  auto dup = store_->create_branch(branch("try"), "sheriff:a");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, ErrorKind::conflict);

  Branch changed = *created;
  changed.threshold = 7;
  changed.tree = TreeStatus::closed;
  changed.tree_reason = "bustage";
  changed.landing_strategy = LandingStrategy::batch;
  changed.max_batch = 8;
  auto updated = store_->update_branch(changed, "sheriff:a");
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(store_->get_branch("try")->threshold, 7);
  EXPECT_EQ(store_->get_branch("try")->tree, TreeStatus::closed);
  EXPECT_EQ(store_->get_branch("try")->landing_strategy, LandingStrategy::batch);
  EXPECT_EQ(store_->get_branch("try")->max_batch, 8);
  EXPECT_EQ(created->landing_strategy, LandingStrategy::serial);  // the default
  EXPECT_EQ(created->max_batch, 1);
  EXPECT_EQ(store_->get_branch("nope").error().kind, ErrorKind::not_found);
  EXPECT_EQ(store_->update_branch(branch("nope"), "x").error().kind, ErrorKind::not_found);

  ASSERT_TRUE(store_->create_branch(branch("central"), "x").ok());
  EXPECT_EQ(store_->list_branches()->size(), 2u);
  ASSERT_TRUE(store_->delete_branch("central", "x").ok());
  EXPECT_EQ(store_->list_branches()->size(), 1u);
  EXPECT_EQ(store_->delete_branch("central", "x").error().kind, ErrorKind::not_found);
}

TEST_P(StoreContract, BranchWithPatchsetsInFlightCannotBeDeleted) {
  ASSERT_TRUE(store_->create_branch(branch("try"), "x").ok());
  PatchSet p = new_patchset();
  Status refused = store_->delete_branch("try", "x");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::conflict);
  EXPECT_TRUE(store_->get_branch("try").ok());
  ASSERT_TRUE(store_->apply_transition(step(p, State::cancelled)).ok());
  EXPECT_TRUE(store_->delete_branch("try", "x").ok());
}

TEST_P(StoreContract, PretestBranchInUseCannotBeDeleted) {
  ASSERT_TRUE(store_->create_branch(branch("try"), "x").ok());
  Branch central = branch("central");
  central.pretest_branch = "try";
  ASSERT_TRUE(store_->create_branch(central, "x").ok());
  auto p = store_->create_patchset({.bug_id = 1, .branch = "central", .stage = Stage::try_run}, "x");
  ASSERT_TRUE(p.ok());
  Status refused = store_->delete_branch("try", "x");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::conflict);
}

// change_branch counts what pushes to a branch exactly as Branch::branch_for
// places each patchset's push, so the API's "no remote change while in
// flight" rule sees the same patchsets the pusher will push.
TEST_P(StoreContract, ABranchChangeIsToldWhatPushesThereAsBranchForSays) {
  ASSERT_TRUE(store_->create_branch(branch("try"), "x").ok());
  Branch central = branch("central");
  central.pretest_branch = "try";
  ASSERT_TRUE(store_->create_branch(central, "x").ok());
  ASSERT_TRUE(store_->create_branch(branch("beta"), "x").ok());
  std::vector<PatchSet> made;
  for (auto [bug, name, stage] : {std::tuple{BugId{1}, "central", Stage::try_run},
                                  {2, "central", Stage::landing},
                                  {3, "try", Stage::try_run},
                                  {4, "beta", Stage::landing},
                                  {5, "central", Stage::landing}}) {
    auto p = store_->create_patchset({.bug_id = bug, .branch = name, .stage = stage}, "x");
    ASSERT_TRUE(p.ok());
    made.push_back(*p);
  }
  ASSERT_TRUE(store_->apply_transition(step(made.back(), State::cancelled)).ok());
  std::map<std::string, Branch> branches;
  auto listed = store_->list_branches();
  ASSERT_TRUE(listed.ok());
  for (const Branch& b : *listed) branches[b.name] = b;
  for (const std::string name : {"try", "central", "beta"}) {
    int64_t expected = 0;
    auto all = store_->find_patchsets({.limit = 100});
    ASSERT_TRUE(all.ok());
    for (const PatchSet& p : *all) {
      if (is_terminal(p.state)) continue;
      if (p.branch == name || branches.at(p.branch).branch_for(p.stage) == name) ++expected;
    }
    int64_t told = -1;
    ASSERT_TRUE(store_
                    ->change_branch(
                        name,
                        [&](Branch&, int64_t in_flight) {
                          told = in_flight;
                          return Status{};
                        },
                        "x")
                    .ok());
    EXPECT_EQ(told, expected) << name;
    EXPECT_EQ(told, (std::map<std::string, int64_t>{{"try", 2}, {"central", 2}, {"beta", 1}}.at(name))) << name;
  }
}

TEST_P(StoreContract, PatchsetNeedsBranchAndBug) {
  EXPECT_EQ(store_->create_patchset({.bug_id = 1, .patches = {1}}, "x").error().kind, ErrorKind::invalid_input);
  EXPECT_EQ(store_->create_patchset({.bug_id = 0, .branch = "try"}, "x").error().kind, ErrorKind::invalid_input);
}

TEST_P(StoreContract, ADeletionWritesWhatItsDecisionNamesInTheSameTransaction) {
  PatchSet p = new_patchset(77);
  std::optional<PatchSet> seen;
  Status deleted = store_->delete_patchset(
      p.id,
      [&](const PatchSet& current) -> Result<std::vector<NewComment>> {
        seen = current;
        return std::vector<NewComment>{{77, std::string(kReleaseMarkerAction), "", "ps/release/deleted"}};
      },
      "sheriff:x");
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->id, p.id);
  EXPECT_EQ(seen->state, State::queued);
  EXPECT_EQ(store_->get_patchset(p.id).error().kind, ErrorKind::not_found);
  auto due = store_->due_comments(clock_.now(), 10);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].kind, kReleaseMarkerAction);
  EXPECT_EQ((*due)[0].bug_id, 77u);
  auto events = store_->list_events({.patchset_id = p.id});
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->empty());
  EXPECT_EQ(events->back().what, "patchset.delete");
  EXPECT_EQ(events->back().actor, "sheriff:x");
}

TEST_P(StoreContract, ARefusedDeletionChangesNothing) {
  PatchSet p = new_patchset(78);
  Status refused = store_->delete_patchset(
      p.id, [](const PatchSet&) -> Result<std::vector<NewComment>> { return conflict("not now"); }, "sheriff:x");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::conflict);
  EXPECT_EQ(refused.error().message, "not now");
  EXPECT_EQ(store_->get_patchset(p.id)->version, p.version);
  EXPECT_TRUE(store_->comments_for(p.id)->empty());
  EXPECT_EQ(
      store_
          ->delete_patchset(
              999, [](const PatchSet&) { return Result<std::vector<NewComment>>(std::vector<NewComment>{}); }, "x")
          .error()
          .kind,
      ErrorKind::not_found);
}

TEST_P(StoreContract, PatchsetCreateAndRead) {
  PatchSet p = new_patchset(42);
  EXPECT_GT(p.id, 0);
  EXPECT_EQ(p.state, State::queued);
  EXPECT_EQ(p.patches, (std::vector<AttachmentId>{10, 11}));
  EXPECT_EQ(p.creation_time, 1'700'000'000);
  EXPECT_EQ(p.version, 1);
  auto got = store_->get_patchset(p.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->bug_id, 42u);
  EXPECT_EQ(got->stage, Stage::try_run);
  EXPECT_EQ(store_->get_patchset(999).error().kind, ErrorKind::not_found);
}

TEST_P(StoreContract, ARequestKeepsWhereItCameFrom) {
  EXPECT_EQ(new_patchset(1).origin, RequestOrigin::whiteboard);  // the default
  for (RequestOrigin origin : {RequestOrigin::whiteboard, RequestOrigin::keyword, RequestOrigin::api}) {
    auto p = store_->create_patchset({.bug_id = 7, .branch = "try", .origin = origin}, "x");
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->origin, origin);
    EXPECT_EQ(store_->get_patchset(p->id)->origin, origin) << to_string(origin);
  }
}

TEST_P(StoreContract, RequestKeyMakesCreationIdempotent) {
  PatchSet first = new_patchset(1, "bug1/[autoland-try]/t1");
  auto second = store_->create_patchset({.bug_id = 1, .branch = "try", .request_key = "bug1/[autoland-try]/t1"}, "x");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, ErrorKind::conflict);
  auto found = store_->find_by_request_key("bug1/[autoland-try]/t1");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, first.id);
  EXPECT_FALSE(store_->find_by_request_key("other")->has_value());
  EXPECT_EQ(store_->find_patchsets({})->size(), 1u);
}

TEST_P(StoreContract, TransitionWritesStateEventAndCommentsTogether) {
  PatchSet p = new_patchset(7);
  TransitionWrite w = step(p, State::validating);
  w.state_reason = "checking";
  w.changes.try_revision = "abc123";
  w.changes.landing_parent = "parent1";
  w.comments = {{7, "try_results", "body one", "ps1/try/1"}, {7, "landed", "body two", "ps1/land/1"}};
  auto after = store_->apply_transition(w);
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->state, State::validating);
  EXPECT_EQ(after->state_reason, "checking");
  EXPECT_EQ(after->try_revision, "abc123");
  EXPECT_EQ(after->landing_parent, "parent1");
  EXPECT_EQ(after->backout_parent, "");
  EXPECT_EQ(after->version, p.version + 1);

  auto comments = store_->comments_for(p.id);
  ASSERT_TRUE(comments.ok());
  ASSERT_EQ(comments->size(), 2u);
  EXPECT_EQ((*comments)[0].state, CommentState::pending);
  EXPECT_EQ((*comments)[0].bug_id, 7u);

  auto events = store_->list_events({.patchset_id = p.id});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);  // create + transition
  EXPECT_EQ((*events)[1].detail, "queued -> validating");
  EXPECT_EQ((*events)[1].actor, "test");
}

TEST_P(StoreContract, StaleTransitionIsRefusedAndWritesNothing) {
  PatchSet p = new_patchset();
  ASSERT_TRUE(store_->apply_transition(step(p, State::validating)).ok());
  TransitionWrite stale = step(p, State::cancelled);  // still thinks it is queued
  stale.comments = {{1, "cancelled", "x", "ps/cancel"}};
  auto r = store_->apply_transition(stale);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::conflict);
  EXPECT_EQ(store_->get_patchset(p.id)->state, State::validating);
  EXPECT_TRUE(store_->comments_for(p.id)->empty());
  EXPECT_EQ(store_->list_events({.patchset_id = p.id})->size(), 2u);
}

TEST_P(StoreContract, DuplicateDedupKeyIsNotQueuedTwice) {
  PatchSet p = new_patchset();
  TransitionWrite a = step(p, State::validating);
  a.comments = {{1, "k", "first", "same-key"}};
  auto after = store_->apply_transition(a);
  ASSERT_TRUE(after.ok());
  TransitionWrite b = step(*after, State::waiting);
  b.comments = {{1, "k", "second", "same-key"}};
  ASSERT_TRUE(store_->apply_transition(b).ok());
  auto comments = store_->comments_for(p.id);
  ASSERT_EQ(comments->size(), 1u);
  EXPECT_EQ((*comments)[0].body, "first");
}

TEST_P(StoreContract, FindPatchsetsFilters) {
  PatchSet a = new_patchset(1);
  PatchSet b = new_patchset(2);
  ASSERT_TRUE(store_->apply_transition(step(b, State::validating)).ok());
  EXPECT_EQ(store_->find_patchsets({.bug_id = 2})->size(), 1u);
  EXPECT_EQ(store_->find_patchsets({.states = {State::queued}})->front().id, a.id);
  EXPECT_EQ(store_->find_patchsets({.states = {State::queued, State::validating}})->size(), 2u);
  EXPECT_EQ(store_->find_patchsets({.branch = "other"})->size(), 0u);
  EXPECT_EQ(store_->find_patchsets({.limit = 1})->size(), 1u);
}

TEST_P(StoreContract, OutboxLifecycle) {
  PatchSet p = new_patchset(5);
  TransitionWrite w = step(p, State::validating);
  w.comments = {{5, "a", "one", "k1"}, {5, "b", "two", "k2"}};
  ASSERT_TRUE(store_->apply_transition(w).ok());
  auto due = store_->due_comments(clock_.now(), 10);
  ASSERT_EQ(due->size(), 2u);
  int64_t first = (*due)[0].id;
  int64_t second = (*due)[1].id;

  ASSERT_TRUE(store_->mark_comment_posted(first, 9001).ok());
  EXPECT_EQ(store_->get_comment(first)->bugzilla_comment_id, 9001);
  EXPECT_EQ(store_->get_comment(first)->state, CommentState::posted);
  EXPECT_EQ(store_->mark_comment_posted(first, 9002).error().kind, ErrorKind::conflict);  // never twice

  ASSERT_TRUE(store_->record_comment_attempt(second, 0, clock_.now() + 300).ok());
  EXPECT_EQ(store_->record_comment_attempt(second, 0, clock_.now() + 300).error().kind, ErrorKind::conflict);
  ASSERT_TRUE(store_->mark_comment_failed(second, "503 from Bugzilla", clock_.now() + 60).ok());
  EXPECT_TRUE(store_->due_comments(clock_.now(), 10)->empty());
  EXPECT_EQ(store_->due_comments(clock_.now() + 60, 10)->size(), 1u);
  EXPECT_EQ(store_->get_comment(second)->attempts, 1);
  EXPECT_EQ(store_->get_comment(second)->last_error, "503 from Bugzilla");

  ASSERT_TRUE(store_->mark_comment_failed(second, "bug 5 does not exist", std::nullopt).ok());
  EXPECT_EQ(store_->get_comment(second)->state, CommentState::dropped);
  EXPECT_TRUE(store_->due_comments(clock_.now() + 1000, 10)->empty());
}

TEST_P(StoreContract, EnqueueOutsideATransitionIsDeduplicated) {
  auto first =
      store_->enqueue_comment({12, "refused", "Step tag failed (x)", "bug12/refused/[autoland-x]"}, std::nullopt);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  auto again = store_->enqueue_comment({12, "refused", "other text", "bug12/refused/[autoland-x]"}, std::nullopt);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  auto due = store_->due_comments(clock_.now(), 10);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].id, **first);
  EXPECT_FALSE((*due)[0].patchset_id.has_value());
  EXPECT_EQ((*due)[0].body, "Step tag failed (x)");
  EXPECT_EQ((*due)[0].attempts, 0);
  ASSERT_TRUE(store_->record_comment_attempt((*due)[0].id, 0, clock_.now() + 300).ok());
  EXPECT_EQ(store_->get_comment((*due)[0].id)->attempts, 1);
  // Claimed: hidden from other drains until the lease ends.
  EXPECT_TRUE(store_->due_comments(clock_.now(), 10)->empty());
  EXPECT_EQ(store_->due_comments(clock_.now() + 300, 10)->size(), 1u);
}

TEST_P(StoreContract, DroppingABugsPendingCommentsLeavesOtherBugsAlone) {
  ASSERT_TRUE(store_->enqueue_comment({30, "manual", "a", "a30"}, std::nullopt).ok());
  ASSERT_TRUE(store_->enqueue_comment({30, "manual", "b", "b30"}, std::nullopt).ok());
  ASSERT_TRUE(store_->enqueue_comment({31, "manual", "c", "c31"}, std::nullopt).ok());
  auto dropped = store_->drop_pending_comments(30, "bug 30 does not exist");
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 2);
  auto due = store_->due_comments(clock_.now(), 10);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].bug_id, 31u);
}

TEST_P(StoreContract, PatchesAreAddedOnlyWhileQueued) {
  PatchSet p = new_patchset();
  auto added = store_->add_patch(p.id, 12, "sheriff:x");
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(added->patches, (std::vector<AttachmentId>{10, 11, 12}));
  EXPECT_EQ(added->version, p.version + 1);
  auto again = store_->add_patch(p.id, 12, "sheriff:x");  // already there: nothing changes
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version, added->version);
  auto v = store_->apply_transition(step(*added, State::validating));
  ASSERT_TRUE(v.ok());
  auto late = store_->add_patch(p.id, 13, "sheriff:x");
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().kind, ErrorKind::conflict);
  EXPECT_EQ(store_->get_patchset(p.id)->patches, (std::vector<AttachmentId>{10, 11, 12}));
  EXPECT_EQ(store_->add_patch(999, 1, "x").error().kind, ErrorKind::not_found);
  auto events = store_->list_events({.patchset_id = p.id});
  EXPECT_EQ(
      std::count_if(events->begin(), events->end(), [](const AuditEvent& e) { return e.what == "patchset.add_patch"; }),
      1);
}

TEST_P(StoreContract, ABranchChangeIsAllOrNothing) {
  Branch b;
  b.name = "gamma";
  b.repo_url = "/r/g";
  ASSERT_TRUE(store_->create_branch(b, "t").ok());
  auto changed = store_->change_branch(
      "gamma",
      [](Branch& x, int64_t) -> Status {
        x.threshold = 7;
        return {};
      },
      "sheriff:x");
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->threshold, 7);
  auto refused = store_->change_branch(
      "gamma",
      [](Branch& x, int64_t) -> Status {
        x.threshold = 9;
        return invalid_input("no");
      },
      "sheriff:x");
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(store_->get_branch("gamma")->threshold, 7);
  EXPECT_EQ(store_
                ->change_branch(
                    "nosuch", [](Branch&, int64_t) { return Status{}; }, "x")
                .error()
                .kind,
            ErrorKind::not_found);
}

TEST_P(StoreContract, TheNewestEventsComeOldestFirst) {
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(store_->append_event({0, clock_.now(), std::nullopt, "t", "e" + std::to_string(i), ""}).ok());
  auto newest = store_->list_events({.limit = 2, .newest = true});
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->size(), 2u);
  EXPECT_EQ((*newest)[0].what, "e3");
  EXPECT_EQ((*newest)[1].what, "e4");
  auto oldest = store_->list_events({.limit = 2});
  EXPECT_NE((*oldest)[0].what, "e3");
}

TEST_P(StoreContract, CommentsAreCountedByKindAndState) {
  ASSERT_TRUE(store_->enqueue_comment({1, "landed", "a", "k1"}, std::nullopt).ok());
  ASSERT_TRUE(store_->enqueue_comment({2, "landed", "b", "k2"}, std::nullopt).ok());
  auto third = store_->enqueue_comment({3, "rejected", "c", "k3"}, std::nullopt);
  ASSERT_TRUE(third.ok() && third->has_value());
  ASSERT_TRUE(store_->mark_comment_posted(**third, 99).ok());
  auto counts = store_->count_comments();
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ((*counts)["landed"]["pending"], 2);
  EXPECT_EQ((*counts)["rejected"]["posted"], 1);
  EXPECT_EQ((*counts)["rejected"].count("pending"), 0u);
}

TEST_P(StoreContract, PriorityAndSettings) {
  PatchSet p = new_patchset();
  auto raised = store_->set_priority(p.id, 10, "sheriff:x");
  ASSERT_TRUE(raised.ok());
  EXPECT_EQ(raised->priority, 10);
  EXPECT_EQ(store_->set_priority(999, 1, "x").error().kind, ErrorKind::not_found);

  EXPECT_FALSE(store_->get_setting("killswitch")->has_value());
  ASSERT_TRUE(store_->set_setting("killswitch", "on", "sheriff:x").ok());
  EXPECT_EQ(**store_->get_setting("killswitch"), "on");
  ASSERT_TRUE(store_->set_setting("killswitch", "off", "sheriff:y").ok());
  EXPECT_EQ(**store_->get_setting("killswitch"), "off");
  ASSERT_TRUE(store_->set_cursor("bugzilla.cursor", "2026-11-25T00:00:00Z").ok());
  EXPECT_EQ(**store_->get_setting("bugzilla.cursor"), "2026-11-25T00:00:00Z");

  auto events = store_->list_events({});
  ASSERT_TRUE(events.ok());
  int settings = 0;
  for (const auto& e : *events) settings += e.what == "setting";
  EXPECT_EQ(settings, 2);  // cursors leave no audit event
}

TEST_P(StoreContract, PushIntentsAreReplacedAndCleared) {
  EXPECT_FALSE(store_->get_push_intent("patchset/1/landing")->has_value());
  ASSERT_TRUE(store_->record_push_intent({"patchset/1/landing", "central", {"aa", "bb"}, 0}).ok());
  ASSERT_TRUE(store_->record_push_intent({"patchset/1/try", "try", {"cc"}, 0}).ok());
  // A rebased retry records new nodes under the same key.
  ASSERT_TRUE(store_->record_push_intent({"patchset/1/landing", "central", {"dd", "ee"}, 0}).ok());
  auto got = store_->get_push_intent("patchset/1/landing");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->nodes, (std::vector<std::string>{"dd", "ee"}));
  EXPECT_EQ((*got)->branch, "central");
  EXPECT_GT((*got)->recorded_time, 0);
  ASSERT_TRUE(store_->clear_push_intent("patchset/1/landing").ok());
  EXPECT_FALSE(store_->get_push_intent("patchset/1/landing")->has_value());
  EXPECT_TRUE(store_->clear_push_intent("patchset/1/landing").ok());  // twice is fine
  EXPECT_EQ((*store_->get_push_intent("patchset/1/try"))->nodes, std::vector<std::string>{"cc"});
}

TEST_P(StoreContract, PushIntentsAreFoundByAWholeNode) {
  std::string a(40, 'a'), b(40, 'b'), ab = std::string(39, 'a') + "b";
  ASSERT_TRUE(store_->record_push_intent({"patchset/3/try", "try", {a, b}, 0}).ok());
  EXPECT_EQ(*store_->find_push_intent_with_node(b), std::optional<std::string>("patchset/3/try"));
  EXPECT_FALSE(store_->find_push_intent_with_node(ab)->has_value());
  EXPECT_FALSE(store_->find_push_intent_with_node(a.substr(0, 12))->has_value());  // whole nodes only
  EXPECT_FALSE(store_->find_push_intent_with_node("%")->has_value());
}

TEST_P(StoreContract, WatchedPushesAreWatchedOnceAndReportedOnce) {
  ASSERT_TRUE(store_->create_branch(branch("try"), "t").ok());
  WatchedPush w{"try", std::string(40, 'c'), {7, 8}, "Pat <p@example.org>", 1'700'000'000};
  EXPECT_TRUE(*store_->watch_push(w));
  EXPECT_FALSE(*store_->watch_push(w));  // nothing twice
  auto open = store_->unreported_pushes(10);
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].bugs, (std::vector<BugId>{7, 8}));
  EXPECT_EQ((*open)[0].pusher, "Pat <p@example.org>");
  EXPECT_GT((*open)[0].seen_time, 0);
  std::vector<NewComment> comments = {{7, "push_results", "r7", "push/try/cccccccccccc/bug/7"},
                                      {8, "push_results", "r8", "push/try/cccccccccccc/bug/8"}};
  ASSERT_TRUE(store_->report_watched_push("try", w.revision, comments, "results").ok());
  EXPECT_TRUE(store_->unreported_pushes(10)->empty());
  auto again = store_->report_watched_push("try", w.revision, comments, "results");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);
  EXPECT_EQ(store_->due_comments(clock_.now() + 1, 10)->size(), 2u);  // queued once
}

TEST_P(StoreContract, PatchsetsByRevisionAndPagedById) {
  ASSERT_TRUE(store_->create_branch(branch("try"), "t").ok());
  std::vector<PatchSet> made;
  for (int i = 0; i < 5; ++i) made.push_back(new_patchset(static_cast<BugId>(i + 1), "k" + std::to_string(i)));
  TransitionWrite w = step(made[2], State::validating);
  w.changes.try_revision = std::string(40, 'd');
  ASSERT_TRUE(store_->apply_transition(w).ok());
  PatchSetQuery by_revision;
  by_revision.revision = std::string(40, 'd');
  auto found = store_->find_patchsets(by_revision);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, made[2].id);
  PatchSetQuery page;
  page.after_id = made[1].id;
  page.limit = 2;
  auto next = store_->find_patchsets(page);
  ASSERT_EQ(next->size(), 2u);
  EXPECT_EQ((*next)[0].id, made[2].id);
  EXPECT_EQ((*next)[1].id, made[3].id);
}

TEST_P(StoreContract, EventsPageByIdAndTime) {
  for (int i = 0; i < 5; ++i) {
    clock_.advance(10);
    ASSERT_TRUE(store_->append_event({0, 0, std::nullopt, "test", "note", std::to_string(i)}).ok());
  }
  auto all = store_->list_events({});
  ASSERT_EQ(all->size(), 5u);
  auto after = store_->list_events({.after_id = (*all)[2].id});
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ((*after)[0].detail, "3");
  auto since = store_->list_events({.since = (*all)[4].time});
  EXPECT_EQ(since->size(), 1u);
  EXPECT_EQ(store_->list_events({.limit = 2})->size(), 2u);
}

TEST_P(StoreContract, TextRoundTripsByteForByte) {
  PatchSet p = new_patchset();
  TransitionWrite w = step(p, State::validating);
  std::string odd = "Jörg's ✓ \"quoted\" 'single' \\ back\nnew line; DROP TABLE patchsets; --";
  w.state_reason = odd;
  w.comments = {{1, "k", odd, "unicode-key-✓"}};
  ASSERT_TRUE(store_->apply_transition(w).ok());
  EXPECT_EQ(store_->get_patchset(p.id)->state_reason, odd);
  EXPECT_EQ(store_->comments_for(p.id)->front().body, odd);
}

// Two posters: the second read the entry after the first claimed it (so it
// sees the claim's attempt count), yet must not take it while the lease runs.
TEST_P(StoreContract, AClaimedCommentIsNotClaimedAgainWhileItsLeaseRuns) {
  auto id = store_->enqueue_comment({4, "landed", "body", "leased"}, std::nullopt);
  ASSERT_TRUE(id.ok() && id->has_value());
  ASSERT_TRUE(store_->record_comment_attempt(**id, 0, clock_.now() + 10).ok());
  auto seen = store_->get_comment(**id);
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->attempts, 1);
  Status second = store_->record_comment_attempt(**id, seen->attempts, clock_.now() + 10);
  ASSERT_FALSE(second.ok()) << "claimed twice while the first claim's lease ran";
  EXPECT_EQ(second.error().kind, ErrorKind::conflict);
  clock_.advance(10);
  EXPECT_TRUE(store_->record_comment_attempt(**id, 1, clock_.now() + 10).ok()) << "the lease ended: free again";
  EXPECT_EQ(store_->get_comment(**id)->attempts, 2);
}

// A rate limit steps aside without an attempt, and never shortens another
// poster's claim: deferring a claimed entry is a conflict.
TEST_P(StoreContract, DeferringACommentNeverShortensAnotherPostersClaim) {
  auto id = store_->enqueue_comment({4, "landed", "body", "deferred"}, std::nullopt);
  ASSERT_TRUE(id.ok() && id->has_value());
  ASSERT_TRUE(store_->defer_comment(**id, 0, clock_.now() + 60, "rate limit reached for bug 4").ok());
  OutboxComment put_off = *store_->get_comment(**id);
  EXPECT_EQ(put_off.attempts, 0) << "stepping aside is not an attempt";
  EXPECT_EQ(put_off.next_attempt_time, clock_.now() + 60);
  EXPECT_EQ(put_off.last_error, "rate limit reached for bug 4");
  EXPECT_EQ(store_->due_comments(clock_.now(), 10)->size(), 0u);
  EXPECT_EQ(store_->defer_comment(**id, 0, clock_.now() + 1, "again").error().kind, ErrorKind::conflict)
      << "not due: deferring it again would move someone's wait";

  clock_.advance(60);
  ASSERT_TRUE(store_->record_comment_attempt(**id, 0, clock_.now() + 300).ok());
  Status late = store_->defer_comment(**id, 1, clock_.now() + 60, "rate limit");
  ASSERT_FALSE(late.ok()) << "a claim's lease was cut to a minute";
  EXPECT_EQ(late.error().kind, ErrorKind::conflict);
  EXPECT_EQ(store_->get_comment(**id)->next_attempt_time, clock_.now() + 300);
}

// What the rate limits count: comments posted in the window, by anyone, on
// one bug or on all; whiteboard edits and unposted entries are not counted.
TEST_P(StoreContract, PostedCommentsAreCountedByTimeAndBug) {
  auto post = [&](BugId bug, const std::string& key, std::optional<int64_t> bugzilla_id) {
    auto id = store_->enqueue_comment({bug, "note", "b", key}, std::nullopt);
    ASSERT_TRUE(id.ok() && id->has_value());
    ASSERT_TRUE(store_->mark_comment_posted(**id, bugzilla_id).ok());
  };
  UnixTime start = clock_.now();
  post(5, "c1", 101);
  clock_.advance(30);
  post(5, "c2", 102);
  post(6, "c3", 103);
  post(5, "edit", std::nullopt);
  ASSERT_TRUE(store_->enqueue_comment({5, "note", "b", "pending"}, std::nullopt).ok());
  EXPECT_EQ(*store_->count_posted_comments(5, start), 2);
  EXPECT_EQ(*store_->count_posted_comments(5, start + 1), 1);
  EXPECT_EQ(*store_->count_posted_comments(6, start), 1);
  EXPECT_EQ(*store_->count_posted_comments(7, start), 0);
  EXPECT_EQ(*store_->count_posted_comments(std::nullopt, start), 3);
  EXPECT_EQ(*store_->count_posted_comments(std::nullopt, clock_.now() + 1), 0);
}

TEST_P(StoreContract, WorkersSayTheyAreAliveAndLeaveCleanly) {
  WorkerRecord a{"host-a/10/1", "host-a", "pusher", 10, 1'699'999'000, 0, "starting"};
  ASSERT_TRUE(store_->heartbeat(a).ok());
  clock_.advance(5);
  a.doing = "pushed 2";
  ASSERT_TRUE(store_->heartbeat(a).ok());
  ASSERT_TRUE(store_->heartbeat({"host-b/20/1", "host-b", "trigger", 20, 1'699'999'100, 0, ""}).ok());
  auto workers = store_->list_workers();
  ASSERT_TRUE(workers.ok());
  ASSERT_EQ(workers->size(), 2u);
  EXPECT_EQ(workers->at(0).id, "host-a/10/1");  // by role: pusher before trigger
  EXPECT_EQ(workers->at(0).doing, "pushed 2");
  EXPECT_EQ(workers->at(0).heartbeat_time, clock_.now());
  EXPECT_EQ(workers->at(0).pid, 10);
  ASSERT_TRUE(store_->take_lease("patchset/1/push", a.id, clock_.now() - 20).ok());
  ASSERT_TRUE(store_->retire_worker(a.id).ok());
  EXPECT_EQ(store_->list_workers()->size(), 1u);
  EXPECT_TRUE(store_->list_leases()->empty()) << "a retired worker's leases stay";
  // A day of silence and a worker is forgotten.
  clock_.advance(24 * 3600 + 1);
  ASSERT_TRUE(store_->heartbeat({"host-c/30/1", "host-c", "queue", 30, clock_.now(), 0, ""}).ok());
  ASSERT_EQ(store_->list_workers()->size(), 1u);
  EXPECT_EQ(store_->list_workers()->front().host, "host-c");
}

TEST_P(StoreContract, ALeaseHasOneLiveHolderAndPassesOnWhenItFallsSilent) {
  ASSERT_TRUE(store_->heartbeat({"a", "host-a", "trigger", 1, clock_.now(), 0, ""}).ok());
  ASSERT_TRUE(store_->heartbeat({"b", "host-b", "trigger", 2, clock_.now(), 0, ""}).ok());
  const auto stale_before = [&] { return clock_.now() - 20; };
  EXPECT_EQ(*store_->take_lease("leader/trigger", "a", stale_before()), true);
  EXPECT_EQ(*store_->take_lease("leader/trigger", "b", stale_before()), false);
  EXPECT_EQ(*store_->take_lease("leader/trigger", "a", stale_before()), true);  // its own: kept
  ASSERT_TRUE(store_->release_lease("leader/trigger", "b").ok());               // not b's: nothing
  EXPECT_EQ(*store_->take_lease("leader/trigger", "b", stale_before()), false);
  // a falls silent; b keeps saying it is alive.
  clock_.advance(21);
  ASSERT_TRUE(store_->heartbeat({"b", "host-b", "trigger", 2, 0, 0, ""}).ok());
  EXPECT_EQ(*store_->take_lease("leader/trigger", "b", stale_before()), true);
  EXPECT_EQ(*store_->take_lease("leader/trigger", "a", stale_before()), false);
  auto leases = store_->list_leases();
  ASSERT_TRUE(leases.ok());
  ASSERT_EQ(leases->size(), 1u);
  EXPECT_EQ(leases->front().holder, "b");
  EXPECT_EQ(leases->front().taken_time, clock_.now());
  auto events = store_->list_events({.limit = 1, .newest = true});
  ASSERT_TRUE(events.ok() && events->size() == 1);
  EXPECT_EQ(events->front().what, "lease.takeover");
  EXPECT_EQ(events->front().detail, "leader/trigger from a (silent since 1700000000)");
  // The holder lets it go; and a lease whose holder never said it was alive is free.
  ASSERT_TRUE(store_->release_lease("leader/trigger", "b").ok());
  EXPECT_EQ(*store_->take_lease("leader/trigger", "a", stale_before()), true);
  ASSERT_TRUE(store_->retire_worker("a").ok());
  EXPECT_EQ(*store_->take_lease("patchset/3/push", "ghost", stale_before()), true);
  EXPECT_EQ(*store_->take_lease("patchset/3/push", "b", stale_before()), true);
}

// PostgreSQL's text holds UTF-8 without NUL only; every engine stores other
// bytes the same way (U+FFFD each) rather than refusing the write.
TEST_P(StoreContract, TextThatIsNotUtf8IsStoredWithReplacementCharacters) {
  PatchSet p = new_patchset();
  TransitionWrite w = step(p, State::validating);
  w.state_reason = std::string("bad \xff\xfe byte, NUL \0 and an overlong \xc0\xaf; fine: \xe2\x9c\x93", 48);
  ASSERT_TRUE(store_->apply_transition(w).ok());
  EXPECT_EQ(store_->get_patchset(p.id)->state_reason,
            "bad \xef\xbf\xbd\xef\xbf\xbd byte, NUL \xef\xbf\xbd and an overlong \xef\xbf\xbd\xef\xbf\xbd; "
            "fine: \xe2\x9c\x93");
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract, ::testing::Values("sqlite-file", "sqlite://:memory:"),
                         [](const auto& info) { return info.param == "sqlite-file" ? "File" : "Memory"; });
INSTANTIATE_TEST_SUITE_P(Postgres, StoreContract, ::testing::Values("postgres"), [](const auto&) { return "Server"; });

TEST(StoreFactory, UnknownSchemeIsRefused) {
  ManualClock clock;
  auto r = open_store("mysql://x", clock);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "store URL 'mysql://x' has an unknown scheme (supported: sqlite://, postgresql://)");
  EXPECT_FALSE(open_store("sqlite://", clock).ok());
}

}  // namespace
}  // namespace autoland
