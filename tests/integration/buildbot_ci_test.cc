// The buildbot adapter: its parsing against responses recorded from a real
// buildbot 3.7 (tests/data/buildbot), then against a real master and
// worker from Debian (scripts/start-buildbot.sh) building real hg pushes fed
// through an hg changegroup hook to /change_hook/base. If buildbot cannot
// start, the tests fail: they never skip.
#include "adapters/ci/buildbot/buildbot_ci.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "adapters/process/subprocess.h"
#include "app/store_factory.h"
#include "core/ci_verdict.h"
#include "services/results/results_poller.h"
#include "services/transitions.h"
#include "tests/support/test_support.h"
#include "util/strings.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Answers the recorded URLs with the recorded bodies; anything else is a 404
// (and is listed, so a test can say which request had no recording).
class FixtureTransport final : public HttpTransport {
 public:
  explicit FixtureTransport(fs::path dir) : dir_(std::move(dir)) {
    for (const json& entry : json::parse(read_text(dir_ / "INDEX.json"))) {
      std::string url = entry["url"];
      by_url_[url.substr(url.find("/api/v2"))] = entry["file"];
    }
    // Not recorded: the buildsets in progress on a quiet master, one request
    // by id, and the change of a sourcestamp (the same resources, in the
    // same list shapes, as the recorded answers they are taken from).
    extra_["/api/v2/buildsets?complete=false"] = R"({"buildsets": [], "meta": {"total": 0}})";
    extra_["/api/v2/buildrequests/1"] = read_text(dir_ / "pass-buildrequests_by_buildset.json");
    extra_["/api/v2/buildrequests/2"] = read_text(dir_ / "fail-buildrequests_by_buildset.json");
    extra_["/api/v2/sourcestamps/1/changes"] = read_text(dir_ / "pass-changes_by_revision.json");
    extra_["/api/v2/sourcestamps/2/changes"] = read_text(dir_ / "fail-changes_by_revision.json");
  }
  Result<HttpResponse> send(const HttpRequest& request, HttpFailure*) override {
    std::string path = request.url.substr(request.url.find("/api/v2"));
    asked.push_back(path);
    if (auto it = extra_.find(path); it != extra_.end()) return HttpResponse{200, it->second};
    if (auto it = by_url_.find(path); it != by_url_.end()) return HttpResponse{200, read_text(dir_ / it->second)};
    unanswered.push_back(path);
    return HttpResponse{404, R"({"error": "not recorded"})"};
  }
  void extra(const std::string& path, const std::string& body) { extra_[path] = body; }
  std::vector<std::string> asked, unanswered;

 private:
  fs::path dir_;
  std::map<std::string, std::string> by_url_, extra_;
};

BuildbotCi fixture_ci(FixtureTransport*& transport) {
  auto t = std::make_unique<FixtureTransport>(fs::path(AUTOLAND_FIXTURES_DIR) / "buildbot");
  transport = t.get();
  return BuildbotCi({.url = "http://127.0.0.1:8010"}, std::move(t));
}

TEST(BuildbotFixtures, APassingPushIsOneSuccessfulJobNamedByItsBuilder) {
  FixtureTransport* t = nullptr;
  BuildbotCi ci = fixture_ci(t);
  auto jobs = ci.jobs("try", "eaa6bd566b17fe9317102df7578d3560c6d3ae2a");
  ASSERT_TRUE(jobs.ok()) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 1u);
  const CiJob& j = (*jobs)[0];
  EXPECT_EQ(j.id, "1");
  EXPECT_EQ(j.name, "try-linux64");
  EXPECT_EQ(j.result, JobResult::success);
  EXPECT_EQ(j.state, JobState::completed);
  EXPECT_EQ(j.started, 1795626585);
  EXPECT_EQ(j.finished, 1795626586);
  EXPECT_EQ(j.url, "http://127.0.0.1:8010/#/builders/2/builds/1");
  EXPECT_TRUE(t->unanswered.empty()) << t->unanswered[0];
  EXPECT_EQ(judge(to_job_runs(*jobs), 2).verdict, Verdict::green);
}

