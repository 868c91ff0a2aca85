// The REST API over real HTTP: every route's happy path, 401/403, bad input
// (400/404/409/413) with the store unchanged, health and metrics. The store
// is SQLite; Bugzilla is the sandbox server.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/bugzilla/bugzilla_client.h"
#include "api/api_server.h"
#include "app/store_factory.h"
#include "core/landing_policy.h"
#include "sandbox/bugzilla/bugzilla_server.h"
#include "services/queue/sheriff.h"
#include "services/transitions.h"
#include "tests/support/test_support.h"
#include "util/log.h"

namespace autoland {
namespace {

using nlohmann::json;

const std::string kSheriff = "sheriff-token-0123456789";
const std::string kReader = "reader-token-0123456789";

std::string patch(const std::string& file) {
  return "# HG changeset patch\n# User Dana <dev@example.org>\nBug 5 - add " + file + " r=rita\n\ndiff --git a/" +
         file + " b/" + file + "\nnew file mode 100644\n--- /dev/null\n+++ b/" + file + "\n@@ -0,0 +1,1 @@\n+x\n";
}

class Api : public ::testing::Test {
 protected:
  void SetUp() override {
    util::set_log_level(util::LogLevel::off);
    json seed = {{"users", {{{"email", "bot@example.org"}, {"api_key", "k"}, {"groups", {"editbugs"}}}}},
                 {"bugs",
                  {{{"id", 5},
                    {"attachments",
                     {{{"id", 51},
                       {"summary", "a"},
                       {"data", patch("a.txt")},
                       {"is_patch", true},
                       {"creator", "dev@example.org"}},
                      {{"id", 52},
                       {"summary", "b"},
                       {"data", patch("b.txt")},
                       {"is_patch", true},
                       {"creator", "dev@example.org"}},
                      {{"id", 53},
                       {"summary", "old"},
                       {"data", patch("c.txt")},
                       {"is_patch", true},
                       {"is_obsolete", true},
                       {"creator", "dev@example.org"}},
                      {{"id", 54},
                       {"summary", "notes"},
                       {"data", "just words"},
                       {"is_patch", false},
                       {"creator", "dev@example.org"}},
                      // A diff not marked as a patch: the trigger never took one, nor does the API.
                      {{"id", 55},
                       {"summary", "d.diff"},
                       {"data", patch("d.txt")},
                       {"is_patch", false},
                       {"creator", "dev@example.org"}}}}}}}};
    auto server = sandbox::BugzillaServer::start(seed.dump(), {});
    ASSERT_TRUE(server.ok());
    bugzilla_ = std::move(*server);
    bugs_ = make_bugzilla_client(bugzilla_->url(), "k", "query", "", 10);
    auto store = open_store("sqlite://:memory:", clock_);
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    Branch t;
    t.name = "try";
    t.repo_url = "/r/try";
    t.required_level = 1;
    t.threshold = 4;
    ASSERT_TRUE(store_->create_branch(t, "t").ok());
    Branch c;
    c.name = "central";
    c.repo_url = "/r/central";
    c.pretest_branch = "try";
    ASSERT_TRUE(store_->create_branch(c, "t").ok());
    start({});
  }

