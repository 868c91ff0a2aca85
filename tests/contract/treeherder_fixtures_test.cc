// The Treeherder adapter against a fixture-driven fake: hand-made responses
// that copy Treeherder's serializers (tests/data/treeherder/INDEX.md cites
// the source of every shape). No Treeherder runs here; this is the test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "adapters/ci/treeherder/treeherder_ci.h"
#include "core/ci_verdict.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::string kRoot = "https://treeherder.example.org";
const std::string kGreen(40, 'a'), kOrange(40, 'b'),
    kRunning(40, 'c'), kUnknown = "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef";

std::string fixture(const std::string& name) {
  std::ifstream in(fs::path(AUTOLAND_TEST_DATA_DIR) / "treeherder" / name);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_FALSE(s.str().empty()) << name;
  return s.str();
}

class FakeTreeherder final : public HttpTransport {
 public:
  FakeTreeherder() {
    file("/api/project/try/push/?revision=" + kGreen, "push_by_revision_green.json");
    file("/api/project/try/push/?revision=" + kOrange, "push_by_revision_orange.json");
    file("/api/project/try/push/?revision=" + kRunning, "push_by_revision_running.json");
    file("/api/project/try/push/?revision=" + kUnknown, "push_unknown_revision.json");
    file("/api/jobs/?push_id=1451230", "jobs_green.json");
    file("/api/jobs/?push_id=1451262", "jobs_orange.json");
    file("/api/jobs/?push_id=1451288", "jobs_running.json");
    // The newest push (count=1) and the window of ids after the cursor (a
    // little before it, too) answer with the same list: it fits both.
    file("/api/project/try/push/?count=1", "push_list_since.json");
    file("/api/project/try/push/?id__gt=1451030&id__lte=1451288&count=1000", "push_list_since.json");
  }
  void file(const std::string& path, const std::string& name) { answers[path] = {200, fixture(name)}; }
  Result<HttpResponse> send(const HttpRequest& request, HttpFailure*) override {
    EXPECT_EQ(request.method, "GET");
    std::string path = request.url.substr(request.url.find("/api/"));
    asked.push_back(path);
    bool named = false;
    for (const auto& [k, v] : request.headers) named |= k == "User-Agent" && v == "autoland";
    EXPECT_TRUE(named) << "Treeherder asks clients to send a User-Agent";
    if (auto it = answers.find(path); it != answers.end()) return it->second;
    return HttpResponse{404, R"({"detail": "Not found."})"};
  }
  std::map<std::string, HttpResponse> answers;
  std::vector<std::string> asked;
};

struct Fixture {
  FakeTreeherder* fake;
  TreeherderCi ci;
};

Fixture make() {
  auto fake = std::make_unique<FakeTreeherder>();
  FakeTreeherder* raw = fake.get();
  return {raw, TreeherderCi({.url = kRoot + "/"}, std::move(fake))};
}

TEST(TreeherderFixtures, AGreenPushIsThreeSuccessfulJobsWithLinks) {
  auto [fake, ci] = make();
  auto jobs = ci.jobs("try", kGreen);
  ASSERT_TRUE(jobs.ok()) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 3u);
  for (const CiJob& j : *jobs) {
    EXPECT_EQ(j.state, JobState::completed);
    EXPECT_EQ(j.result, JobResult::success);
  }
  EXPECT_EQ((*jobs)[2].name, "test-linux1804-64-qr/opt-mochitest-browser-chrome-1");
  EXPECT_EQ((*jobs)[2].url, kRoot + "/jobs?repo=try&revision=" + kGreen + "&selectedTaskRun=OVGvXZaYRNyxcjATZmiVPA.0");
  EXPECT_EQ((*jobs)[2].log_url, kRoot + "/logviewer?job_id=462101020&repo=try");
  EXPECT_EQ(judge(to_job_runs(*jobs), 0).verdict, Verdict::green);
  // The push is looked up once; later looks ask only for its jobs.
  fake->asked.clear();
  ASSERT_TRUE(ci.jobs("try", kGreen).ok());
  EXPECT_EQ(fake->asked, std::vector<std::string>{"/api/jobs/?push_id=1451230"});
}

