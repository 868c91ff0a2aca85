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

}  // namespace
}  // namespace autoland