TEST(BuildbotFixtures, AFailingPushLinksTheLogOfTheStepThatFailed) {
  FixtureTransport* t = nullptr;
  BuildbotCi ci = fixture_ci(t);
  auto jobs = ci.jobs("try", "a801bf27e341db056183bf3dba2e42e36702dfb0");
  ASSERT_TRUE(jobs.ok()) << jobs.error().message;
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].result, JobResult::failure);
  // Step 2 ('run-tests', step id 6, log 4) failed in the recording.
  EXPECT_EQ((*jobs)[0].log_url, "http://127.0.0.1:8010/api/v2/logs/4/raw");
  EXPECT_EQ(judge(to_job_runs(*jobs), 2).verdict, Verdict::red);
  // A second look asks only for the builds: the change, the finished
  // buildset's requests, the builder names and the failed build's log are known.
  size_t before = t->asked.size();
  ASSERT_TRUE(ci.jobs("try", "a801bf27e341db056183bf3dba2e42e36702dfb0").ok());
  std::vector<std::string> again(t->asked.begin() + static_cast<long>(before), t->asked.end());
  EXPECT_EQ(again, std::vector<std::string>{"/api/v2/changes/2/builds"});
}

TEST(BuildbotFixtures, AnUnknownRevisionIsNotFoundAndABadOneIsRefused) {
  FixtureTransport* t = nullptr;
  BuildbotCi ci = fixture_ci(t);
  // buildbot answers an unknown revision with an empty list: "not yet".
  t->extra("/api/v2/sourcestamps?revision=0000000000000000000000000000000000000000",
           R"({"meta": {"total": 0}, "sourcestamps": []})");
  auto none = ci.jobs("try", "0000000000000000000000000000000000000000");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, ErrorKind::not_found) << none.error().message;
  auto bad = ci.jobs("try", "abc; rm -rf /");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::invalid_input);
}

TEST(BuildbotFixtures, AWrongUrlIsAConfigurationErrorNotNotYet) {
  FixtureTransport* t = nullptr;
  BuildbotCi ci = fixture_ci(t);
  // An answer the fake does not know is a 404: on a real master that means
  // the URL is wrong, not that the revision is unknown.
  auto wrong = ci.pushes_since("try", "");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().kind, ErrorKind::invalid_input) << wrong.error().message;
  EXPECT_NE(wrong.error().message.find("ci.buildbot.url"), std::string::npos);
}

TEST(BuildbotFixtures, AnUnreachableMasterIsTransient) {
  BuildbotCi ci({.url = "http://127.0.0.1:1", .timeout_ms = 2000}, make_curl_transport({}));
  auto jobs = ci.jobs("try", "eaa6bd566b17fe9317102df7578d3560c6d3ae2a");
  ASSERT_FALSE(jobs.ok());
  EXPECT_EQ(jobs.error().kind, ErrorKind::transient) << jobs.error().message;
}

std::string run(std::vector<std::string> argv, const std::string& cwd = "") {
  SpawnOptions o;
  o.argv = std::move(argv);
  o.cwd = cwd;
  o.env_set = {{"HGPLAIN", "1"}, {"HGUSER", "Dev <dev@example.org>"}};
  auto r = run_program(o);
  EXPECT_TRUE(r.ok() && r->exit_code == 0) << util::join(o.argv, " ") << ": " << (r.ok() ? r->err : r.error().message);
  return r.ok() ? r->out : "";
}

