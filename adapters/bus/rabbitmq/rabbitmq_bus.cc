#include "adapters/bus/rabbitmq/rabbitmq_bus.h"

#include <amqp.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "util/log.h"
#include "util/mutex.h"
#include "util/strings.h"

namespace autoland {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view kFormat = "autoland.bus/1";
constexpr amqp_channel_t kChannel = 1;
// A wait looks at close() at least this often.
constexpr milliseconds kWaitSlice{200};
constexpr milliseconds kFirstBackoff{200};
constexpr milliseconds kMostBackoff{5'000};
// Generations and delivery tags share an ack tag: generation << kTagBits | delivery tag.
constexpr int kTagBits = 40;

timeval as_timeval(milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

amqp_bytes_t bytes(const std::string& s) { return amqp_bytes_t{s.size(), const_cast<char*>(s.data())}; }

std::string this_process() {
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  return std::string(host) + "/" + std::to_string(::getpid());
}

// What the broker or the library said, as one line.
std::string describe(const amqp_rpc_reply_t& r) {
  switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL: return "ok";
    case AMQP_RESPONSE_NONE: return "no reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION: return amqp_error_string2(r.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        auto* m = static_cast<amqp_connection_close_t*>(r.reply.decoded);
        return "connection closed by the broker: " +
               std::string(static_cast<char*>(m->reply_text.bytes), m->reply_text.len);
      }
      if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        auto* m = static_cast<amqp_channel_close_t*>(r.reply.decoded);
        return "channel closed by the broker: " +
               std::string(static_cast<char*>(m->reply_text.bytes), m->reply_text.len);
      }
      return "the broker answered with method " + std::to_string(r.reply.id);
  }
  return "?";
}

// Where the broker is, parsed once from the URL.
struct Endpoint {
  std::string host, user, password, vhost, shown;
  int port = 5672;
  bool tls = false;
  std::string ca_file;
};

Result<Endpoint> parse_endpoint(const RabbitMqOptions& options) {
  std::string copy = options.url;
  amqp_connection_info info{};
  if (amqp_parse_url(copy.data(), &info) != AMQP_STATUS_OK) {
    return invalid_input("bus URL '" + util::redact_url(options.url) +
                         "' is not amqp://USER:PASSWORD@HOST[:PORT]/VHOST (or amqps://)");
  }
  Endpoint e;
  e.host = info.host ? info.host : "";
  e.user = info.user ? info.user : "guest";
  e.password = info.password ? info.password : "guest";
  e.vhost = info.vhost && *info.vhost ? info.vhost : "/";
  e.port = info.port;
  e.tls = info.ssl != 0;
  e.ca_file = options.tls_ca_file;
  e.shown = util::redact_url(options.url);
  if (e.host.empty()) return invalid_input("bus URL '" + e.shown + "' names no host");
  return e;
}

// One AMQP connection with channel 1 open, made again after it broke (not
// before its backoff ran out). REQUIRES: used under its owner's lock.
class Link {
 public:
  Link(const Endpoint& endpoint, std::string purpose, int heartbeat_seconds)
      : endpoint_(endpoint), purpose_(std::move(purpose)), heartbeat_(heartbeat_seconds) {}
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  ~Link() { drop(); }

  bool is_up() const { return conn_ != nullptr; }
  amqp_connection_state_t conn() const { return conn_; }
  uint64_t generation() const { return generation_; }

  // Connects unless connected; when the broker is away, fails (transient)
  // at once until the backoff has passed.
  Status open() {
    if (conn_) return {};
    if (Clock::now() < next_attempt_) {
      // Why it is away matters to whoever asks (a wrong CA file will not
      // mend itself): the last failure goes with every refusal.
      return transient("the bus broker " + endpoint_.shown + " is away (" + last_failure_ + ")");
    }
    Status made = connect();
    if (!made.ok()) {
      drop();
      if (!warned_) LOG_WARN("bus", purpose_ + ": " + made.error().message + "; retrying with backoff");
      warned_ = true;
      last_failure_ = made.error().message;
      next_attempt_ = Clock::now() + backoff_;
      backoff_ = std::min(backoff_ * 2, kMostBackoff);
      return made;
    }
    if (warned_) LOG_INFO("bus", purpose_ + ": connected to " + endpoint_.shown + " again");
    warned_ = false;
    ++generation_;
    return {};
  }

