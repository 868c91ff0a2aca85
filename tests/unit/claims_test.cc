// What keeps a live worker's claim from being taken over (services/claims):
// a worker just back (or just started) takes only free leases until it has
// been heard for the failover time, and one whose heartbeats fail takes
// nothing.
#include "services/claims.h"

#include <gtest/gtest.h>

#include "adapters/store/sqlite/sqlite_store.h"

namespace autoland {
namespace {

constexpr int kFailover = 20;

class ClaimsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite_store({.path = ":memory:"}, clock_);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
  }
  // A heartbeat written now, and heard by the worker's claims.
  void beat(Claims& claims, const std::string& id) {
    ASSERT_TRUE(store_->heartbeat({id, "host", "pusher", 1, 0, 0, ""}).ok());
    claims.heard(clock_.now());
  }
  ManualClock clock_{1'700'000'000};
  std::unique_ptr<Store> store_;
};

TEST_F(ClaimsTest, AWorkerJustBackTakesOnlyFreeLeasesUntilHeardForTheFailoverTime) {
  Claims a(*store_, clock_, "a", kFailover), b(*store_, clock_, "b", kFailover);
  beat(a, "a");
  beat(b, "b");
  ASSERT_TRUE(a.take("patchset/1/push"));
  // Both cut off from the store for 30 s; then b is heard again first.
  clock_.advance(30);
  beat(b, "b");
  EXPECT_FALSE(b.take("patchset/1/push")) << "a may be alive: it was cut off by the same outage";
  EXPECT_TRUE(b.take("patchset/2/push")) << "a free lease is fine";
  // a never comes back: after the failover time of b being heard, b takes it.
  for (int i = 0; i < 4; ++i) {
    clock_.advance(5);
    beat(b, "b");
  }
  EXPECT_TRUE(b.take("patchset/1/push"));
}

TEST_F(ClaimsTest, AWorkerWhoseHeartbeatsFailStartsNothing) {
  Claims a(*store_, clock_, "a", kFailover);
  beat(a, "a");
  EXPECT_TRUE(a.take("leader/trigger"));
  clock_.advance(kFailover / 2 + 1);  // its heartbeats fail meanwhile
  EXPECT_FALSE(a.take("leader/trigger")) << "others may count it dead already";
  EXPECT_FALSE(a.take("patchset/3/push"));
  beat(a, "a");
  EXPECT_TRUE(a.take("leader/trigger"));
}

// A host whose clock runs ahead counts live workers dead by its own clock
// (their heartbeats look old): it must take nothing until the clock is put
// right, and say so.
TEST_F(ClaimsTest, AWorkerWhoseClockIsOffTheStoresTakesNothing) {
  ManualClock ahead{clock_.now() + kFailover + 5};
  Claims a(*store_, clock_, "a", kFailover), b(*store_, ahead, "b", kFailover);
  beat(a, "a");
  ASSERT_TRUE(a.take("leader/trigger"));
  for (int i = 0; i <= kFailover / 5; ++i) {  // both alive and heard throughout
    ASSERT_TRUE(store_->heartbeat({"b", "host-b", "trigger", 2, 0, 0, ""}).ok());
    b.heard(ahead.now());
    beat(a, "a");
    clock_.advance(5);
    ahead.advance(5);
  }
  beat(a, "a");
  std::string why = b.clock_compared(ahead.now(), *store_->server_time());
  EXPECT_NE(why.find("25 s ahead of the store's"), std::string::npos) << why;
  EXPECT_FALSE(b.take("leader/trigger")) << "a is alive: only b's clock says otherwise";
  EXPECT_FALSE(b.take("patchset/9/push"));

  // Put right (within the allowed max(1, failover/4) seconds): it works again.
  EXPECT_EQ(b.clock_compared(clock_.now() + kFailover / 4, clock_.now()), "");
  EXPECT_TRUE(b.take("patchset/9/push"));
  EXPECT_NE(a.clock_compared(clock_.now() - kFailover / 4 - 1, clock_.now()).find("6 s behind"), std::string::npos);
  EXPECT_FALSE(a.take("leader/trigger")) << "a clock behind is refused too: the others would count it dead";
}

}  // namespace
}  // namespace autoland