// One master and worker for the whole suite (starting takes about 3 s).
// Builders: `build` (a failure is a failure: red) and `test` (a failure is a
// warning: orange, rerun) on project "try"; `queued` on project "slow", for a
// worker that never connects, so its requests stay unstarted.
class RealBuildbot : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::path(::testing::TempDir()) / ("buildbot-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    www_ = testing::free_port();
    int pb = testing::free_port();
    url_ = "http://127.0.0.1:" + std::to_string(www_);
    repo_ = (dir_ / "try").string();
    run({"hg", "init", repo_});
    std::ofstream(dir_ / "try" / "README") << "base\n";
    run({"hg", "commit", "-R", repo_, "-A", "-m", "base"});
    // The hook a real deployment installs on the try repository: one change
    // per push, for its tip, with the autoland branch as the project.
    std::ofstream(dir_ / "try" / ".hg" / "hgrc", std::ios::app)
        << "[hooks]\nchangegroup.buildbot = curl -sf -o /dev/null --data-urlencode revision=$HG_NODE_LAST "
           "--data-urlencode project=$(cat "
        << (dir_ / "project").string() << ") --data-urlencode branch=default --data-urlencode repository=" << repo_
        << " --data-urlencode \"author=$(hg log -r $HG_NODE_LAST -T '{author}')\""
           " --data-urlencode \"comments=$(hg log -r $HG_NODE_LAST -T '{desc}')\" "
        << url_ << "/change_hook/base\n";
    std::ofstream(dir_ / "builders.py") << R"PY(
def job(name, flunk):
    f = util.BuildFactory()
    f.addStep(steps.ShellCommand(name='run-' + name, haltOnFailure=True, flunkOnFailure=flunk, warnOnFailure=not flunk,
        command=['sh', '-c', util.Interpolate('rm -rf src && hg archive -R )PY"
                                        << repo_ << R"PY( -r %(src::revision)s src && cd src && sh ci/)PY"
                                        << R"PY(' + name + '.sh')]))
    return f
ci_builders.append(util.BuilderConfig(name='build', workernames=['w1'], factory=job('build', True)))
ci_builders.append(util.BuilderConfig(name='test', workernames=['w1'], factory=job('test', False)))
c['workers'].append(worker.Worker('absent', 'pass'))
ci_builders.append(util.BuilderConfig(name='queued', workernames=['absent'], factory=job('build', True)))
ci_schedulers.append(schedulers.AnyBranchScheduler(name='try', builderNames=['build', 'test'], treeStableTimer=None,
    change_filter=util.ChangeFilter(project='try')))
ci_schedulers.append(schedulers.AnyBranchScheduler(name='slow', builderNames=['queued'], treeStableTimer=None,
    change_filter=util.ChangeFilter(project='slow')))
)PY";
    SpawnOptions o;
    o.argv = {"bash",
              std::string(AUTOLAND_SOURCE_DIR) + "/scripts/start-buildbot.sh",
              (dir_ / "bb").string(),
              std::to_string(www_),
              std::to_string(pb),
              (dir_ / "builders.py").string()};
    auto started = run_program(o);
    started_ = started.ok() && started->exit_code == 0;
    start_output_ = started.ok() ? started->out + started->err : started.error().message;
  }
  static void TearDownTestSuite() {
    SpawnOptions o;
    o.argv = {"bash", std::string(AUTOLAND_SOURCE_DIR) + "/scripts/stop-buildbot.sh", (dir_ / "bb").string()};
    (void)run_program(o);
    fs::remove_all(dir_);
  }
  void SetUp() override { ASSERT_TRUE(started_) << "buildbot did not start:\n" << start_output_; }

  // Pushes one commit whose ci/build.sh and ci/test.sh are the given scripts
  // to the try repository, as project `project`; returns its node.
  std::string push(const std::string& build_sh, const std::string& test_sh, const std::string& project = "try") {
    std::ofstream(dir_ / "project") << project;
    fs::path wc = dir_ / ("wc-" + std::to_string(++pushes_));
    run({"hg", "clone", "-q", "-r", "0", repo_, wc.string()});
    fs::create_directories(wc / "ci");
    std::ofstream(wc / "stamp") << pushes_ << "\n";
    std::ofstream(wc / "ci" / "build.sh") << build_sh << "\n";
    std::ofstream(wc / "ci" / "test.sh") << test_sh << "\n";
    run({"hg", "commit", "-R", wc.string(), "-A", "-m", "Bug " + std::to_string(pushes_) + " - change"});
    run({"hg", "push", "-q", "-f", "-R", wc.string(), repo_});
    return run({"hg", "log", "-R", wc.string(), "-r", "tip", "-T", "{node}"});
  }

  // Asks until every job of `revision` completed (or 60 s).
  std::vector<CiJob> until_complete(CiResults& ci, const std::string& revision, size_t at_least) {
    for (int i = 0; i < 600; ++i) {
      auto jobs = ci.jobs("try", revision);
      if (jobs.ok() && jobs->size() >= at_least &&
          std::all_of(jobs->begin(), jobs->end(), [](const CiJob& j) { return j.state == JobState::completed; })) {
        return *jobs;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "the jobs of " << revision << " did not complete in 60 s";
    return {};
  }

  static std::map<std::string, JobResult> latest(const std::vector<CiJob>& jobs) {
    std::map<std::string, JobResult> out;
    for (const CiJob& j : jobs) out[j.name] = j.result;
    return out;
  }

  BuildbotCi make_ci() {
    return BuildbotCi({.url = url_, .timeout_ms = 10'000, .snapshot_ttl_ms = 0}, make_curl_transport({}));
  }

  static inline fs::path dir_;
  static inline std::string url_, repo_, start_output_;
  static inline int www_ = 0;
  static inline bool started_ = false;
  static inline int pushes_ = 0;
};

TEST_F(RealBuildbot, GreenAndRedPushesWithTheFailedStepsLog) {
  BuildbotCi ci = make_ci();
  std::string green = push("echo built", "echo tested");
  std::string red = push("echo 'compile error in widget.cpp'; exit 2", "echo tested");

  std::vector<CiJob> g = until_complete(ci, green, 2);
  EXPECT_EQ(latest(g), (std::map<std::string, JobResult>{{"build", JobResult::success}, {"test", JobResult::success}}));
  for (const CiJob& j : g) {
    EXPECT_GT(j.started, 0);
    EXPECT_GE(j.finished, j.started);
    EXPECT_EQ(j.url.rfind(url_ + "/#/builders/", 0), 0u) << j.url;
  }
  EXPECT_EQ(judge(to_job_runs(g), 2).verdict, Verdict::green);

  std::vector<CiJob> r = until_complete(ci, red, 2);
  EXPECT_EQ(latest(r)["build"], JobResult::failure);
  EXPECT_EQ(judge(to_job_runs(r), 2).verdict, Verdict::red);
  // The log link is the failing step's output, fetchable as it is.
  std::string log_url;
  for (const CiJob& j : r) {
    if (j.name == "build") log_url = j.log_url;
  }
  ASSERT_EQ(log_url.rfind(url_ + "/api/v2/logs/", 0), 0u) << log_url;
  auto log = make_curl_transport({})->send({.url = log_url}, nullptr);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->status, 200);
  EXPECT_NE(log->body.find("compile error in widget.cpp"), std::string::npos) << log->body.substr(0, 500);
}

TEST_F(RealBuildbot, AnIntermittentTestIsRebuiltAndThenPasses) {
  BuildbotCi ci = make_ci();
  std::string mark = (dir_ / "flaky-ran").string();
  std::string rev =
      push("true", "test -f " + mark + " || { touch " + mark + "; echo 'TEST-UNEXPECTED-FAIL'; exit 1; }");
  std::vector<CiJob> first = until_complete(ci, rev, 2);
  EXPECT_EQ(latest(first)["test"], JobResult::warnings);  // orange, not red
  VerdictReport v = judge(to_job_runs(first), 2);
  ASSERT_EQ(v.verdict, Verdict::orange);
  ASSERT_EQ(v.retrigger, std::vector<std::string>{"test"});

  std::string test_id;
  for (const CiJob& j : first) {
    if (j.name == "test") test_id = j.id;
  }
  auto rerun = ci.retrigger("try", rev, test_id);
  ASSERT_TRUE(rerun.ok()) << rerun.error().message;
  EXPECT_EQ(rerun->rfind("request-", 0), 0u) << *rerun;
  // Right after the rebuild the new run is there, pending or running: the
  // job no longer looks orange, so nobody reruns it twice.
  auto just_after = ci.jobs("try", rev);
  ASSERT_TRUE(just_after.ok());
  ASSERT_EQ(just_after->size(), 3u);
  EXPECT_NE(just_after->back().state, JobState::completed);
  EXPECT_EQ(judge(to_job_runs(*just_after), 2).verdict, Verdict::pending);

  std::vector<CiJob> after = until_complete(ci, rev, 3);
  VerdictReport v2 = judge(to_job_runs(after), 2);
  EXPECT_EQ(v2.verdict, Verdict::green);
  EXPECT_EQ(v2.intermittent, std::vector<std::string>{"test"});

  auto not_started = ci.retrigger("try", rev, "request-1");
  ASSERT_FALSE(not_started.ok());
  EXPECT_EQ(not_started.error().kind, ErrorKind::invalid_input);
}

TEST_F(RealBuildbot, RequestsNoWorkerTookArePendingAndCancelledOnesCancel) {
  BuildbotCi ci = make_ci();
  std::string rev = push("true", "true", "slow");
  std::vector<CiJob> jobs;
  for (int i = 0; i < 100 && jobs.empty(); ++i) {
    auto j = ci.jobs("slow", rev);
    if (j.ok()) jobs = *j;
    if (jobs.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].name, "queued");
  EXPECT_EQ(jobs[0].state, JobState::pending);
  ASSERT_EQ(jobs[0].id.rfind("request-", 0), 0u);
  EXPECT_EQ(judge(to_job_runs(jobs), 2).verdict, Verdict::pending);
  // A sheriff cancels it before any worker takes it: it ends without a
  // build, and the verdict says cancelled (it does not vanish).
  auto cancel = make_curl_transport({})->send(
      {.method = "POST",
       .url = url_ + "/api/v2/buildrequests/" + jobs[0].id.substr(8),
       .headers = {{"Content-Type", "application/json"}},
       .body = R"({"jsonrpc": "2.0", "method": "cancel", "id": 1, "params": {"reason": "test"}})"},
      nullptr);
  ASSERT_TRUE(cancel.ok());
  ASSERT_EQ(cancel->status, 200) << cancel->body;
  std::vector<CiJob> after;
  for (int i = 0; i < 100; ++i) {
    auto j = ci.jobs("slow", rev);
    ASSERT_TRUE(j.ok()) << j.error().message;
    after = *j;
    if (!after.empty() && after[0].state == JobState::completed) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].result, JobResult::usercancel);
  EXPECT_EQ(judge(to_job_runs(after), 2).verdict, Verdict::cancelled);
}

TEST_F(RealBuildbot, PushesSinceACursorAreTheBranchsOnly) {
  BuildbotCi ci = make_ci();
  auto start = ci.pushes_since("try", "");
  ASSERT_TRUE(start.ok()) << start.error().message;
  EXPECT_TRUE(start->pushes.empty());
  std::string a = push("true", "true");
  std::string other = push("true", "true", "slow");
  std::string b = push("true", "true");
  // Pages re-read a little before the cursor (ids can commit out of order),
  // so a push may be listed twice: the caller's handling is idempotent.
  std::vector<std::string> seen;
  std::string cursor = start->next_cursor;
  for (int i = 0; i < 50; ++i) {
    auto page = ci.pushes_since("try", cursor);
    ASSERT_TRUE(page.ok()) << page.error().message;
    for (const CiPush& p : page->pushes) {
      if (p.revision != a && p.revision != b && p.revision != other) continue;
      if (std::find(seen.begin(), seen.end(), p.revision) == seen.end()) seen.push_back(p.revision);
      EXPECT_EQ(p.author, "Dev <dev@example.org>");
      EXPECT_EQ(p.message.rfind("Bug ", 0), 0u) << p.message;
      EXPECT_GT(p.time, 0);
    }
    cursor = page->next_cursor;
    if (seen.size() >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{a, b}));
  auto bad = ci.pushes_since("try", "12; DROP");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::invalid_input);
}

// Push → buildbot → the results poller → the lifecycle step and the comment.
TEST_F(RealBuildbot, ThePollerReportsAnIntermittentThenGreenTryRun) {
  SystemClock clock;
  auto s = open_store("sqlite://:memory:", clock);
  ASSERT_TRUE(s.ok());
  std::unique_ptr<Store> store = std::move(*s);
  Branch try_branch;
  try_branch.name = "try";
  try_branch.repo_url = repo_;
  try_branch.required_level = 1;
  try_branch.ci_source = "buildbot";
  ASSERT_TRUE(store->create_branch(try_branch, "t").ok());

  std::string mark = (dir_ / "flaky-poller").string();
  std::string rev = push("true", "test -f " + mark + " || { touch " + mark + "; exit 1; }");
  PatchSet ps = testing::testing_patchset(
      *store, clock, {.bug_id = 77, .patches = {1}, .branch = "try", .stage = Stage::try_run}, rev);
  ASSERT_EQ(ps.state, State::testing);
  BuildbotCi ci = make_ci();
  ResultsPoller poller(*store, clock,
                       [&](const std::string& name) -> CiResults* { return name == "buildbot" ? &ci : nullptr; });
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 300 && !is_terminal(ps.state); ++i) {
    ASSERT_TRUE(poller.pass().ok());
    ps = *store->get_patchset(ps.id);
    if (!is_terminal(ps.state)) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(ps.state, State::reported);
  auto comments = store->comments_for(ps.id);
  ASSERT_TRUE(comments.ok());
  // One results comment (the other outbox entry releases the whiteboard marker).
  std::vector<OutboxComment> results;
  for (const OutboxComment& c : *comments) {
    if (!c.body.empty()) results.push_back(c);
  }
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].bug_id, 77);
  EXPECT_NE(results[0].body.find("Intermittent (passed when retriggered): test"), std::string::npos) << results[0].body;
  EXPECT_EQ(ci.jobs("try", rev)->size(), 3u);  // build, test, and test's one rebuild
  std::cerr << "push to report with buildbot: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count()
            << " ms (two rounds of builds)\n";
}

}  // namespace
}  // namespace autoland