  // Set up and working: the next outage backs off from the start again.
  void healthy() { backoff_ = kFirstBackoff; }

  // Forgets the connection (broken, or the broker closed it); the next
  // open() makes a new one.
  void drop() {
    if (!conn_) return;
    amqp_destroy_connection(conn_);
    conn_ = nullptr;
  }

  // A failed step after connecting (a queue declared otherwise, a refused
  // permission) backs off as a failed connect does, and says so once.
  Status check(const amqp_rpc_reply_t& reply, const std::string& what) {
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) return {};
    Error e = transient(purpose_ + ": " + what + " failed: " + describe(reply));
    drop();
    if (!warned_) LOG_WARN("bus", e.message + "; retrying with backoff");
    warned_ = true;
    last_failure_ = e.message;
    next_attempt_ = Clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, kMostBackoff);
    return e;
  }

 private:
  Status connect() {
    conn_ = amqp_new_connection();
    if (!conn_) return transient("out of memory for an AMQP connection");
    amqp_socket_t* socket = endpoint_.tls ? amqp_ssl_socket_new(conn_) : amqp_tcp_socket_new(conn_);
    if (!socket) return transient("cannot make an AMQP socket");
    if (endpoint_.tls) {
      if (!endpoint_.ca_file.empty() && amqp_ssl_socket_set_cacert(socket, endpoint_.ca_file.c_str()) != 0) {
        return invalid_input("bus.tls_ca_file '" + endpoint_.ca_file + "' cannot be read");
      }
      amqp_ssl_socket_set_verify_peer(socket, 1);
      amqp_ssl_socket_set_verify_hostname(socket, 1);
    }
    const timeval connect_timeout = as_timeval(milliseconds(5'000));
    const int opened = amqp_socket_open_noblock(socket, endpoint_.host.c_str(), endpoint_.port, &connect_timeout);
    if (opened != AMQP_STATUS_OK) {
      return transient("cannot reach the bus broker " + endpoint_.shown + ": " + amqp_error_string2(opened));
    }
    const timeval rpc_timeout = as_timeval(milliseconds(10'000));
    amqp_set_rpc_timeout(conn_, &rpc_timeout);
    amqp_rpc_reply_t login = amqp_login(conn_, endpoint_.vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE, heartbeat_,
                                        AMQP_SASL_METHOD_PLAIN, endpoint_.user.c_str(), endpoint_.password.c_str());
    if (login.reply_type != AMQP_RESPONSE_NORMAL) {
      return transient("cannot log in to the bus broker " + endpoint_.shown + ": " + describe(login));
    }
    amqp_channel_open(conn_, kChannel);
    amqp_rpc_reply_t channel = amqp_get_rpc_reply(conn_);
    if (channel.reply_type != AMQP_RESPONSE_NORMAL) return transient("cannot open a channel: " + describe(channel));
    return {};
  }

  const Endpoint& endpoint_;
  const std::string purpose_;
  const int heartbeat_;
  amqp_connection_state_t conn_ = nullptr;
  uint64_t generation_ = 0;
  Clock::time_point next_attempt_{};
  milliseconds backoff_ = kFirstBackoff;
  bool warned_ = false;
  std::string last_failure_;  // never holds the password: errors show endpoint_.shown
};

class RabbitMqBus final : public Bus {
 public:
  RabbitMqBus(Endpoint endpoint, RabbitMqOptions options)
      : endpoint_(std::move(endpoint)),
        options_(std::move(options)),
        exchange_(options_.name),
        from_(this_process()),
        publisher_(std::make_unique<Publisher>(endpoint_)) {}

  ~RabbitMqBus() override { close(); }

  void subscribe(const std::string& subscriber, const std::vector<std::string>& topics) override {
    Consumer* consumer = nullptr;
    {
      MutexLock lock(mu_);
      auto& slot = consumers_[subscriber];
      if (!slot) slot = std::make_unique<Consumer>(endpoint_, subscriber);
      consumer = slot.get();
    }
    MutexLock lock(consumer->mu);
    for (const std::string& t : topics) {
      if (std::find(consumer->topics.begin(), consumer->topics.end(), t) == consumer->topics.end()) {
        consumer->topics.push_back(t);
      }
    }
    // Declared now when the broker is there (messages published from now on
    // reach the queue); otherwise at the first wait that reaches it.
    consumer->link.drop();
    (void)start_consuming(*consumer, subscriber);
  }

  Status publish(const BusMessage& message) override {
    if (closed_) return transient("the bus is closed");
    const std::string body = encode_bus_message(message, from_, ::time(nullptr));
    MutexLock lock(publisher_->mu);
    Status last;
    for (int attempt = 0; attempt < 2; ++attempt) {
      last = publish_once(message.topic, body);
      if (last.ok() || !publisher_->link.is_up()) {
        if (last.ok() || attempt > 0) return last;
      }
    }
    return last;
  }

  std::optional<BusDelivery> wait(const std::string& subscriber, milliseconds timeout) override {
    Consumer* consumer = find(subscriber);
    const auto deadline = Clock::now() + timeout;
    do {
      if (closed_) return std::nullopt;
      const milliseconds left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      const milliseconds slice = std::clamp(left, milliseconds(0), kWaitSlice);
      if (!consumer) {
        std::this_thread::sleep_for(slice);
        continue;
      }
      MutexLock lock(consumer->mu);
      if (!start_consuming(*consumer, subscriber).ok()) {
        std::this_thread::sleep_for(slice);
        continue;
      }
      if (auto delivery = next_delivery(*consumer, subscriber, slice)) return delivery;
    } while (Clock::now() < deadline);
    return std::nullopt;
  }

  void ack(const std::string& subscriber, uint64_t tag) override {
    Consumer* consumer = find(subscriber);
    if (!consumer) return;
    MutexLock lock(consumer->mu);
    if (!consumer->link.is_up() || (tag >> kTagBits) != consumer->link.generation()) return;  // stale: comes again
    const uint64_t delivery_tag = tag & ((uint64_t{1} << kTagBits) - 1);
    if (amqp_basic_ack(consumer->link.conn(), kChannel, delivery_tag, 0) != AMQP_STATUS_OK) consumer->link.drop();
  }

  void close() override { closed_ = true; }

  Status health() override {
    if (closed_) return transient("the bus is closed");
    MutexLock lock(publisher_->mu);
    if (publisher_->link.is_up()) return {};
    return open_publisher();
  }

 private:
  struct Consumer {
    Consumer(const Endpoint& e, const std::string& name) : link(e, "bus subscriber " + name, 60) {}
    Mutex mu;
    Link link GUARDED_BY(mu);
    std::vector<std::string> topics GUARDED_BY(mu);
  };
  struct Publisher {
    explicit Publisher(const Endpoint& e) : link(e, "bus publisher", 0) {}
    Mutex mu;
    Link link GUARDED_BY(mu);
  };

  Consumer* find(const std::string& subscriber) {
    MutexLock lock(mu_);
    auto it = consumers_.find(subscriber);
    return it == consumers_.end() ? nullptr : it->second.get();
  }

  std::string queue_name(const std::string& subscriber) const { return options_.name + "." + subscriber; }

  Status declare_exchange(Link& link) {
    amqp_exchange_declare(link.conn(), kChannel, bytes(exchange_), amqp_cstring_bytes("topic"), /*passive=*/0,
                          /*durable=*/1, /*auto_delete=*/0, /*internal=*/0, amqp_empty_table);
    return link.check(amqp_get_rpc_reply(link.conn()), "declaring the exchange " + exchange_);
  }

  // Connected, the exchange and the subscriber's durable queue declared and
  // bound, and deliveries flowing (at most `prefetch` unacknowledged).
  Status start_consuming(Consumer& c, const std::string& subscriber) REQUIRES(c.mu) {
    if (c.link.is_up()) return {};
    AUTOLAND_TRY(c.link.open());
    Link& link = c.link;
    AUTOLAND_TRY(declare_exchange(link));
    const std::string queue = queue_name(subscriber);
    amqp_queue_declare(link.conn(), kChannel, bytes(queue), /*passive=*/0, /*durable=*/1, /*exclusive=*/0,
                       /*auto_delete=*/0, amqp_empty_table);
    AUTOLAND_TRY(link.check(amqp_get_rpc_reply(link.conn()), "declaring the queue " + queue));
    for (const std::string& topic : c.topics) {
      amqp_queue_bind(link.conn(), kChannel, bytes(queue), bytes(exchange_), bytes(topic), amqp_empty_table);
      AUTOLAND_TRY(link.check(amqp_get_rpc_reply(link.conn()), "binding " + queue + " to " + topic));
    }
    amqp_basic_qos(link.conn(), kChannel, 0, static_cast<uint16_t>(std::clamp(options_.prefetch, 1, 65535)), 0);
    AUTOLAND_TRY(link.check(amqp_get_rpc_reply(link.conn()), "setting the prefetch"));
    amqp_basic_consume(link.conn(), kChannel, bytes(queue), amqp_empty_bytes, /*no_local=*/0, /*no_ack=*/0,
                       /*exclusive=*/0, amqp_empty_table);
    AUTOLAND_TRY(link.check(amqp_get_rpc_reply(link.conn()), "consuming from " + queue));
    link.healthy();
    return {};
  }

  std::optional<BusDelivery> next_delivery(Consumer& c, const std::string& subscriber, milliseconds slice)
      REQUIRES(c.mu) {
    amqp_maybe_release_buffers(c.link.conn());
    amqp_envelope_t envelope{};
    const timeval tv = as_timeval(slice);
    amqp_rpc_reply_t got = amqp_consume_message(c.link.conn(), &envelope, &tv, 0);
    if (got.reply_type != AMQP_RESPONSE_NORMAL) {
      if (got.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && got.library_error == AMQP_STATUS_TIMEOUT) {
        return std::nullopt;
      }
      if (got.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && got.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
        // Another frame than a delivery: a close from the broker ends the link.
        amqp_frame_t frame{};
        const timeval none = as_timeval(milliseconds(0));
        if (amqp_simple_wait_frame_noblock(c.link.conn(), &frame, &none) == AMQP_STATUS_OK &&
            frame.frame_type == AMQP_FRAME_METHOD &&
            (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
             frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD)) {
          LOG_WARN("bus", "subscriber " + subscriber + ": the broker closed the connection; reconnecting");
          c.link.drop();
        }
        return std::nullopt;
      }
      LOG_WARN("bus", "subscriber " + subscriber + ": " + describe(got) + "; reconnecting");
      c.link.drop();
      return std::nullopt;
    }
    const uint64_t tag = (c.link.generation() << kTagBits) | envelope.delivery_tag;
    const std::string body(static_cast<char*>(envelope.message.body.bytes), envelope.message.body.len);
    amqp_destroy_envelope(&envelope);
    auto message = decode_bus_message(body);
    if (!message) {
      LOG_WARN("bus", "subscriber " + subscriber + ": dropped a message that is not autoland's (" +
                          message.error().message + ")");
      if (amqp_basic_ack(c.link.conn(), kChannel, tag & ((uint64_t{1} << kTagBits) - 1), 0) != AMQP_STATUS_OK) {
        c.link.drop();
      }
      return std::nullopt;
    }
    return BusDelivery{*message, tag};
  }

  Status open_publisher() REQUIRES(publisher_->mu) {
    if (publisher_->link.is_up()) return {};
    AUTOLAND_TRY(publisher_->link.open());
    AUTOLAND_TRY(declare_exchange(publisher_->link));
    amqp_confirm_select(publisher_->link.conn(), kChannel);
    AUTOLAND_TRY(publisher_->link.check(amqp_get_rpc_reply(publisher_->link.conn()), "turning on publisher confirms"));
    publisher_->link.healthy();
    return {};
  }

  // Sends one message and waits for the broker to confirm it: persisted in
  // every queue bound for its topic (none bound yet, as before any worker
  // of that kind ever started: confirmed and dropped, which the periodic
  // sweep of the store makes up for). A confirm that does not come in time
  // fails the publish: the message may still be delivered (a wake-up more,
  // which is harmless).
  Status publish_once(const std::string& topic, const std::string& body) REQUIRES(publisher_->mu) {
    AUTOLAND_TRY(open_publisher());
    Link& link = publisher_->link;
    // The frames of the last confirm wait are done with: their memory goes
    // back, or the connection's pool grows with every publish.
    amqp_maybe_release_buffers(link.conn());
    amqp_basic_properties_t props{};
    props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
    props.content_type = amqp_cstring_bytes("application/json");
    props.delivery_mode = 2;  // persistent
    if (amqp_basic_publish(link.conn(), kChannel, bytes(exchange_), bytes(topic), 0, 0, &props, bytes(body)) !=
        AMQP_STATUS_OK) {
      link.drop();
      return transient("bus publisher: the broker connection failed while publishing");
    }
    const auto deadline = Clock::now() + options_.confirm_timeout;
    while (Clock::now() < deadline) {
      amqp_frame_t frame{};
      const timeval tv = as_timeval(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
      const int got = amqp_simple_wait_frame_noblock(link.conn(), &frame, &tv);
      if (got == AMQP_STATUS_TIMEOUT) break;
      if (got != AMQP_STATUS_OK) {
        link.drop();
        return transient(std::string("bus publisher: waiting for the confirm failed: ") + amqp_error_string2(got));
      }
      if (frame.frame_type != AMQP_FRAME_METHOD) continue;
      switch (frame.payload.method.id) {
        case AMQP_BASIC_ACK_METHOD: return {};
        case AMQP_BASIC_NACK_METHOD: return transient("bus publisher: the broker refused the message (nack)");
        case AMQP_CHANNEL_CLOSE_METHOD:
        case AMQP_CONNECTION_CLOSE_METHOD:
          link.drop();
          return transient("bus publisher: the broker closed the connection");
        default: continue;
      }
    }
    link.drop();
    return transient("bus publisher: no confirm from the broker within " +
                     std::to_string(options_.confirm_timeout.count()) + " ms");
  }

  const Endpoint endpoint_;
  const RabbitMqOptions options_;
  const std::string exchange_;
  const std::string from_;
  std::atomic<bool> closed_{false};
  Mutex mu_;
  std::map<std::string, std::unique_ptr<Consumer>> consumers_ GUARDED_BY(mu_);
  const std::unique_ptr<Publisher> publisher_;
};

}  // namespace

std::string encode_bus_message(const BusMessage& message, std::string_view from, int64_t sent) {
  nlohmann::json j = {{"_meta", {{"format", kFormat}, {"sent", sent}, {"from", from}}},
                      {"payload", {{"topic", message.topic}, {"id", message.id}}}};
  return j.dump();
}

Result<BusMessage> decode_bus_message(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return invalid_input("not JSON");
  auto meta = j.find("_meta");
  if (meta == j.end() || !meta->is_object() || meta->value("format", "") != kFormat) {
    return invalid_input("no _meta.format \"" + std::string(kFormat) + "\"");
  }
  auto payload = j.find("payload");
  if (payload == j.end() || !payload->is_object()) return invalid_input("no payload");
  auto topic = payload->find("topic");
  auto id = payload->find("id");
  if (topic == payload->end() || !topic->is_string() || topic->get<std::string>().empty()) {
    return invalid_input("the payload has no topic");
  }
  if (id == payload->end() || !id->is_number_integer()) return invalid_input("the payload has no integer id");
  return BusMessage{topic->get<std::string>(), id->get<int64_t>()};
}

Result<std::unique_ptr<Bus>> open_rabbitmq_bus(const RabbitMqOptions& options) {
  AUTOLAND_TRY_ASSIGN(auto endpoint, parse_endpoint(options));
  if (options.name.empty()) return invalid_input("bus.name must not be empty");
  return std::unique_ptr<Bus>(std::make_unique<RabbitMqBus>(std::move(endpoint), options));
}

}  // namespace autoland
