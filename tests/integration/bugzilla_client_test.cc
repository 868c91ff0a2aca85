// The Bugzilla client against the sandbox server over real HTTP.
#include "adapters/bugzilla/bugzilla_client.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "adapters/process/subprocess.h"
#include "sandbox/bugzilla/bugzilla_server.h"
#include "util/log.h"

namespace autoland {
namespace {

using nlohmann::json;

std::string seed() {
  std::string patch = "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n";
  return json{{"keywords", {"checkin-needed"}},
              {"users",
               {{{"email", "bot@example.org"}, {"real_name", "Bot"}, {"api_key", "bot-key"}, {"groups", {"editbugs"}}},
                {{"email", "dev@example.org"}, {"real_name", "Dana [:dana]"}, {"api_key", "dev-key"}}}},
              {"bugs",
               {{{"id", 1},
                 {"whiteboard", "[autoland-try]"},
                 {"whiteboard_set_by", "dev@example.org"},
                 {"attachments",
                  {{{"id", 10},
                    {"summary", "Part 1"},
                    {"data", patch},
                    {"flags", {{{"name", "review"}, {"status", "?"}, {"requestee", "bot@example.org"}}}}},
                   {{"id", 11}, {"summary", "log"}, {"data", "crash\n"}, {"is_patch", false}}}}},
                {{"id", 2}, {"whiteboard", "[autoland-try]"}, {"groups", {"secret"}}},
                {{"id", 3}, {"whiteboard", "nothing"}}}}}
      .dump();
}

class ClientAgainstSandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    util::set_log_level(util::LogLevel::off);
    sandbox::ServerOptions options;
    options.honor_header_key = false;  // upstream 5.2
    auto s = sandbox::BugzillaServer::start(seed(), options);
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(*s);
  }

  std::unique_ptr<BugzillaClient> client(bool key_in_query = true, std::string key = "bot-key", int attempts = 3) {
    BugzillaOptions o;
    o.base_url = server_->url() + "/";
    o.api_key = std::move(key);
    o.key_in_query = key_in_query;
    o.timeout_ms = 300;
    o.max_attempts = attempts;
    o.backoff_base = std::chrono::milliseconds(1);
    o.sleep = [](std::chrono::milliseconds) {};
    return std::make_unique<BugzillaClient>(o, make_curl_transport({}));
  }

  std::unique_ptr<sandbox::BugzillaServer> server_;
};

TEST_F(ClientAgainstSandbox, ReadsWhatTheTriggerNeeds) {
  auto c = client();
  auto found = c->search({.whiteboard_substring = "[autoland-"});
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_EQ(found->size(), 1u);  // bug 2 is private: silently left out
  EXPECT_EQ((*found)[0].whiteboard, "[autoland-try]");

  auto atts = c->attachments(1, true);
  ASSERT_TRUE(atts.ok());
  ASSERT_EQ(atts->size(), 2u);
  EXPECT_EQ(*(*atts)[0].data, "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n");
  EXPECT_EQ((*atts)[0].flags[0].requestee, "bot@example.org");
  EXPECT_FALSE((*atts)[1].is_patch);

  auto history = c->history(1);
  ASSERT_TRUE(history.ok());
  ASSERT_FALSE(history->empty());
  EXPECT_EQ((*history)[0].who, "dev@example.org");

  auto user = c->user("dev@example.org");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->real_name, "Dana [:dana]");
  EXPECT_EQ(c->user("nobody@example.org").error().kind, ErrorKind::not_found);
}

TEST_F(ClientAgainstSandbox, TypedErrors) {
  auto c = client();
  auto missing = c->get_bug(999);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
  EXPECT_EQ(missing.error().code, 101);
  auto hidden = c->get_bug(2);
  ASSERT_FALSE(hidden.ok());
  EXPECT_EQ(hidden.error().kind, ErrorKind::denied);
  EXPECT_EQ(hidden.error().code, 102);
  auto no_attachment = c->attachment(1, 999, false);
  ASSERT_FALSE(no_attachment.ok());
  EXPECT_EQ(no_attachment.error().kind, ErrorKind::not_found);
  auto foreign = c->attachment(3, 10, false);
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().message, "attachment 10 belongs to bug 1, not bug 3");
  auto bad_key = client(true, "wrong-key")->get_bug(1);
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.error().code, 306);
}

TEST_F(ClientAgainstSandbox, HeaderKeyIgnoredByUpstream52) {
  // Sent as a header, 5.2 never sees the key: the write is anonymous.
  auto c = client(/*key_in_query=*/false);
  auto r = c->post_comment(1, "hello");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 410);
  EXPECT_TRUE(server_->comments(1).empty());
  // In the query it works.
  auto ok = client(true)->post_comment(1, "hello");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_GT(*ok, 0);
  ASSERT_EQ(server_->comments(1).size(), 1u);
  EXPECT_EQ(server_->comments(1)[0].creator, "bot@example.org");
}

