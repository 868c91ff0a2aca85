// The RabbitMQ bus where a broker differs from a process's memory: several
// processes sharing a subscriber name, a subscriber that dies holding a
// delivery, a broker restart, a stranger's message, a wrong password, TLS.
#include "adapters/bus/rabbitmq/rabbitmq_bus.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "adapters/process/subprocess.h"
#include "sandbox/rabbitmq/throwaway_rabbitmq.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

class RabbitMqBus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(sandbox::ThrowawayRabbitMq::installed()) << "apt-get install rabbitmq-server";
    dir_ = fs::path(::testing::TempDir()) / ("rabbitmq-bus-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    // The broker's own certificate, self-signed (so it is its own CA), and a
    // stranger's, made the same way.
    broker_cert_ = (dir_ / "broker.pem").string();
    stranger_cert_ = (dir_ / "stranger.pem").string();
    for (const std::string& cert : {broker_cert_, stranger_cert_}) {
      auto made = run_program(
          {.argv = {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", cert + ".key", "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=DNS:127.0.0.1,IP:127.0.0.1"}});
      ASSERT_TRUE(made.ok() && made->exit_code == 0) << (made.ok() ? made->err : made.error().message);
    }
    auto started = sandbox::ThrowawayRabbitMq::start((dir_ / "node").string(), 0,
                                                     sandbox::BrokerTls{broker_cert_, broker_cert_ + ".key"});
    ASSERT_TRUE(started.ok()) << started.error().message;
    broker_ = std::move(*started);
  }
  static void TearDownTestSuite() {
    broker_.reset();
    fs::remove_all(dir_);
  }

  // One process's bus; processes of one test share the exchange and queues.
  std::unique_ptr<Bus> process_bus() {
    RabbitMqOptions options;
    options.url = broker_->url();
    options.name = std::string("t_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto bus = open_rabbitmq_bus(options);
    EXPECT_TRUE(bus.ok()) << bus.error().message;
    return bus.ok() ? std::move(*bus) : nullptr;
  }

  // Messages on the subscriber's queue: ready and unacknowledged.
  std::string queue_counts(const std::string& subscriber) {
    auto listed =
        broker_->ctl({"list_queues", "-q", "--no-table-headers", "name", "messages_ready", "messages_unacknowledged"});
    EXPECT_TRUE(listed.ok()) << listed.error().message;
    const std::string queue =
        std::string("t_") + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "." + subscriber;
    std::istringstream in(listed.ok() ? *listed : "");
    std::string name, ready, unacked;
    while (in >> name >> ready >> unacked) {
      if (name == queue) return ready + " ready, " + unacked + " unacked";
    }
    return "no queue";
  }

  static inline std::unique_ptr<sandbox::ThrowawayRabbitMq> broker_;
  static inline fs::path dir_;
  static inline std::string broker_cert_, stranger_cert_;
};

// amqps://: the broker is trusted through bus.tls_ca_file and nothing else
// (not a stranger's CA, not the system's), and the refusal says why.
TEST_F(RabbitMqBus, OverTlsTheBrokerIsTrustedOnlyThroughTheConfiguredCa) {
  RabbitMqOptions options;
  options.url = broker_->tls_url();
  options.name = "t_tls";
  options.tls_ca_file = broker_cert_;
  auto bus = open_rabbitmq_bus(options);
  ASSERT_TRUE(bus.ok()) << bus.error().message;
  (*bus)->subscribe("queue", {"patchset"});
  ASSERT_TRUE((*bus)->publish({"patchset", 5}).ok());
  auto d = (*bus)->wait("queue", seconds(10));
  ASSERT_TRUE(d.has_value()) << "nothing arrived over TLS";
  EXPECT_EQ(d->message.id, 5);
  (*bus)->ack("queue", d->tag);

  for (const std::string& ca : {stranger_cert_, std::string()}) {
    RabbitMqOptions untrusting = options;
    untrusting.tls_ca_file = ca;
    auto refused_bus = open_rabbitmq_bus(untrusting);
    ASSERT_TRUE(refused_bus.ok());
    Status refused = (*refused_bus)->publish({"patchset", 6});
    ASSERT_FALSE(refused.ok()) << "a broker was trusted through " << (ca.empty() ? "the system's CAs" : ca);
    EXPECT_NE(refused.error().message.find("SSL"), std::string::npos) << refused.error().message;
    EXPECT_EQ(refused.error().message.find("guest:guest"), std::string::npos) << refused.error().message;
    Status health = (*refused_bus)->health();
    ASSERT_FALSE(health.ok());
    EXPECT_NE(health.error().message.find("SSL"), std::string::npos) << "/health would not say why";
  }

  RabbitMqOptions unreadable = options;
  unreadable.tls_ca_file = (dir_ / "no-such-ca.pem").string();
  auto missing = open_rabbitmq_bus(unreadable);
  ASSERT_TRUE(missing.ok());
  Status no_ca = (*missing)->publish({"patchset", 7});
  ASSERT_FALSE(no_ca.ok());
  EXPECT_NE(no_ca.error().message.find("bus.tls_ca_file"), std::string::npos) << no_ca.error().message;
}

TEST_F(RabbitMqBus, TwoProcessesOfOneNameShareItsMessagesEachTakenOnce) {
  auto host_a = process_bus();
  auto host_b = process_bus();
  auto poller = process_bus();
  host_a->subscribe("pusher", {"push"});
  host_b->subscribe("pusher", {"push"});
  poller->subscribe("results", {"results"});
  auto publisher = process_bus();
  for (int i = 1; i <= 40; ++i) ASSERT_TRUE(publisher->publish({"push", i}).ok());
  std::multiset<int64_t> seen;
  int by_a = 0, by_b = 0;
  for (int idle = 0; idle < 3;) {
    bool any = false;
    for (Bus* bus : {host_a.get(), host_b.get()}) {
      if (auto d = bus->wait("pusher", milliseconds(100))) {
        seen.insert(d->message.id);
        (bus == host_a.get() ? by_a : by_b)++;
        bus->ack("pusher", d->tag);
        any = true;
      }
    }
    idle = any ? 0 : idle + 1;
  }
  EXPECT_EQ(seen.size(), 40u);
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 40u) << "a message was taken twice";
  EXPECT_GT(by_a, 0);
  EXPECT_GT(by_b, 0);
  EXPECT_FALSE(poller->wait("results", milliseconds(200)).has_value()) << "the poller got a pusher's message";
  EXPECT_EQ(queue_counts("pusher"), "0 ready, 0 unacked");
}

TEST_F(RabbitMqBus, ADeliveryItsTakerDiedHoldingGoesToAnotherOfItsName) {
  auto survivor = process_bus();
  {
    auto doomed = process_bus();
    doomed->subscribe("commenter", {"comment"});
    ASSERT_TRUE(doomed->publish({"comment", 7}).ok());
    auto taken = doomed->wait("commenter", seconds(5));
    ASSERT_TRUE(taken.has_value());
    EXPECT_EQ(taken->message.id, 7);
    survivor->subscribe("commenter", {"comment"});
    EXPECT_FALSE(survivor->wait("commenter", milliseconds(300)).has_value()) << "taken twice while held";
    EXPECT_EQ(queue_counts("commenter"), "0 ready, 1 unacked");
    // It dies before its pass committed: no ack.
  }
  auto again = survivor->wait("commenter", seconds(10));
  ASSERT_TRUE(again.has_value()) << "the delivery was lost with its taker";
  EXPECT_EQ(again->message.id, 7);
  survivor->ack("commenter", again->tag);
  EXPECT_EQ(queue_counts("commenter"), "0 ready, 0 unacked");
}

TEST_F(RabbitMqBus, MessagesWaitingOutlastABrokerRestartAndTheBusReconnects) {
  auto bus = process_bus();
  bus->subscribe("queue", {"patchset"});
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(bus->publish({"patchset", i}).ok());
  ASSERT_TRUE(broker_->restart().ok());
  // Once the broker is back, the same bus object receives them and publishes again.
  std::set<int64_t> got;
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (got.size() < 5 && std::chrono::steady_clock::now() < deadline) {
    if (auto d = bus->wait("queue", milliseconds(500))) {
      got.insert(d->message.id);
      bus->ack("queue", d->tag);
    }
  }
  EXPECT_EQ(got, (std::set<int64_t>{1, 2, 3, 4, 5}));
  Status published = bus->publish({"patchset", 6});
  for (int i = 0; !published.ok() && i < 20; ++i) {
    std::this_thread::sleep_for(milliseconds(250));
    published = bus->publish({"patchset", 6});
  }
  ASSERT_TRUE(published.ok()) << published.error().message;
  auto sixth = bus->wait("queue", seconds(10));
  ASSERT_TRUE(sixth.has_value());
  EXPECT_EQ(sixth->message.id, 6);
  bus->ack("queue", sixth->tag);
  EXPECT_TRUE(bus->health().ok());
}

TEST_F(RabbitMqBus, AStrangersMessageIsDroppedAndTheNextOneArrives) {
  auto bus = process_bus();
  bus->subscribe("queue", {"patchset"});
  const std::string exchange = std::string("t_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  for (const char* body : {"not json", R"({"payload": {"topic": "patchset", "id": 1}})",
                           R"({"_meta": {"format": "autoland.bus/1"}, "payload": {"topic": "patchset"}})"}) {
    SpawnOptions raw;
    raw.argv = {"amqp-publish", "--url=" + broker_->url(), "-e", exchange, "-r", "patchset", "-b", body};
    auto sent = run_program(raw, {}, seconds(30));
    ASSERT_TRUE(sent.ok() && sent->exit_code == 0) << (sent.ok() ? sent->err : sent.error().message);
  }
  ASSERT_TRUE(bus->publish({"patchset", 99}).ok());
  auto d = bus->wait("queue", seconds(10));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->message.id, 99);
  bus->ack("queue", d->tag);
  EXPECT_EQ(queue_counts("queue"), "0 ready, 0 unacked") << "a stranger's message stayed or came back";
}

