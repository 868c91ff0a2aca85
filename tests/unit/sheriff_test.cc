// The sheriff actions' own rules, on an in-memory store.
#include "services/queue/sheriff.h"

#include <gtest/gtest.h>

#include "adapters/store/sqlite/sqlite_store.h"
#include "core/lifecycle.h"
#include "services/transitions.h"

namespace autoland {
namespace {

class Sheriff : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite_store({.path = ":memory:", .create = true}, clock_);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    Branch b;
    b.name = "try";
    b.repo_url = "/r/try";
    ASSERT_TRUE(store_->create_branch(b, "t").ok());
  }
  PatchSet queued(BugId bug) {
    auto p = store_->create_patchset({.bug_id = bug, .patches = {1}, .branch = "try", .stage = Stage::try_run}, "t");
    EXPECT_TRUE(p.ok());
    return p.ok() ? *p : PatchSet{};
  }
  PatchSet go(PatchSet ps, Event e) {
    auto out = advance(*store_, clock_, ps, {.event = e, .actor = "queue"});
    EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
    return out.ok() ? out->patchset : ps;
  }
  ManualClock clock_{1'700'000'000};
  std::unique_ptr<Store> store_;
};

TEST_F(Sheriff, DeletingALiveRequestReleasesItsMarkerOnce) {
  PatchSet p = queued(77);
  ASSERT_TRUE(delete_patchset(*store_, p.id, "user:sheriff").ok());
  EXPECT_EQ(store_->get_patchset(p.id).error().kind, ErrorKind::not_found);
  auto due = store_->due_comments(clock_.now(), 10);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].kind, kReleaseMarkerAction);
  EXPECT_EQ((*due)[0].bug_id, 77u);
  EXPECT_EQ((*due)[0].dedup_key, make_marker_action_key(p.id, kReleaseMarkerAction, "deleted"));
  EXPECT_EQ(delete_patchset(*store_, p.id, "user:sheriff").error().kind, ErrorKind::not_found);
  EXPECT_EQ(store_->due_comments(clock_.now(), 10)->size(), 1u);
}

TEST_F(Sheriff, DeletingIsRefusedWhileAutolandWorksOnItAndFreeOnceEnded) {
  PatchSet p = go(go(go(queued(5), Event::start_validation), Event::validated), Event::start_push);
  ASSERT_EQ(p.state, State::pushing);
  Status refused = delete_patchset(*store_, p.id, "user:sheriff");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::conflict);
  EXPECT_NE(refused.error().message.find("is pushing right now; cancel it first"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(store_->get_patchset(p.id)->version, p.version);
  EXPECT_TRUE(store_->comments_for(p.id)->empty());

  PatchSet ended = go(queued(6), Event::cancel);
  ASSERT_TRUE(is_terminal(ended.state));
  size_t before = store_->due_comments(clock_.now(), 10)->size();  // the cancel's own comment and release
  ASSERT_TRUE(delete_patchset(*store_, ended.id, "user:sheriff").ok());
  EXPECT_EQ(store_->due_comments(clock_.now(), 10)->size(), before);  // the deletion adds nothing
  EXPECT_EQ(delete_patchset(*store_, queued(7).id, "").error().kind, ErrorKind::invalid_input);  // who did it
}

}  // namespace
}  // namespace autoland