TEST(TreeherderFixtures, ARetriggerThatPassedMakesTheFailureIntermittent) {
  auto [fake, ci] = make();
  auto jobs = ci.jobs("try", kOrange);
  ASSERT_TRUE(jobs.ok()) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[0].result, JobResult::testfailed);
  EXPECT_EQ((*jobs)[1].result, JobResult::success);
  EXPECT_EQ((*jobs)[0].name, (*jobs)[1].name);
  VerdictReport v = judge(to_job_runs(*jobs), 0);
  EXPECT_EQ(v.verdict, Verdict::green);
  EXPECT_EQ(v.intermittent, std::vector<std::string>{"test-linux1804-64-qr/opt-mochitest-browser-chrome-1"});
}

TEST(TreeherderFixtures, PendingAndRunningJobsKeepTheVerdictPending) {
  auto [fake, ci] = make();
  auto jobs = ci.jobs("try", kRunning);
  ASSERT_TRUE(jobs.ok()) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 2u);
  std::map<JobState, int> states;
  for (const CiJob& j : *jobs) ++states[j.state];
  EXPECT_EQ(states[JobState::pending], 1);
  EXPECT_EQ(states[JobState::running], 1);
  EXPECT_EQ(judge(to_job_runs(*jobs), 0).verdict, Verdict::pending);
}

TEST(TreeherderFixtures, AnUnknownRevisionIsNotFoundAndNothingIsRetriggered) {
  auto [fake, ci] = make();
  auto none = ci.jobs("try", kUnknown);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, ErrorKind::not_found);
  auto bad = ci.jobs("try", "abc");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::invalid_input);
  fake->asked.clear();
  auto rerun = ci.retrigger("try", kOrange, "462190511");
  ASSERT_FALSE(rerun.ok());
  EXPECT_EQ(rerun.error().kind, ErrorKind::invalid_input);
  EXPECT_NE(rerun.error().message.find("max_retriggers = 0"), std::string::npos);
  EXPECT_TRUE(fake->asked.empty());
}

TEST(TreeherderFixtures, JobsOnSeveralPagesAndColumnsInAnotherOrder) {
  auto [fake, ci] = make();
  // The green jobs split over two pages, columns reversed: the client must
  // follow `next` and read columns by name.
  json green = json::parse(fixture("jobs_green.json"));
  json names = green["job_property_names"];
  auto reversed = [](const json& list) {
    json out = json::array();
    for (auto it = list.rbegin(); it != list.rend(); ++it) out.push_back(*it);
    return out;
  };
  json reversed_names = reversed(names);
  auto reversed_rows = [&](size_t from, size_t to) {
    json rows = json::array();
    for (size_t i = from; i < to; ++i) rows.push_back(reversed(green["results"][i]));
    return rows;
  };
  json page1 = {{"count", 3},
                {"next", kRoot + "/api/jobs/?page=2&push_id=1451230"},
                {"previous", nullptr},
                {"results", reversed_rows(0, 2)},
                {"job_property_names", reversed_names}};
  json page2 = {{"count", 3},
                {"next", nullptr},
                {"previous", kRoot + "/api/jobs/?push_id=1451230"},
                {"results", reversed_rows(2, 3)},
                {"job_property_names", reversed_names}};
  fake->answers["/api/jobs/?push_id=1451230"] = {200, page1.dump()};
  fake->answers["/api/jobs/?page=2&push_id=1451230"] = {200, page2.dump()};
  auto jobs = ci.jobs("try", kGreen);
  ASSERT_TRUE(jobs.ok()) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 3u);
  EXPECT_EQ((*jobs)[2].id, "462101020");
  EXPECT_EQ((*jobs)[2].result, JobResult::success);
}

TEST(TreeherderFixtures, PushesSinceACursorComeOldestFirstWithTheTipsMessage) {
  auto [fake, ci] = make();
  auto page = ci.pushes_since("try", "1451230");
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->pushes.size(), 2u);
  EXPECT_EQ(page->pushes[0].revision, kOrange);
  EXPECT_EQ(page->pushes[1].revision, kRunning);
  EXPECT_EQ(page->pushes[1].message.rfind("Fuzzy query=", 0), 0u) << page->pushes[1].message;
  EXPECT_EQ(page->pushes[1].author, "sam.tester@example.com");
  EXPECT_EQ(page->pushes[1].time, 1718180000);
  EXPECT_EQ(page->next_cursor, "1451288");
  auto bad = ci.pushes_since("try", "1 OR 1=1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::invalid_input);
}

