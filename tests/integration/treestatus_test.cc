// The Treestatus client against a fake Treestatus server over real HTTP (no
// Treestatus runs here; the fake answers in its documented shape), and the
// queue holding landings by it.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "adapters/treestatus/treestatus_client.h"

namespace autoland {
namespace {

class FakeTreestatus : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get(R"(/trees/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      ++hits_;
      std::string tree = req.matches[1];
      if (tree == "broken") {
        res.status = 500;
        res.set_content("<html>oops</html>", "text/html");
        return;
      }
      if (tree == "nonsense") {
        res.set_content(R"({"result": {"status": "ajar", "reason": ""}})", "application/json");
        return;
      }
      res.set_content(
          R"({"result": {"tree": ")" + tree + R"(", "status": ")" + status() + R"(", "reason": "bustage"}})",
          "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Bound and listening: connections wait in the backlog until accepted.
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  TreeStatusClient client(int cache_seconds) {
    return TreeStatusClient({"http://127.0.0.1:" + std::to_string(port_), 2000, cache_seconds},
                            make_curl_transport({}));
  }
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> hits_{0};
  std::mutex mu_;
  std::string status_ = "closed";  // guarded by mu_ (the server thread reads it)
  std::string status() {
    std::lock_guard lock(mu_);
    return status_;
  }
  void set_status(const std::string& s) {
    std::lock_guard lock(mu_);
    status_ = s;
  }
};

TEST_F(FakeTreestatus, StatusesAreReadAndCachedAndTroubleIsNeverOpen) {
  TreeStatusClient trees = client(60);
  auto closed = trees.status("mozilla-central");
  ASSERT_TRUE(closed.ok()) << closed.error().message;
  EXPECT_EQ(closed->status, TreeStatus::closed);
  EXPECT_EQ(closed->reason, "bustage");
  set_status("open");
  EXPECT_EQ(trees.status("mozilla-central")->status, TreeStatus::closed);  // cached
  EXPECT_EQ(hits_, 1);
  TreeStatusClient fresh = client(0);
  EXPECT_EQ(fresh.status("mozilla-central")->status, TreeStatus::open);
  set_status("approval required");
  EXPECT_EQ(fresh.status("mozilla-central")->status, TreeStatus::approval_required);
  for (std::string tree : {"broken", "nonsense"}) {
    auto bad = fresh.status(tree);
    ASSERT_FALSE(bad.ok()) << tree;
    EXPECT_EQ(bad.error().kind, ErrorKind::transient) << tree;
  }
  TreeStatusClient down({"http://127.0.0.1:1", 1000, 60}, make_curl_transport({}));
  auto unreachable = down.status("mozilla-central");
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.error().kind, ErrorKind::transient);
}

}  // namespace
}  // namespace autoland
