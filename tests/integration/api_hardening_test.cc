// The API under hostile clients, over raw sockets on 127.0.0.x: a body is
// never read before the caller is known, a chunked body is held to the
// limit, headers and bodies have deadlines, connections are bounded per
// client address, and the kill switch answers a sheriff while slow clients
// hold more connections than there are workers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "api/api_server.h"
#include "app/store_factory.h"
#include "services/queue/sheriff.h"
#include "tests/support/test_support.h"
#include "util/log.h"

namespace autoland {
namespace {

using Clock = std::chrono::steady_clock;
const std::string kSheriff = "sheriff-token-0123456789";
const std::string kReader = "reader-token-0123456789";

// A client socket from `from` (any 127.0.0.x) to the server.
class Conn {
 public:
  Conn(int port, const std::string& from = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, from.c_str(), &local.sin_addr);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Conn() { ::close(fd_); }
  bool connected() const { return connected_; }
  // false when the server has closed (or reset) the connection.
  bool send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  // What arrives within `wait` (until the server closes, or the wait ends).
  std::string read(std::chrono::milliseconds wait) {
    std::string out;
    auto until = Clock::now() + wait;
    while (Clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count());
      if (::poll(&p, 1, std::max(1, left)) <= 0) break;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
      if (out.find("\r\n\r\n") != std::string::npos && complete(out)) break;
    }
    return out;
  }
  bool closed() const { return closed_; }

 private:
  static bool complete(const std::string& response) {
    size_t head = response.find("\r\n\r\n");
    size_t at = response.find("Content-Length: ");
    if (at == std::string::npos || at > head) return false;
    return response.size() >= head + 4 + std::stoul(response.substr(at + 16));
  }
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

int status_of(const std::string& response) {
  return response.size() > 12 && response.rfind("HTTP/1.", 0) == 0 ? std::stoi(response.substr(9, 3)) : 0;
}

class ApiHardening : public ::testing::Test {
 protected:
  void SetUp() override {
    util::set_log_level(util::LogLevel::off);
    auto store = open_store("sqlite://:memory:", clock_);
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    api::ApiOptions o;
    o.tokens = {{"alice", api::Role::sheriff, api::sha256_hex(kSheriff)},
                {"rob", api::Role::reader, api::sha256_hex(kReader)}};
    o.http.max_body_bytes = 64 * 1024;
    o.http.header_deadline = std::chrono::milliseconds(1500);
    o.http.body_deadline = std::chrono::milliseconds(1500);
    o.http.max_connections_per_client = 40;
    o.http.workers = 4;
    o.http.urgent_workers = 2;
    server_ = std::make_unique<api::ApiServer>(*store_, clock_, o);
    ASSERT_TRUE(server_->start("127.0.0.1", 0).ok());
    port_ = server_->port();
  }

  std::string kill_switch_request(const std::string& token = kSheriff) {
    return "GET /killswitch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\nConnection: close\r\n\r\n";
  }