  void start(api::ApiOptions o) {
    server_.reset();
    o.tokens = {{"alice", api::Role::sheriff, api::sha256_hex(kSheriff)},
                {"rob", api::Role::reader, api::sha256_hex(kReader)}};
    o.bugs = bugs_.get();
    o.http.max_body_bytes = 4096;
    server_ = std::make_unique<api::ApiServer>(*store_, clock_, o);
    ASSERT_TRUE(server_->start("127.0.0.1", 0).ok());
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  struct Reply {
    int status = 0;
    json body;
    std::string text;
  };
  Reply call_raw(const std::string& method, const std::string& path, const std::string& body,
                 const std::string& token = kSheriff) {
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    httplib::Result r = method == "GET"    ? http_->Get(path.c_str(), h)
                        : method == "POST" ? http_->Post(path.c_str(), h, body, "application/json")
                        : method == "PUT"  ? http_->Put(path.c_str(), h, body, "application/json")
                                           : http_->Delete(path.c_str(), h);
    Reply out;
    if (!r) {
      ADD_FAILURE() << method << " " << path << ": no answer";
      return out;
    }
    out.status = r->status;
    out.text = r->body;
    out.body = json::parse(r->body, nullptr, false);
    return out;
  }
  // `body` null: none; a string: the token for a GET (read calls pass "" or a token).
  Reply call(const std::string& method, const std::string& path, const json& body = nullptr,
             const std::string& token = kSheriff) {
    if (body.is_string()) return call_raw(method, path, "", body.get<std::string>());
    return call_raw(method, path, body.is_null() ? "" : body.dump(), token);
  }

  // What a refused write must leave alone.
  std::string snapshot() {
    json j;
    auto branches = store_->list_branches();
    for (const Branch& b : *branches) j["branches"].push_back(to_json_string(b));
    auto patchsets = store_->find_patchsets({});
    for (const PatchSet& p : *patchsets)
      j["patchsets"].push_back(std::to_string(p.id) + "/" + std::to_string(p.version));
    j["events"] = store_->list_events({})->size();
    j["kill"] = *kill_switch_on(*store_);
    return j.dump();
  }
  static std::string to_json_string(const Branch& b) {
    return b.name + "/" + b.repo_url + "/" + std::to_string(b.threshold) + "/" + std::string(to_string(b.status)) +
           "/" + std::string(to_string(b.tree));
  }

  PatchSet queued(BugId bug, std::vector<AttachmentId> patches, const std::string& branch = "try", int priority = 0) {
    auto ps = store_->create_patchset({.bug_id = bug,
                                       .patches = patches,
                                       .branch = branch,
                                       .stage = Stage::try_run,
                                       .requester = "dev@example.org",
                                       .priority = priority,
                                       .request_key = "k" + std::to_string(++keys_)},
                                      "t");
    EXPECT_TRUE(ps.ok());
    return *ps;
  }

  ManualClock clock_{1'700'000'000};
  std::unique_ptr<sandbox::BugzillaServer> bugzilla_;
  std::unique_ptr<BugzillaClient> bugs_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<api::ApiServer> server_;
  std::unique_ptr<httplib::Client> http_;
  int keys_ = 0;
};

TEST_F(Api, TokensDecideWhoMayReadAndWrite) {
  EXPECT_EQ(call("GET", "/queue", json("")).status, 401);
  Reply unknown = call("GET", "/queue", json("not-a-token"));
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.body["error"], "unauthorized");
  EXPECT_EQ(unknown.text.find("not-a-token"), std::string::npos);  // a token is never echoed
  EXPECT_EQ(call("GET", "/queue", json(kReader)).status, 200);
  std::string before = snapshot();
  Reply reader_write = call_raw("PUT", "/killswitch", json{{"on", true}}.dump(), kReader);
  EXPECT_EQ(reader_write.status, 403);
  EXPECT_NE(reader_write.body["detail"].get<std::string>().find("reader"), std::string::npos);
  EXPECT_EQ(call_raw("PUT", "/killswitch", json{{"on", true}}.dump(), "").status, 401);
  EXPECT_EQ(snapshot(), before);
  // The sheriff's write goes in the audit log with the token's name.
  EXPECT_EQ(call("PUT", "/killswitch", json{{"on", true}, {"reason", "bad merge"}}).status, 200);
  auto events = *store_->list_events({});
  EXPECT_EQ(events.back().actor.rfind("user:alice", 0), 0u) << events.back().actor;
  // Open reads: GETs without a token, writes still need one.
  api::ApiOptions open;
  open.open_reads = true;
  start(open);
  EXPECT_EQ(call("GET", "/queue", json("")).status, 200);
  EXPECT_EQ(call_raw("PUT", "/killswitch", json{{"on", false}}.dump(), "").status, 401);
}

TEST_F(Api, EveryRouteRefusesAMissingTokenAndEveryWriteAReader) {
  PatchSet ps = queued(5, {51});
  const std::string id = std::to_string(ps.id);
  struct Route {
    std::string method, path;
    json body;
  };
  const std::vector<Route> reads = {{"GET", "/bugs/5", nullptr},     {"GET", "/patchSets/" + id, nullptr},
                                    {"GET", "/branches", nullptr},   {"GET", "/branches/try", nullptr},
                                    {"GET", "/queue", nullptr},      {"GET", "/killswitch", nullptr},
                                    {"GET", "/components", nullptr}, {"GET", "/events", nullptr},
                                    {"GET", "/health", nullptr},     {"GET", "/metrics", nullptr}};
  const std::vector<Route> writes = {
      {"POST", "/bugs/5", json{{"branch", "try"}, {"patches", {51}}, {"requester", "dev@example.org"}}},
      {"POST", "/branches/beta", json{{"repo_url", "/r/beta"}}},
      {"PUT", "/patchSets/" + id + "/52", nullptr},
      {"PUT", "/branches/try", json{{"threshold", 3}}},
      {"PUT", "/branches/try/threshold", json{{"threshold", 3}}},
      {"PUT", "/branches/try/status", json{{"status", "disabled"}}},
      {"PUT", "/branches/try/tree", json{{"status", "closed"}}},
      {"DELETE", "/patchSets/" + id, nullptr},
      {"DELETE", "/branches/central", nullptr},
      {"PUT", "/killswitch", json{{"on", true}}},
      {"PUT", "/components/queue", json{{"on", false}}},
      {"PUT", "/patchSets/" + id + "/priority", json{{"priority", 3}}},
      {"POST", "/patchSets/" + id + "/force", nullptr},
      {"POST", "/patchSets/" + id + "/cancel", nullptr},
      {"POST", "/patchSets/" + id + "/retry", nullptr},
      {"POST", "/patchSets/" + id + "/backout", nullptr}};
  const std::string before = snapshot();
  for (const Route& r : reads) {
    EXPECT_EQ(call_raw(r.method, r.path, "", "").status, 401) << r.method << " " << r.path;
    EXPECT_EQ(call_raw(r.method, r.path, "", "wrong").status, 401) << r.method << " " << r.path;
    EXPECT_EQ(call_raw(r.method, r.path, "", kReader).status, 200) << r.method << " " << r.path;
  }
  for (const Route& r : writes) {
    std::string body = r.body.is_null() ? "" : r.body.dump();
    Reply anonymous = call_raw(r.method, r.path, body, "");
    EXPECT_EQ(anonymous.status, 401) << r.method << " " << r.path;
    EXPECT_EQ(anonymous.body["error"], "unauthorized");
    Reply reader = call_raw(r.method, r.path, body, kReader);
    EXPECT_EQ(reader.status, 403) << r.method << " " << r.path;
    EXPECT_EQ(reader.body["error"], "forbidden");
  }
  EXPECT_EQ(snapshot(), before);
}

TEST_F(Api, KillSwitchAndComponents) {
  EXPECT_EQ(call("GET", "/killswitch").body["on"], false);
  EXPECT_EQ(call("PUT", "/killswitch", json{{"on", "on"}}).status, 200);
  EXPECT_EQ(call("GET", "/killswitch").body["on"], true);
  EXPECT_TRUE(*kill_switch_on(*store_));
  std::string before = snapshot();
  EXPECT_EQ(call("PUT", "/killswitch", json{{"on", "maybe"}}).status, 400);
  EXPECT_EQ(call("PUT", "/killswitch", json{{"on", true}, {"extra", 1}}).status, 400);
  EXPECT_EQ(call_raw("PUT", "/killswitch", "{not json").status, 400);
  EXPECT_EQ(call_raw("PUT", "/killswitch", "[true]").status, 400);
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(call("PUT", "/components/pusher", json{{"on", false}}).status, 200);
  EXPECT_FALSE(*component_on(*store_, "pusher"));
  EXPECT_EQ(call("GET", "/components").body["pusher"], false);
  Reply unknown = call("PUT", "/components/nosuch", json{{"on", false}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body["detail"].get<std::string>().find("unknown component"), std::string::npos);
}

TEST_F(Api, BranchesAreCreatedChangedAndDeleted) {
  Reply made =
      call("POST", "/branches/beta", json{{"repo_url", "/r/beta"}, {"threshold", 2}, {"pretest_branch", "try"}});
  ASSERT_EQ(made.status, 201) << made.text;
  EXPECT_EQ(made.body["threshold"], 2);
  EXPECT_EQ(call("GET", "/branches/beta").body["repo_url"], "/r/beta");
  EXPECT_EQ(call("GET", "/branches").body["branches"].size(), 3u);
  std::string before = snapshot();
  EXPECT_EQ(call("POST", "/branches/beta", json{{"repo_url", "/r/beta"}}).status, 409);
  EXPECT_EQ(call("POST", "/branches/gamma", json{{"threshold", 2}}).status, 400);  // no repo_url
  EXPECT_EQ(call("POST", "/branches/gamma", json{{"repo_url", "/r/g"}, {"pretest_branch", "nosuch"}}).status, 400);
  EXPECT_EQ(call("POST", "/branches/gamma", json{{"repo_url", "/r/g"}, {"threshold", "two"}}).status, 400);
  EXPECT_EQ(call("POST", "/branches/gamma", json{{"repo_url", "/r/g"}, {"colour", "red"}}).status, 400);
  EXPECT_EQ(call("PUT", "/branches/beta", json{{"required_level", 7}}).status, 400);
  EXPECT_EQ(call("PUT", "/branches/nosuch", json{{"threshold", 1}}).status, 404);
  EXPECT_EQ(call("GET", "/branches/nosuch").status, 404);
  EXPECT_EQ(snapshot(), before);

  EXPECT_EQ(call("PUT", "/branches/beta", json{{"default_try_syntax", "try: -b o -p all"}}).body["default_try_syntax"],
            "try: -b o -p all");
  EXPECT_EQ(call("PUT", "/branches/beta/threshold", json{{"threshold", 5}}).body["threshold"], 5);
  EXPECT_EQ(call("PUT", "/branches/beta/status", json{{"status", "disabled"}}).body["status"], "disabled");
  EXPECT_EQ(call("PUT", "/branches/beta/status", json{{"status", "sideways"}}).status, 400);
  Reply tree = call("PUT", "/branches/beta/tree", json{{"status", "closed"}, {"reason", "infra"}});
  EXPECT_EQ(tree.body["tree"], "closed");
  EXPECT_EQ(store_->get_branch("beta")->tree_reason, "infra");

  // A branch with a patchset in flight stays.
  PatchSet ps = queued(5, {51}, "central");
  EXPECT_EQ(call("DELETE", "/branches/central").status, 409);
  EXPECT_TRUE(store_->get_branch("central").ok());
  EXPECT_EQ(call("DELETE", "/branches/beta").status, 200);
  EXPECT_EQ(store_->get_branch("beta").error().kind, ErrorKind::not_found);
  EXPECT_EQ(call("DELETE", "/branches/beta").status, 404);
  (void)ps;
}

TEST_F(Api, ABranchInUseKeepsItsRemoteAndAPretestBranchMustBeTry) {
  PatchSet live = queued(5, {51}, "central");
  std::string before = snapshot();
  Reply moved = call("PUT", "/branches/central", json{{"repo_url", "/r/elsewhere"}});
  EXPECT_EQ(moved.status, 409) << moved.text;
  EXPECT_EQ(call("PUT", "/branches/try", json{{"repo_url", "/r/try2"}}).status, 409);  // central's try run is on it
  EXPECT_EQ(call("POST", "/branches/beta", json{{"repo_url", "/r/b"}, {"pretest_branch", "central"}}).status, 400);
  EXPECT_EQ(call("PUT", "/branches/central", json{{"threshold", 18446744073709551611ull}}).status, 400);
  EXPECT_EQ(snapshot(), before);
  // Other fields change, and only those: the tree a sheriff closed stays closed.
  ASSERT_EQ(call("PUT", "/branches/central/tree", json{{"status", "closed"}, {"reason", "bustage"}}).status, 200);
  Reply changed = call("PUT", "/branches/central", json{{"threshold", 3}});
  EXPECT_EQ(changed.status, 200) << changed.text;
  EXPECT_EQ(changed.body["tree"], "closed");
  EXPECT_EQ(changed.body["threshold"], 3);
  // Once nothing is in flight the remote may move.
  ASSERT_TRUE(cancel_patchset(*store_, clock_, live.id, "user:t", "").ok());
  EXPECT_EQ(call("PUT", "/branches/central", json{{"repo_url", "/r/elsewhere"}}).body["repo_url"], "/r/elsewhere");
}

TEST_F(Api, ReasonsThatAreNotUtf8AreReadable) {
  PatchSet ps = queued(5, {51});
  StepRequest r;
  r.event = Event::cancel;
  r.actor = "t";
  r.reason = std::string("hg said \xff\xfe");
  ASSERT_TRUE(advance(*store_, clock_, ps, r).ok());
  Reply got = call("GET", "/patchSets/" + std::to_string(ps.id), json(kReader));
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(call("GET", "/events", json(kReader)).status, 200);
}

TEST_F(Api, ARequestIsCheckedLikeATagBeforeItIsQueued) {
  Reply made =
      call("POST", "/bugs/5", json{{"branch", "central"}, {"patches", {51, 52}}, {"requester", "dev@example.org"}});
  ASSERT_EQ(made.status, 201) << made.text;
  EXPECT_EQ(made.body["state"], "queued");
  EXPECT_EQ(made.body["stage"], "try");
  EXPECT_EQ(made.body["patches"], json({51, 52}));
  EXPECT_EQ(made.body["author"], "Dana <dev@example.org>");  // the header's, as for a tag

  std::string before = snapshot();
  auto refused = [&](const json& body, int status, const std::string& says) {
    Reply r = call("POST", "/bugs/5", body);
    EXPECT_EQ(r.status, status) << body.dump() << " -> " << r.text;
    EXPECT_NE(r.body["detail"].get<std::string>().find(says), std::string::npos) << r.text;
  };
  json ok = {{"branch", "try"}, {"patches", {51}}, {"requester", "dev@example.org"}};
  refused(json{{"branch", "try"}, {"patches", {99}}, {"requester", "dev@example.org"}}, 400, "not on bug 5");
  refused(json{{"branch", "try"}, {"patches", {53}}, {"requester", "dev@example.org"}}, 400, "obsolete");
  refused(json{{"branch", "try"}, {"patches", {54}}, {"requester", "dev@example.org"}}, 400, "not a patch");
  refused(json{{"branch", "try"}, {"patches", {55}}, {"requester", "dev@example.org"}}, 400,
          "attachment 55 is not a patch (mark it as a patch");
  refused(json{{"branch", "try"}, {"patches", json::array()}, {"requester", "dev@example.org"}}, 400, "patches");
  refused(json{{"branch", "try"}, {"patches", {51, 51}}, {"requester", "dev@example.org"}}, 400, "twice");
  refused(json{{"branch", "nosuch"}, {"patches", {51}}, {"requester", "dev@example.org"}}, 400,
          "unknown branch 'nosuch' (known: central, try)");
  refused(json{{"branch", "try"}, {"patches", {51}}, {"requester", "dana"}}, 400, "Bugzilla email");
  refused(json{{"branch", "try"}, {"patches", {51}}, {"requester", "d@x.org"}, {"try_syntax", "try: -q"}}, 400,
          "try_syntax");
  refused(json{{"branch", 3}, {"patches", {51}}, {"requester", "d@x.org"}}, 400, "must be a string");
  refused(json{{"branch", "try"}, {"patches", {51}}, {"requester", "d@x.org"}, {"when", "now"}}, 400, "unknown field");
  EXPECT_EQ(call("POST", "/bugs/77", ok).status, 404);  // no such bug on Bugzilla
  EXPECT_EQ(call("POST", "/bugs/abc", ok).status, 400);
  Reply big = call_raw("POST", "/bugs/5", std::string(8000, ' '));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.body["error"], "payload too large");
  EXPECT_EQ(snapshot(), before);

  // A retried POST with the same request_id finds the first one.
  json with_id = {{"branch", "try"}, {"patches", {52}}, {"requester", "dev@example.org"}, {"request_id", "r-1"}};
  Reply first = call("POST", "/bugs/5", with_id);
  Reply second = call("POST", "/bugs/5", with_id);
  EXPECT_EQ(first.status, 201);
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(first.body["id"], second.body["id"]);
  // ... even once the branch is disabled.
  ASSERT_TRUE(set_branch_enabled(*store_, "try", false, "user:t").ok());
  EXPECT_EQ(call("POST", "/bugs/5", with_id).status, 200);
  ASSERT_TRUE(set_branch_enabled(*store_, "try", true, "user:t").ok());

  Reply listed = call("GET", "/bugs/5", json(kReader));
  EXPECT_EQ(listed.body["patchSets"].size(), 2u);
  EXPECT_EQ(call("GET", "/patchSets/" + std::to_string(made.body["id"].get<int64_t>()), json(kReader)).body["branch"],
            "central");
  EXPECT_EQ(call("GET", "/patchSets/999").status, 404);
  EXPECT_EQ(call("GET", "/patchSets/-1").status, 400);
}

TEST_F(Api, PatchesAreAddedWhileQueuedAndPatchsetsDeletedWhenIdle) {
  PatchSet ps = queued(5, {51});
  std::string path = "/patchSets/" + std::to_string(ps.id);
  Reply added = call("PUT", path + "/52");
  ASSERT_EQ(added.status, 200) << added.text;
  EXPECT_EQ(added.body["patches"], json({51, 52}));
  EXPECT_EQ(call("PUT", path + "/54").status, 400);  // not a patch
  Reply unmarked = call("PUT", path + "/55");
  EXPECT_EQ(unmarked.status, 400);  // a diff, but not marked as a patch
  EXPECT_NE(unmarked.body["detail"].get<std::string>().find("attachment 55 is not a patch"), std::string::npos)
      << unmarked.text;
  EXPECT_EQ(call("PUT", path + "/53").status, 400);  // obsolete
  EXPECT_EQ(call("PUT", path + "/99").status, 400);  // not on the bug
  EXPECT_EQ(call("PUT", "/patchSets/999/51").status, 404);
  // Being processed: no more patches, no delete.
  PatchSet pushing = testing::testing_patchset(*store_, clock_,
                                               {.bug_id = 5,
                                                .patches = {51},
                                                .branch = "try",
                                                .stage = Stage::try_run,
                                                .requester = "dev@example.org",
                                                .request_key = "busy"},
                                               std::string(40, 'a'));
  std::string before = snapshot();
  EXPECT_EQ(call("PUT", "/patchSets/" + std::to_string(pushing.id) + "/52").status, 409);
  EXPECT_EQ(call("DELETE", "/patchSets/" + std::to_string(pushing.id)).status, 409);
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(call("DELETE", path).status, 200);
  EXPECT_EQ(store_->get_patchset(ps.id).error().kind, ErrorKind::not_found);
}

TEST_F(Api, SheriffActionsGoThroughTheLifecycle) {
  PatchSet ps = queued(5, {51});
  std::string path = "/patchSets/" + std::to_string(ps.id);
  EXPECT_EQ(call("PUT", path + "/priority", json{{"priority", 10}}).body["priority"], 10);
  EXPECT_EQ(call("PUT", path + "/priority", json{{"priority", "high"}}).status, 400);
  std::string before = snapshot();
  Reply force = call("POST", path + "/force", json{{"reason", "trust me"}});
  EXPECT_EQ(force.status, 409) << force.text;  // nothing to force while queued
  EXPECT_EQ(call("POST", path + "/backout").status, 409);
  EXPECT_EQ(call("POST", path + "/cancel", json{{"oops", 1}}).status, 400);
  EXPECT_EQ(snapshot(), before);
  Reply cancelled = call("POST", path + "/cancel", json{{"reason", "wrong patch"}});
  EXPECT_EQ(cancelled.status, 200) << cancelled.text;
  EXPECT_EQ(cancelled.body["state"], "cancelled");
  Reply retried = call("POST", path + "/retry");
  EXPECT_EQ(retried.body["state"], "queued");
  // The audit trail of this patchset, for a sheriff.
  Reply events = call("GET", "/events?patchset=" + std::to_string(ps.id), json(kReader));
  ASSERT_EQ(events.status, 200);
  std::vector<std::string> actors;
  for (const json& e : events.body["events"]) actors.push_back(e["actor"]);
  EXPECT_EQ(std::count(actors.begin(), actors.end(), "user:alice"), 3);  // priority, cancel, retry
  EXPECT_EQ(call("GET", "/events?since=abc").status, 400);
}

TEST_F(Api, ForceAndBackoutWhereTheLifecycleAllowsThem) {
  // A try run under test, forced green despite its jobs.
  PatchSet tried = testing::testing_patchset(*store_, clock_,
                                             {.bug_id = 5,
                                              .patches = {51},
                                              .branch = "try",
                                              .stage = Stage::try_run,
                                              .requester = "dev@example.org",
                                              .request_key = "forced"},
                                             std::string(40, 'c'));
  Reply forced =
      call("POST", "/patchSets/" + std::to_string(tried.id) + "/force", json{{"reason", "known intermittent"}});
  ASSERT_EQ(forced.status, 200) << forced.text;
  EXPECT_EQ(forced.body["state"], "reported");
  auto comments = *store_->comments_for(tried.id);
  ASSERT_FALSE(comments.empty());
  EXPECT_EQ(comments[0].kind, "forced");
  EXPECT_NE(comments[0].body.find("user:alice"), std::string::npos) << comments[0].body;
  // A landing under test on trunk, backed out by a sheriff.
  PatchSet landing = testing::testing_patchset(*store_, clock_,
                                               {.bug_id = 5,
                                                .patches = {52},
                                                .branch = "central",
                                                .stage = Stage::landing,
                                                .requester = "dev@example.org",
                                                .request_key = "landing"},
                                               std::string(40, 'd'));
  Reply backout = call("POST", "/patchSets/" + std::to_string(landing.id) + "/backout", json{{"reason", "perf"}});
  ASSERT_EQ(backout.status, 200) << backout.text;
  EXPECT_EQ(backout.body["state"], "backing_out");
}

TEST_F(Api, TheQueueShowsEachBranchInTheOrderItIsTaken) {
  PatchSet old_low = queued(5, {51}, "try", 0);
  clock_.advance(10);
  PatchSet new_high = queued(5, {52}, "try", 5);
  clock_.advance(10);
  PatchSet busy = testing::testing_patchset(*store_, clock_,
                                            {.bug_id = 5,
                                             .patches = {51},
                                             .branch = "central",
                                             .stage = Stage::try_run,
                                             .requester = "dev@example.org",
                                             .request_key = "busy"},
                                            std::string(40, 'b'));
  for (PatchSet* p : {&old_low, &new_high}) {
    for (Event e : {Event::start_validation, Event::validated}) {
      StepRequest r;
      r.event = e;
      r.actor = "queue";
      *p = advance(*store_, clock_, *p, r)->patchset;
    }
  }
  // The queue's last pass left why each waits (a stale line for one that
  // moved on since is not shown).
  ASSERT_TRUE(
      store_
          ->set_cursor(std::string(kHoldsSetting),
                       encode_holds({{old_low.id, false, "try is busy: 501 jobs wait there", HoldCode::try_busy},
                                     {busy.id, false, "stale", HoldCode::threshold}}))
          .ok());
  Reply q = call("GET", "/queue", json(kReader));
  ASSERT_EQ(q.status, 200);
  EXPECT_EQ(q.body["killswitch"], "off");
  json try_branch;
  for (const json& b : q.body["branches"]) {
    if (b["branch"] == "try") try_branch = b;
  }
  ASSERT_EQ(try_branch["patchSets"].size(), 3u);
  // In flight first (central's try run counts on try), then by priority, then age.
  EXPECT_EQ(try_branch["patchSets"][0]["id"], busy.id);
  EXPECT_EQ(try_branch["patchSets"][0]["destination"], "central");
  EXPECT_EQ(try_branch["patchSets"][1]["id"], new_high.id);
  EXPECT_EQ(try_branch["patchSets"][2]["id"], old_low.id);
  EXPECT_EQ(try_branch["patchSets"][2]["age_seconds"], 20);
  EXPECT_EQ(try_branch["patchSets"][2]["hold"]["code"], "try_busy");
  EXPECT_EQ(try_branch["patchSets"][2]["hold"]["reason"], "try is busy: 501 jobs wait there");
  EXPECT_FALSE(try_branch["patchSets"][0].contains("hold"));
  EXPECT_FALSE(try_branch["patchSets"][1].contains("hold"));
  EXPECT_EQ(try_branch["in_flight"], 1);
}

TEST_F(Api, HealthNamesWhatIsDown) {
  api::ApiOptions o;
  std::atomic<bool> tree_ok{true};  // read on the server's thread
  o.health = {{"store", [] { return Status{}; }},
              {"tree_status", [&tree_ok]() -> Status {
                 if (tree_ok) return {};
                 return transient("the status of the central tree cannot be read (timeout): its landings are held");
               }}};
  o.health_cache_seconds = 0;
  start(o);
  Reply up = call("GET", "/health", json(kReader));
  EXPECT_EQ(up.status, 200);
  EXPECT_EQ(up.body["status"], "ok");
  tree_ok = false;
  Reply down = call("GET", "/health", json(kReader));
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(down.body["status"], "degraded");
  EXPECT_EQ(down.body["checks"]["store"]["ok"], true);
  EXPECT_EQ(down.body["checks"]["tree_status"]["ok"], false);
  EXPECT_NE(down.body["checks"]["tree_status"]["detail"].get<std::string>().find("landings are held"),
            std::string::npos);
}

// Who runs where, as /workers, /health and /metrics tell it: a worker heard
// from within workers.failover_seconds is alive; what it leads and claims.
TEST_F(Api, WorkersAreListedWithTheirHeartbeatsLeadershipAndClaims) {
  api::ApiOptions o;
  o.worker_failover_seconds = 20;
  o.health_cache_seconds = 0;
  start(o);
  ASSERT_TRUE(store_->heartbeat({"old/1/1", "host-old", "trigger", 1, clock_.now(), 0, "created 1"}).ok());
  clock_.advance(30);
  ASSERT_TRUE(store_->heartbeat({"new/2/1", "host-new", "trigger", 2, clock_.now(), 0, "idle"}).ok());
  ASSERT_TRUE(store_->heartbeat({"push/3/1", "host-push", "pusher", 3, clock_.now(), 0, "pushed 1"}).ok());
  ASSERT_TRUE(*store_->take_lease("leader/trigger", "new/2/1", clock_.now() - 20));
  ASSERT_TRUE(*store_->take_lease("patchset/9/push", "push/3/1", clock_.now() - 20));
  clock_.advance(2);

  Reply w = call("GET", "/workers", json(kReader));
  ASSERT_EQ(w.status, 200) << w.text;
  ASSERT_EQ(w.body["workers"].size(), 3u) << w.text;
  std::map<std::string, json> by_id;
  for (const json& one : w.body["workers"]) by_id[one["id"]] = one;
  EXPECT_EQ(by_id["old/1/1"]["alive"], false);
  EXPECT_EQ(by_id["old/1/1"]["heartbeat_age_seconds"], 32);
  EXPECT_EQ(by_id["new/2/1"]["alive"], true);
  EXPECT_EQ(by_id["new/2/1"]["leads"], json::array({"trigger"}));
  EXPECT_EQ(by_id["push/3/1"]["claims"], json::array({"patchset/9/push"}));
  EXPECT_EQ(by_id["push/3/1"]["doing"], "pushed 1");
  EXPECT_EQ(by_id["push/3/1"]["host"], "host-push");

  Reply h = call("GET", "/health", json(kReader));
  EXPECT_EQ(h.body["workers"].size(), 3u) << h.text;
  Reply m = call("GET", "/metrics", json(kReader));
  EXPECT_NE(m.text.find("autoland_worker_up{id=\"old/1/1\",host=\"host-old\",role=\"trigger\"} 0\n"), std::string::npos)
      << m.text;
  EXPECT_NE(m.text.find("autoland_worker_up{id=\"new/2/1\",host=\"host-new\",role=\"trigger\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.text.find("autoland_leader{leads=\"trigger\",id=\"new/2/1\",host=\"host-new\",role=\"trigger\"} 1"),
            std::string::npos);
  EXPECT_NE(
      m.text.find("autoland_worker_heartbeat_age_seconds{id=\"push/3/1\",host=\"host-push\",role=\"pusher\"} 2\n"),
      std::string::npos);
  EXPECT_EQ(call("GET", "/workers", json("")).status, 401);
}

TEST_F(Api, MetricsAreInPrometheusTextFormat) {
  queued(5, {51});
  queued(5, {52}, "central");
  ASSERT_TRUE(store_->enqueue_comment({5, "landed", "x", "k-landed"}, std::nullopt).ok());
  call("GET", "/queue", json(kReader));
  Reply m = call("GET", "/metrics", json(kReader));
  ASSERT_EQ(m.status, 200);
  const std::string& t = m.text;
  EXPECT_NE(t.find("# TYPE autoland_patchsets gauge"), std::string::npos);
  EXPECT_NE(t.find("autoland_patchsets{state=\"queued\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("autoland_queue_depth{branch=\"try\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("autoland_comments{kind=\"landed\",state=\"pending\"} 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("autoland_api_requests_total{route=\"GET /queue\",status=\"200\"} 1\n"), std::string::npos) << t;
  EXPECT_NE(t.find("autoland_api_request_duration_seconds_bucket{route=\"GET /queue\",le=\"+Inf\"} 1\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("# TYPE autoland_patchset_time_to_end_seconds histogram"), std::string::npos);
  EXPECT_EQ(call("GET", "/metrics", json("")).status, 401);
}

// Numbers past int64 used to wrap into values that matched every event.
// Items 7 and 11 of the hardening issue: a branch made through the API keeps
// the same rules as one from the config (core/branch_rules).
TEST_F(Api, BranchesKeepTheConfigsRules) {
  Reply made = call("POST", "/branches/beta", json{{"repo_url", "/r/beta"}});
  ASSERT_EQ(made.status, 201) << made.text;
  EXPECT_EQ(made.body["ci"], "local");  // the config's default, never ""
  std::string before = snapshot();
  for (const json& bad : {json{{"ci", "jenkins"}}, json{{"ci", ""}}, json{{"ci", "buildbot"}},
                          json{{"required_level", 0}}, json{{"pretest_branch", "beta"}}}) {
    Reply r = call("PUT", "/branches/beta", bad);
    EXPECT_EQ(r.status, 400) << bad.dump() << ": " << r.text;
  }
  for (std::string name : {std::string("-rf"), std::string("try.lock"), std::string(".hg"), std::string("a%0Ab"),
                           std::string("a%00b"), std::string(100, 'x')}) {
    Reply r = call("POST", "/branches/" + name, json{{"repo_url", "/r/x"}});
    EXPECT_EQ(r.status, 400) << name << ": " << r.text;
  }
  EXPECT_EQ(snapshot(), before);
}

// Credentials in a repository URL are the operator's: readers see them
// redacted, and a branch sent back as shown keeps the real URL.
TEST_F(Api, SecretsInRepositoryUrlsAreNeverShown) {
  const std::string secret = "https://bot:hunter2@hg.example.org/beta";
  ASSERT_EQ(call("POST", "/branches/beta", json{{"repo_url", secret}, {"pull_url", secret + "?token=abc"}}).status,
            201);
  for (const std::string& path : {std::string("/branches"), std::string("/branches/beta")}) {
    Reply r = call("GET", path, kReader);
    EXPECT_EQ(r.text.find("hunter2"), std::string::npos) << r.text;
    EXPECT_EQ(r.text.find("abc"), std::string::npos) << r.text;
  }
  json shown = call("GET", "/branches/beta", kReader).body;
  EXPECT_EQ(shown["repo_url"], "https://REDACTED@hg.example.org/beta");
  Reply back = call("PUT", "/branches/beta", json{{"repo_url", shown["repo_url"]}, {"pull_url", shown["pull_url"]}});
  ASSERT_EQ(back.status, 200) << back.text;
  EXPECT_EQ(store_->get_branch("beta")->repo_url, secret);
  EXPECT_EQ(store_->get_branch("beta")->pull_url, secret + "?token=abc");
}

TEST_F(Api, OutOfRangeAndNonCanonicalNumbersAre400) {
  for (std::string query : {"after=9223372036854775808", "since=18446744073709551615", "after=1&after=2", "limit=0",
                            "limit=1001", "after=-1", "after=01", "patchset=0", "after="}) {
    auto r = call("GET", "/events?" + query, kReader);
    EXPECT_EQ(r.status, 400) << query << ": " << r.text;
  }
  EXPECT_EQ(call("GET", "/events?after=9223372036854775807", kReader).status, 200);
  EXPECT_EQ(call("GET", "/patchSets/01", kReader).status, 400);
  EXPECT_EQ(call("GET", "/patchSets/99999999999999999999", kReader).status, 400);
}

TEST_F(Api, UnknownRoutesAnswerJson) {
  Reply r = call("GET", "/nosuch", json(kReader));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body["error"], "not found");
}

// A bug can turn private at any time, unseen by autoland: what its comments
// say is shown to sheriffs, never to readers (issue 14, item 15).
TEST_F(Api, ReadersSeeNoCommentText) {
  PatchSet ps = queued(77, {771});
  ASSERT_TRUE(store_->enqueue_comment({77, "manual", "the fix for the exploit is ...", "k77"}, ps.id).ok());
  Reply sheriff = call("GET", "/patchSets/" + std::to_string(ps.id), json(kSheriff));
  ASSERT_EQ(sheriff.status, 200);
  ASSERT_EQ(sheriff.body["comments"].size(), 1u);
  EXPECT_EQ(sheriff.body["comments"][0]["body"], "the fix for the exploit is ...");
  Reply reader = call("GET", "/patchSets/" + std::to_string(ps.id), json(kReader));
  ASSERT_EQ(reader.status, 200);
  ASSERT_EQ(reader.body["comments"].size(), 1u);
  EXPECT_FALSE(reader.body["comments"][0].contains("body")) << reader.text;
  EXPECT_EQ(reader.text.find("exploit"), std::string::npos);
  EXPECT_EQ(reader.body["comments"][0]["kind"], "manual");
}

// The request limits hold for the API as for tags, for requests sent at
// once too: 429 with the reason. (The lock around count and make is not
// what this shows: its window is too short to hit from outside.)
TEST_F(Api, RequestsThroughTheApiAreBoundedPerBug) {
  std::vector<std::thread> senders;
  std::atomic<int> made{0}, limited{0};
  for (int i = 0; i < 8; ++i) {
    senders.emplace_back([&, i] {
      httplib::Client own("127.0.0.1", server_->port());  // one client per thread
      json body = {{"branch", "try"},
                   {"patches", {51}},
                   {"requester", "dev@example.org"},
                   {"request_id", "burst-" + std::to_string(i)}};
      auto r = own.Post("/bugs/5", {{"Authorization", "Bearer " + kSheriff}}, body.dump(), "application/json");
      if (!r) return;
      if (r->status == 201) ++made;
      if (r->status == 429 && r->body.find("queue.max_requests_per_bug") != std::string::npos) ++limited;
    });
  }
  for (std::thread& t : senders) t.join();
  EXPECT_EQ(made.load(), 5);
  EXPECT_EQ(limited.load(), 3);
  EXPECT_EQ(store_->find_patchsets({.bug_id = 5})->size(), 5u);
  // Over the limit, a request is refused for it whatever else is wrong
  // with it, as a tag is (attachment 999 is not on the bug).
  Reply late =
      call("POST", "/bugs/5", json{{"branch", "try"}, {"patches", {999}}, {"requester", "dev@example.org"}}, kSheriff);
  EXPECT_EQ(late.status, 429) << late.text;
  EXPECT_NE(late.text.find("queue.max_requests_per_bug"), std::string::npos) << late.text;
}

}  // namespace
}  // namespace autoland
