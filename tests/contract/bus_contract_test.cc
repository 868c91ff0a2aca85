// What every Bus must do (ports/bus.h), run on each adapter (today the
// in-process one): each subscriber has its own queue, a message goes only to
// the subscribers of its topic, waits time out, close wakes everyone, and
// messages published from many threads all arrive, once, to each subscriber.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "adapters/bus/inproc/inproc_bus.h"

namespace autoland {
namespace {

using std::chrono::milliseconds;

class BusContract : public ::testing::TestWithParam<std::function<std::unique_ptr<Bus>()>> {
 protected:
  void SetUp() override { bus_ = GetParam()(); }
  std::unique_ptr<Bus> bus_;
};

TEST_P(BusContract, EachSubscriberGetsItsOwnCopyOfItsTopicsOnly) {
  bus_->subscribe("queue", {"patchset"});
  bus_->subscribe("commenter", {"patchset", "comment"});
  ASSERT_TRUE(bus_->publish({"patchset", 42}).ok());
  ASSERT_TRUE(bus_->publish({"comment", 7}).ok());
  ASSERT_TRUE(bus_->publish({"branch", 1}).ok());  // nobody's: dropped
  auto q = bus_->wait("queue", milliseconds(100));
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->message.topic, "patchset");
  EXPECT_EQ(q->message.id, 42);
  EXPECT_FALSE(bus_->wait("queue", milliseconds(20)).has_value());  // the comment was not the queue's
  auto c1 = bus_->wait("commenter", milliseconds(100));
  auto c2 = bus_->wait("commenter", milliseconds(100));
  ASSERT_TRUE(c1 && c2);
  EXPECT_EQ(c1->message.id, 42);  // in order
  EXPECT_EQ(c2->message.topic, "comment");
  EXPECT_FALSE(bus_->wait("commenter", milliseconds(20)).has_value());
  EXPECT_FALSE(bus_->wait("stranger", milliseconds(20)).has_value());
}

TEST_P(BusContract, CloseWakesWaitersAndLaterWaitsReturnAtOnce) {
  bus_->subscribe("queue", {"patchset"});
  std::atomic<bool> woke{false};
  std::thread waiter([&] {
    auto m = bus_->wait("queue", std::chrono::seconds(30));
    woke = !m.has_value();
  });
  std::this_thread::sleep_for(milliseconds(50));
  bus_->close();
  waiter.join();
  EXPECT_TRUE(woke);
  EXPECT_FALSE(bus_->is_open());
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(bus_->wait("queue", std::chrono::seconds(30)).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_P(BusContract, ManyPublishersAndWaitersLoseNothingAndMixNothing) {
  constexpr int kPublishers = 4, kEach = 250;
  bus_->subscribe("a", {"patchset"});
  bus_->subscribe("b", {"patchset"});
  std::atomic<int> got_a{0}, got_b{0};
  auto drain = [&](const std::string& who, std::atomic<int>& got) {
    return std::thread([&, who] {
      while (got < kPublishers * kEach) {
        if (bus_->wait(who, milliseconds(2000)))
          ++got;
        else
          break;
      }
    });
  };
  std::thread ta = drain("a", got_a), tb = drain("b", got_b);
  std::vector<std::thread> publishers;
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&, p] {
      for (int i = 0; i < kEach; ++i) EXPECT_TRUE(bus_->publish({"patchset", p * kEach + i}).ok());
    });
  }
  for (std::thread& t : publishers) t.join();
  ta.join();
  tb.join();
  EXPECT_EQ(got_a, kPublishers * kEach);
  EXPECT_EQ(got_b, kPublishers * kEach);
  EXPECT_FALSE(bus_->wait("a", milliseconds(20)).has_value());
}

INSTANTIATE_TEST_SUITE_P(InProcess, BusContract,
                         ::testing::Values([]() -> std::unique_ptr<Bus> { return std::make_unique<InProcessBus>(); }));

}  // namespace
}  // namespace autoland