  ManualClock clock_{1'700'000'000};
  std::unique_ptr<Store> store_;
  std::unique_ptr<api::ApiServer> server_;
  int port_ = 0;
};

// 300 MiB announced without a token: 401 at once, nothing of it read.
TEST_F(ApiHardening, NoBodyIsReadBeforeTheCallerIsKnown) {
  Conn c(port_);
  ASSERT_TRUE(
      c.send("PUT /killswitch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
             "314572800\r\n\r\n"));
  auto started = Clock::now();
  std::string answer = c.read(std::chrono::milliseconds(3000));
  EXPECT_EQ(status_of(answer), 401) << answer;
  EXPECT_LT(Clock::now() - started, std::chrono::milliseconds(1000));
  // The same with chunks, and with a reader's token on a write.
  Conn chunked(port_);
  ASSERT_TRUE(
      chunked.send("PUT /killswitch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nAuthorization: "
                   "Bearer " +
                   kReader + "\r\n\r\n100000\r\n"));
  EXPECT_EQ(status_of(chunked.read(std::chrono::milliseconds(3000))), 403);
}

// A sheriff's declared body over the limit is refused before it is read; a
// chunked one is cut off as soon as it passes the limit, with the store untouched.
TEST_F(ApiHardening, BodiesOverTheLimitAreRefusedChunkedOrNot) {
  Conn declared(port_);
  ASSERT_TRUE(declared.send("PUT /killswitch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kSheriff +
                            "\r\nContent-Length: 200000\r\n\r\n"));
  EXPECT_EQ(status_of(declared.read(std::chrono::milliseconds(3000))), 413);

  Conn chunked(port_);
  ASSERT_TRUE(chunked.send("PUT /killswitch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kSheriff +
                           "\r\nTransfer-Encoding: chunked\r\n\r\n"));
  std::string chunk(16 * 1024, ' ');
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  size_t sent = 0;
  bool cut = false;
  for (int i = 0; i < 64 && !cut; ++i) {  // up to 1 MiB, the limit is 64 KiB
    cut = !chunked.send(size + chunk + "\r\n");
    if (!cut) sent += chunk.size();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::string answer = chunked.read(std::chrono::milliseconds(2000));
  EXPECT_TRUE(cut || chunked.closed()) << "sent " << sent << " bytes; answer: " << answer;
  EXPECT_NE(status_of(answer), 200);
  EXPECT_FALSE(*kill_switch_on(*store_));

  // Under the limit, chunked is fine.
  Conn small(port_);
  std::string body = R"({"on": true, "reason": "chunked"})";
  std::snprintf(size, sizeof size, "%zx\r\n", body.size());
  ASSERT_TRUE(
      small.send("PUT /killswitch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kSheriff +
                 "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
                 size + body + "\r\n0\r\n\r\n"));
  std::string small_answer = small.read(std::chrono::milliseconds(3000));
  EXPECT_EQ(status_of(small_answer), 200) << small_answer;
  EXPECT_TRUE(*kill_switch_on(*store_));
}

// A byte every 200 ms keeps no connection past its deadline (1.5 s here),
// in the headers or in the body.
TEST_F(ApiHardening, TricklingClientsAreCutOffAtTheirDeadline) {
  for (std::string head : {std::string("GET /killswitch HTTP/1.1\r\nHost: x\r\nX-Slow: "),
                           "PUT /killswitch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kSheriff +
                               "\r\nContent-Length: 1000\r\n\r\n"}) {
    Conn c(port_);
    auto started = Clock::now();
    ASSERT_TRUE(c.send(head));
    bool alive = true;
    while (alive && Clock::now() - started < std::chrono::seconds(6)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      alive = c.send("a");
      if (alive) c.read(std::chrono::milliseconds(1));
      alive = alive && !c.closed();
    }
    auto held = Clock::now() - started;
    EXPECT_FALSE(alive);
    EXPECT_LT(held, std::chrono::milliseconds(3500)) << "held " << std::chrono::duration<double>(held).count() << " s";
  }
}

// More slow clients than there are workers, from several addresses: a
// sheriff still reaches the kill switch at once; one address cannot hold
// more than its share.
TEST_F(ApiHardening, TheKillSwitchStaysReachableWhileSlowClientsHoldConnections) {
  std::vector<std::unique_ptr<Conn>> slow;
  for (int i = 0; i < 120; ++i) {
    slow.push_back(std::make_unique<Conn>(port_, "127.0.0." + std::to_string(2 + i % 3)));
    slow.back()->send("GET /killswitch HTTP/1.1\r\nHost: x\r\n");
  }
  int refused = 0;
  for (auto& c : slow) refused += !c->send("X: y\r\n") || (c->read(std::chrono::milliseconds(1)), c->closed());
  EXPECT_GE(refused, 120 - 3 * 40) << "at most 40 connections per address";
  for (int i = 0; i < 5; ++i) {
    Conn sheriff(port_);
    auto started = Clock::now();
    ASSERT_TRUE(sheriff.send(kill_switch_request()));
    std::string answer = sheriff.read(std::chrono::milliseconds(2000));
    EXPECT_EQ(status_of(answer), 200) << answer;
    EXPECT_LT(Clock::now() - started, std::chrono::milliseconds(500));
  }
}

TEST_F(ApiHardening, UnknownMethodsAnswer405AndUnknownPaths404) {
  Conn patch(port_);
  ASSERT_TRUE(patch.send("PATCH /killswitch HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(status_of(patch.read(std::chrono::milliseconds(2000))), 405);
  Conn nowhere(port_);
  ASSERT_TRUE(nowhere.send("GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(status_of(nowhere.read(std::chrono::milliseconds(2000))), 404);
}

// One exchange on a fresh connection.
std::string one_exchange(int port, const std::string& request) {
  Conn c(port);
  if (!c.send(request)) return "";
  return c.read(std::chrono::milliseconds(3000));
}

std::string detail_of(const std::string& response) {
  size_t body = response.find("\r\n\r\n");
  if (body == std::string::npos) return "";
  auto j = nlohmann::json::parse(response.substr(body + 4), nullptr, false);
  return j.is_object() ? j.value("detail", "") : "";
}

std::string put(const std::string& path, const std::string& body, const std::string& token = kSheriff) {
  return "PUT " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

// Issue 14, item 15: what strict input means, one case each.
TEST_F(ApiHardening, InputIsTakenExactlyAsWrittenOrRefused) {
  // A token followed by a NUL and junk is another token, not the first one.
  std::string nul_token = "GET /killswitch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kSheriff +
                          std::string(1, '\0') + "junk\r\nConnection: close\r\n\r\n";
  std::string answer = one_exchange(port_, nul_token);
  EXPECT_EQ(status_of(answer), 400) << answer;
  EXPECT_EQ(detail_of(answer), "header Authorization holds a control character");
  EXPECT_EQ(status_of(one_exchange(port_, kill_switch_request(kSheriff + " junk"))), 401);
  // Two NULs and longer junk, in the middle and as the last header.
  const std::string two_nuls(2, '\0');
  for (std::string rest :
       {two_nuls + "AAAAAAAAAAAAAAAAAAAA\r\nConnection: close\r\n\r\n", two_nuls + "AAAAAAAAAAAAAAAAAAAA\r\n\r\n"}) {
    answer = one_exchange(port_, "GET /killswitch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kSheriff + rest);
    EXPECT_EQ(status_of(answer), 400) << answer;
  }
  EXPECT_EQ(status_of(one_exchange(port_, kill_switch_request(kSheriff))), 200);

  // Two equal keys mean two things.
  answer = one_exchange(port_, put("/killswitch", R"({"on": false, "reason": "x", "on": true})"));
  EXPECT_EQ(status_of(answer), 400) << answer;
  EXPECT_EQ(detail_of(answer), "the body names 'on' twice");
  EXPECT_FALSE(*kill_switch_on(*store_));
  answer = one_exchange(port_, put("/killswitch", R"({"on": false, "reason": {"a": 1, "a": 2}})"));
  EXPECT_EQ(detail_of(answer), "the body names 'a' twice");

  // Names are written in lower case, exactly.
  Branch b;
  b.name = "try";
  b.repo_url = "/r/try";
  ASSERT_TRUE(store_->create_branch(b, "t").ok());
  answer = one_exchange(port_, put("/branches/try", R"({"status": "DISABLED"})"));
  EXPECT_EQ(status_of(answer), 400) << answer;
  EXPECT_EQ(detail_of(answer), "branch status 'DISABLED' is written 'disabled' (names are lower case)");
  EXPECT_EQ(store_->get_branch("try")->status, BranchStatus::enabled);

  // A body with no length: the token first, then a reason.
  answer = one_exchange(port_, "PUT /killswitch HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(answer), 401) << answer;
  answer = one_exchange(port_, "PUT /killswitch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kSheriff +
                                   "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(answer), 400) << answer;
  EXPECT_EQ(detail_of(answer), "a JSON object is expected in the body") << answer;
  answer = one_exchange(port_, "POST /bugs/5 HTTP/1.0\r\nAuthorization: Bearer " + kSheriff + "\r\n\r\n{}");
  EXPECT_NE(detail_of(answer), "") << answer;

  // A body framed some other way, or two ways at once.
  answer = one_exchange(port_, "PUT /killswitch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kSheriff +
                                   "\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n{}");
  EXPECT_EQ(detail_of(answer), "Transfer-Encoding 'gzip' is not supported (only chunked)") << answer;
  for (std::string framing : {"Transfer-Encoding: \r\nContent-Length: 2", "Content-Length: 2\r\nContent-Length: 3",
                              "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"}) {
    answer = one_exchange(port_, "PUT /killswitch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kSheriff + "\r\n" +
                                     framing + "\r\nConnection: close\r\n\r\n{}");
    EXPECT_EQ(status_of(answer), 400) << framing << ": " << answer;
  }
  answer = one_exchange(port_, "PUT /killswitch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kSheriff +
                                   "\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(answer), 400) << answer;

  // No text field takes 15,000 characters.
  answer = one_exchange(port_, put("/branches/try", R"({"default_try_syntax": ")" + std::string(15000, 'a') + "\"}"));
  EXPECT_EQ(status_of(answer), 400) << answer;
  EXPECT_EQ(detail_of(answer), "'default_try_syntax' is 15000 bytes, over the limit of 2000");
}

}  // namespace
}  // namespace autoland