TEST(TreeherderFixtures, PushesAreReadInIdWindowsFromALittleBeforeTheCursor) {
  auto [fake, ci] = make();
  auto pushes = [](std::vector<int> ids) {
    json list = json::array();
    for (int id : ids) {
      list.push_back({{"id", id},
                      {"revision", std::string(40, 'e')},
                      {"author", "x@example.org"},
                      {"revisions", json::array()},
                      {"push_timestamp", id}});
    }
    return json{{"meta", json::object()}, {"results", list}}.dump();
  };
  fake->answers["/api/project/try/push/?count=1"] = {200, pushes({2500})};
  // 990 arrived late, below the cursor: the overlap finds it again.
  fake->answers["/api/project/try/push/?id__gt=800&id__lte=1800&count=1000"] = {200, pushes({1700, 1200, 990})};
  fake->answers["/api/project/try/push/?id__gt=1800&id__lte=2500&count=1000"] = {200, pushes({2500, 2001})};
  auto page = ci.pushes_since("try", "1000");
  ASSERT_TRUE(page.ok()) << page.error().message;
  std::vector<UnixTime> times;
  for (const CiPush& p : page->pushes) times.push_back(p.time);
  EXPECT_EQ(times, (std::vector<UnixTime>{990, 1200, 1700, 2001, 2500}));
  EXPECT_EQ(page->next_cursor, "2500");
}

TEST(TreeherderFixtures, TierThreeAndSupersededRunsDoNotCountAndNextStaysOnTheRoot) {
  auto [fake, ci] = make();
  json green = json::parse(fixture("jobs_green.json"));
  json names = green["job_property_names"];
  size_t tier = 0, result = 0, id = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "tier") tier = i;
    if (names[i] == "result") result = i;
    if (names[i] == "id") id = i;
  }
  json extra = green["results"][0];
  extra[id] = 99;
  extra[tier] = 3;
  extra[result] = "testfailed";  // hidden: does not make the push red
  json superseded = green["results"][1];
  superseded[id] = 98;
  superseded[result] = "superseded";
  green["results"].push_back(extra);
  green["results"].push_back(superseded);
  // Treeherder's next link names another host: only its path is used.
  green["next"] = "https://elsewhere.example.net/api/jobs/?page=2&push_id=1451230";
  fake->answers["/api/jobs/?push_id=1451230"] = {200, green.dump()};
  fake->answers["/api/jobs/?page=2&push_id=1451230"] = {
      200, json{{"count", 0}, {"next", nullptr}, {"results", json::array()}, {"job_property_names", names}}.dump()};
  auto jobs = ci.jobs("try", kGreen);
  ASSERT_TRUE(jobs.ok()) << jobs.error().message;
  EXPECT_EQ(jobs->size(), 3u);
  EXPECT_EQ(judge(to_job_runs(*jobs), 0).verdict, Verdict::green);
  EXPECT_EQ(fake->asked.back(), "/api/jobs/?page=2&push_id=1451230");
}

TEST(TreeherderFixtures, LinksNeverCarryCredentials) {
  TreeherderCi ci({.url = "https://bot:s3cret@treeherder.example.org"}, std::make_unique<FakeTreeherder>());
  auto jobs = ci.jobs("try", kGreen);
  ASSERT_TRUE(jobs.ok()) << jobs.error().message;
  for (const CiJob& j : *jobs) {
    EXPECT_EQ(j.url.find("s3cret"), std::string::npos) << j.url;
    EXPECT_EQ(j.log_url.find("s3cret"), std::string::npos) << j.log_url;
  }
}

TEST(TreeherderFixtures, ServerTroubleIsTransientAndAnUnknownRepositoryIsAConfigurationError) {
  auto [fake, ci] = make();
  fake->answers["/api/project/try/push/?revision=" + kGreen] = {503, "<html>Service Unavailable</html>"};
  auto down = ci.jobs("try", kGreen);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().kind, ErrorKind::transient);
  fake->answers["/api/project/try/push/?revision=" + kGreen] = {200, "<html>a proxy's page</html>"};
  auto garbled = ci.jobs("try", kGreen);
  ASSERT_FALSE(garbled.ok());
  EXPECT_EQ(garbled.error().kind, ErrorKind::transient);
  auto unknown = ci.jobs("nope", kGreen);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::invalid_input);
  EXPECT_NE(unknown.error().message.find("repository named like the branch"), std::string::npos);
}

}  // namespace
}  // namespace autoland