TEST_F(ClientAgainstSandbox, UpdatesWhiteboardAndKeywords) {
  auto c = client();
  BugUpdate u;
  u.whiteboard = "[autoland-in-queue]";
  u.add_keywords = {"checkin-needed"};
  auto r = c->update_bug(1, u);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->whiteboard.has_value());
  EXPECT_EQ(r->whiteboard->removed, "[autoland-try]");
  EXPECT_EQ(server_->whiteboard(1), "[autoland-in-queue]");
  EXPECT_EQ(server_->keywords(1), std::vector<std::string>{"checkin-needed"});
  BugUpdate bad;
  bad.add_keywords = {"no-such-keyword"};
  auto refused = c->update_bug(1, bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, 51);
  auto not_allowed = client(true, "dev-key")->update_bug(1, u);
  ASSERT_FALSE(not_allowed.ok());
  EXPECT_EQ(not_allowed.error().code, 115);
}

TEST_F(ClientAgainstSandbox, RetriesServerErrorsButNot4xx) {
  sandbox::FaultPlan always_500;
  always_500.error_rate = 1.0;
  always_500.after_share = 0;
  server_->set_faults(always_500);
  auto c = client(true, "bot-key", 3);
  auto r = c->get_bug(1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::transient);
  EXPECT_EQ(c->stats().requests, 3u);
  EXPECT_EQ(c->stats().retries, 2u);
  server_->set_faults({});
  auto missing = c->get_bug(999);
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(c->stats().requests, 4u);  // one try: 404 is final
}

TEST_F(ClientAgainstSandbox, APostThatMayHaveArrivedIsNotResent) {
  sandbox::FaultPlan processed_then_500;
  processed_then_500.error_rate = 1.0;
  processed_then_500.after_share = 1.0;  // the comment is stored, the answer is an error
  server_->set_faults(processed_then_500);
  auto c = client(true, "bot-key", 4);
  auto r = c->post_comment(1, "only once");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::transient);
  EXPECT_EQ(c->stats().requests, 1u);
  server_->set_faults({});
  EXPECT_EQ(server_->comments(1).size(), 1u);
}

TEST_F(ClientAgainstSandbox, TheKeyNeverAppearsInErrors) {
  server_->set_faults({.error_rate = 1.0, .after_share = 0});
  auto r = client(true, "bot-key", 1)->get_bug(1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("bot-key"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("api_key=REDACTED"), std::string::npos) << r.error().message;
}

TEST(BugzillaRedaction, KeysThatOccurInsideTheReplacementTerminate) {
  for (std::string key : {"E", "RED", "REDACTED", "a b&c"}) {
    BugzillaOptions o;
    o.base_url = "http://x";
    o.api_key = key;
    BugzillaClient c(o, make_curl_transport({}));
    std::string shown = c.redact("http://x/rest/bug?api_key=" + url_encode(key) + "&q=" + url_encode(key));
    EXPECT_EQ(shown, "http://x/rest/bug?api_key=REDACTED&q=REDACTED") << key;
  }
}

// TLS verification is on: a self-signed server is refused until its
// certificate is given as the CA file.
TEST(BugzillaTls, VerifiesTheServerCertificate) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(::testing::TempDir()) / ("bz-tls-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  auto made =
      run_program({.argv = {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                            "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"}});
  ASSERT_TRUE(made.ok());
  ASSERT_EQ(made->exit_code, 0) << made->err;
  sandbox::ServerOptions options;
  options.tls_cert = cert;
  options.tls_key = key;
  auto server = sandbox::BugzillaServer::start(seed(), options);
  ASSERT_TRUE(server.ok()) << server.error().message;
  ASSERT_EQ((*server)->url().rfind("https://", 0), 0u);
  BugzillaOptions o;
  o.base_url = (*server)->url();
  o.api_key = "bot-key";
  o.key_in_query = true;
  o.max_attempts = 3;
  o.sleep = [](std::chrono::milliseconds) {};
  BugzillaClient untrusting(o, make_curl_transport({}));
  auto refused = untrusting.get_bug(1);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::denied);
  EXPECT_NE(refused.error().message.find("TLS"), std::string::npos) << refused.error().message;
  EXPECT_EQ(untrusting.stats().requests, 1u);  // not retried
  BugzillaClient trusting(o, make_curl_transport({.ca_file = cert}));
  auto ok = trusting.get_bug(1);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->whiteboard, "[autoland-try]");
  server->reset();
  fs::remove_all(dir);
}

TEST_F(ClientAgainstSandbox, ConnectionRefusedIsTransient) {
  std::string url = server_->url();
  server_.reset();
  BugzillaOptions o;
  o.base_url = url;
  o.max_attempts = 2;
  o.sleep = [](std::chrono::milliseconds) {};
  BugzillaClient c(o, make_curl_transport({}));
  auto r = c.post_comment(1, "x");  // never arrived: safe to resend
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::transient);
  EXPECT_EQ(c.stats().requests, 2u);
}

}  // namespace
}  // namespace autoland
