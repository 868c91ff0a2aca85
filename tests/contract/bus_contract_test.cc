// What every Bus must do (ports/bus.h), run on each adapter (the in-process
// one, and RabbitMQ on a throwaway broker): each subscriber has its own
// queue, a message goes only to the subscribers of its topic, waits time
// out, close wakes everyone, and messages published from many threads all
// arrive, once, to each subscriber.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>

#include "adapters/bus/inproc/inproc_bus.h"
#include "adapters/bus/rabbitmq/rabbitmq_bus.h"
#include "sandbox/rabbitmq/throwaway_rabbitmq.h"

namespace autoland {
namespace {

using std::chrono::milliseconds;

// The one broker of this test binary, started at its first use; each bus
// gets an exchange and queues of its own.
class Broker : public ::testing::Environment {
 public:
  static std::unique_ptr<Bus> new_bus() {
    if (!broker_) {
      if (!sandbox::ThrowawayRabbitMq::installed()) {
        ADD_FAILURE() << "RabbitMQ is not installed (scripts/install-deps.sh all)";
        return nullptr;
      }
      dir_ = std::filesystem::path(::testing::TempDir()) / ("bus-rabbitmq-" + std::to_string(::getpid()));
      auto started = sandbox::ThrowawayRabbitMq::start(dir_.string(), 0);
      if (!started.ok()) {
        ADD_FAILURE() << started.error().message;
        return nullptr;
      }
      broker_ = std::move(*started);
    }
    RabbitMqOptions options;
    options.url = broker_->url();
    options.name = "contract" + std::to_string(++buses_);
    auto bus = open_rabbitmq_bus(options);
    EXPECT_TRUE(bus.ok()) << bus.error().message;
    return bus.ok() ? std::move(*bus) : nullptr;
  }
  void TearDown() override {
    broker_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

 private:
  static inline std::unique_ptr<sandbox::ThrowawayRabbitMq> broker_;
  static inline std::filesystem::path dir_;
  static inline int buses_ = 0;
};

const auto* const kBroker = ::testing::AddGlobalTestEnvironment(new Broker);

class BusContract : public ::testing::TestWithParam<std::function<std::unique_ptr<Bus>()>> {
 protected:
  void SetUp() override {
    bus_ = GetParam()();
    ASSERT_TRUE(bus_);
  }
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
  EXPECT_FALSE(bus_->health().ok());
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
        auto d = bus_->wait(who, milliseconds(2000));
        if (!d) break;
        bus_->ack(who, d->tag);  // handled: the next may come (a bounded prefetch waits for this)
        ++got;
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
INSTANTIATE_TEST_SUITE_P(RabbitMq, BusContract, ::testing::Values([] { return Broker::new_bus(); }));

}  // namespace
}  // namespace autoland