TEST_F(RabbitMqBus, AWrongPasswordIsRefusedWithoutShowingIt) {
  RabbitMqOptions options;
  options.url = "amqp://guest:sesame-secret@127.0.0.1:" + std::to_string(broker_->port()) + "/";
  auto bus = open_rabbitmq_bus(options);
  ASSERT_TRUE(bus.ok());
  Status published = (*bus)->publish({"patchset", 1});
  ASSERT_FALSE(published.ok());
  EXPECT_EQ(published.error().kind, ErrorKind::transient);
  EXPECT_EQ(published.error().message.find("sesame"), std::string::npos) << published.error().message;
  EXPECT_FALSE((*bus)->health().ok());
  auto malformed = open_rabbitmq_bus({.url = "http://guest:sesame@host/"});
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().kind, ErrorKind::invalid_input);
  EXPECT_EQ(malformed.error().message.find("sesame"), std::string::npos) << malformed.error().message;
}

TEST(BusWireFormat, RoundTripsAndRefusesWhatIsNotOurs) {
  const std::string body = encode_bus_message({"patchset", 42}, "host-a/123", 1'700'000'000);
  EXPECT_EQ(body, R"({"_meta":{"format":"autoland.bus/1","from":"host-a/123","sent":1700000000},)"
                  R"("payload":{"id":42,"topic":"patchset"}})");
  auto back = decode_bus_message(body);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->topic, "patchset");
  EXPECT_EQ(back->id, 42);
  for (const char* bad : {"", "[]", "{}", R"({"_meta":{"format":"other/1"},"payload":{"topic":"p","id":1}})",
                          R"({"_meta":{"format":"autoland.bus/1"},"payload":{"topic":"","id":1}})",
                          R"({"_meta":{"format":"autoland.bus/1"},"payload":{"topic":"p","id":"1"}})"}) {
    EXPECT_FALSE(decode_bus_message(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace autoland
