// How much the results path adds on top of the jobs themselves, and how many
// requests a poll pass makes. Prints its own figures:
//
//  1. Push to verdict with the local runner: a try push whose one job is
//     `sleep 1`, the results poller passing every 100 ms, against the same
//     command run by hand (the baseline). Overhead = the difference.
//  2. The same with a real buildbot master and worker (scripts/start-buildbot.sh):
//     here the overhead includes buildbot's own (hook, scheduler, worker,
//     export); the poll pass itself is what autoland adds, timed separately.
//  3. Requests per poll pass with 100 revisions in flight: buildbot (the
//     requests it answers) and Treeherder-shaped (a counting fake).
//
// Usage: autoland_results_bench [ROUNDS]   (default 5 pushes per source)
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "adapters/ci/buildbot/buildbot_ci.h"
#include "adapters/ci/local/local_ci.h"
#include "adapters/process/subprocess.h"
#include "app/store_factory.h"
#include "services/results/results_poller.h"
#include "services/transitions.h"
#include "tests/support/test_support.h"
#include "util/log.h"

namespace fs = std::filesystem;
using namespace autoland;
using Clock_ = std::chrono::steady_clock;

namespace {

double ms_since(Clock_::time_point t0) { return std::chrono::duration<double, std::milli>(Clock_::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::string run(std::vector<std::string> argv) {
  SpawnOptions o;
  o.argv = std::move(argv);
  o.env_set = {{"HGPLAIN", "1"}, {"HGUSER", "Bench <bench@example.org>"}};
  auto r = run_program(o);
  if (!r || r->exit_code != 0) {
    std::cerr << "failed: " << o.argv[0] << " " << (r ? r->err : r.error().message) << "\n";
    std::exit(1);
  }
  return r->out;
}

std::unique_ptr<Store> store_with_try(const std::string& repo, const std::string& ci, const Clock& clock) {
  auto s = open_store("sqlite://:memory:", clock);
  if (!s) std::exit(1);
  Branch b;
  b.name = "try";
  b.repo_url = repo;
  b.required_level = 1;
  b.ci_source = ci;
  if (!(*s)->create_branch(b, "bench").ok()) std::exit(1);
  return std::move(*s);
}

PatchSet testing(Store& store, const Clock& clock, BugId bug, const std::string& branch, const std::string& revision) {
  return testing::testing_patchset(store, clock,
                                   {.bug_id = bug,
                                    .patches = {1},
                                    .branch = branch,
                                    .stage = Stage::try_run,
                                    .request_key = branch + "/" + std::to_string(bug)},
                                   revision);
}

// Polls every `interval` until the patchset ends; returns the time the
// passes took (the part of the wait that is autoland's own work).
double poll_until_done(ResultsPoller& poller, Store& store, PatchSetId id, std::chrono::milliseconds interval) {
  double in_passes = 0;
  for (int i = 0; i < 1200; ++i) {
    auto t = Clock_::now();
    if (!poller.pass().ok()) std::exit(1);
    in_passes += ms_since(t);
    if (is_terminal(store.get_patchset(id)->state)) return in_passes;
    std::this_thread::sleep_for(interval);
  }
  std::cerr << "no verdict in 2 minutes for patchset " << id << " (" << to_string(store.get_patchset(id)->state)
            << ", revision " << store.get_patchset(id)->revision() << "); files kept\n";
  std::exit(1);
}

double baseline_ms(const std::vector<std::string>& argv, int rounds) {
  std::vector<double> v;
  for (int i = 0; i < rounds; ++i) {
    auto t = Clock_::now();
    run(argv);
    v.push_back(ms_since(t));
  }
  return median(v);
}

const std::vector<std::string> kJob = {"sh", "-c", "sleep 1"};
constexpr std::chrono::milliseconds kInterval{100};

void local_runner(const fs::path& dir, int rounds, double baseline) {
  std::string repo = (dir / "local-try").string();
  run({"hg", "init", repo});
  std::ofstream(fs::path(repo) / "a") << "a\n";
  run({"hg", "commit", "-R", repo, "-A", "-m", "base"});
  SystemClock clock;
  LocalCiOptions o;
  o.state_dir = (dir / "local-ci").string();
  o.workers = 2;
  o.branches = {{"try", repo, Vcs::hg, {{"job", kJob, 60, false}}}};
  auto ci = LocalCi::open(o, clock);
  if (!ci) std::exit(1);
  (*ci)->start();
  auto store = store_with_try(repo, "local", clock);
  ResultsPoller poller(*store, clock, [&](const std::string&) -> CiResults* { return ci->get(); });
  std::vector<double> total, passes;
  for (int i = 0; i < rounds; ++i) {
    // The commit lands in the repository the runner watches: that is the push.
    std::ofstream(fs::path(repo) / "a") << i << "\n";
    run({"hg", "commit", "-R", repo, "-m", "Bug 1 - change " + std::to_string(i)});
    std::string rev = run({"hg", "log", "-R", repo, "-r", "tip", "-T", "{node}"});
    auto t0 = Clock_::now();
    PatchSet ps = testing(*store, clock, 100 + i, "try", rev);
    passes.push_back(poll_until_done(poller, *store, ps.id, kInterval));
    total.push_back(ms_since(t0));
  }
  double t = median(total);
  std::printf(
      "local runner: push to verdict %.0f ms (median of %d); the job alone %.0f ms; overhead %.0f ms "
      "(%.2fx the job); poll passes %.1f ms in all, polling every %lld ms\n",
      t, rounds, baseline, t - baseline, t / baseline, median(passes), static_cast<long long>(kInterval.count()));
}

void buildbot(const fs::path& dir, int rounds, double baseline) {
  std::string repo = (dir / "bb-try").string();
  run({"hg", "init", repo});
  std::ofstream(fs::path(repo) / "a") << "a\n";
  run({"hg", "commit", "-R", repo, "-A", "-m", "base"});
  int www = testing::free_port(), pb = testing::free_port();
  std::string url = "http://127.0.0.1:" + std::to_string(www);
  std::ofstream(fs::path(repo) / ".hg" / "hgrc", std::ios::app)
      << "[hooks]\nchangegroup.buildbot = curl -sf -o /dev/null --data-urlencode revision=$HG_NODE_LAST "
         "--data-urlencode project=try --data-urlencode branch=default --data-urlencode author=bench --data-urlencode "
         "comments=bench "
      << url << "/change_hook/base\n";
  std::ofstream(dir / "builders.py") << R"PY(
f = util.BuildFactory()
f.addStep(steps.ShellCommand(name='job', command=['sh', '-c', 'sleep 1']))
ci_builders.append(util.BuilderConfig(name='job', workernames=['w1'], factory=f))
c['workers'].append(worker.Worker('absent', 'pass'))
ci_builders.append(util.BuilderConfig(name='queued', workernames=['absent'], factory=f))
ci_schedulers.append(schedulers.AnyBranchScheduler(name='try', builderNames=['job'], treeStableTimer=None,
    change_filter=util.ChangeFilter(project='try')))
ci_schedulers.append(schedulers.AnyBranchScheduler(name='held', builderNames=['queued'], treeStableTimer=None,
    change_filter=util.ChangeFilter(project='held')))
)PY";
  std::string scripts = std::string(AUTOLAND_SOURCE_DIR) + "/scripts/";
  auto t_start = Clock_::now();
  run({"bash", scripts + "start-buildbot.sh", (dir / "bb").string(), std::to_string(www), std::to_string(pb),
       (dir / "builders.py").string()});
  std::printf("buildbot: master and worker up in %.0f ms\n", ms_since(t_start));
  // Stopped however the bench ends (it exits on the first failure).
  static std::string stop_args[2];
  stop_args[0] = scripts + "stop-buildbot.sh";
  stop_args[1] = (dir / "bb").string();
  std::atexit([] { (void)run_program({.argv = {"bash", stop_args[0], stop_args[1]}}); });

  std::string wc = (dir / "bb-wc").string();
  run({"hg", "clone", "-q", repo, wc});
  SystemClock clock;
  auto store = store_with_try(repo, "buildbot", clock);
  BuildbotCi ci({.url = url, .timeout_ms = 10'000}, make_curl_transport({}));
  ResultsPoller poller(*store, clock, [&](const std::string&) -> CiResults* { return &ci; });
  std::vector<double> total, passes;
  for (int i = 0; i < rounds; ++i) {
    std::ofstream(fs::path(wc) / "a") << i << "\n";
    run({"hg", "commit", "-R", wc, "-m", "Bug 1 - change " + std::to_string(i)});
    std::string rev = run({"hg", "log", "-R", wc, "-r", "tip", "-T", "{node}"});
    auto t0 = Clock_::now();
    run({"hg", "push", "-q", "-R", wc, repo});
    PatchSet ps = testing(*store, clock, 200 + i, "try", rev);
    passes.push_back(poll_until_done(poller, *store, ps.id, kInterval));
    total.push_back(ms_since(t0));
  }
  double t = median(total);
  std::printf(
      "buildbot: push to verdict %.0f ms (median of %d); the job alone %.0f ms; beyond the job %.0f ms "
      "(buildbot's hook, scheduler, worker and autoland's polling); autoland's poll passes %.1f ms in all, "
      "polling every %lld ms\n",
      t, rounds, baseline, t - baseline, median(passes), static_cast<long long>(kInterval.count()));

  // 100 revisions in flight: changes for a builder no worker serves, so
  // their requests stay unstarted and every revision stays pending.
  auto transport = make_curl_transport({});
  std::vector<std::string> revisions;
  for (int i = 0; i < 100; ++i) {
    char rev[41];
    std::snprintf(rev, sizeof rev, "%040x", 0xbe000 + i);
    revisions.push_back(rev);
    HttpRequest post{
        .method = "POST",
        .url = url + "/change_hook/base",
        .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
        .body = "revision=" + std::string(rev) + "&project=held&branch=default&author=bench&comments=held"};
    if (!transport->send(post, nullptr)) std::exit(1);
  }
  auto held = store_with_try(repo, "buildbot", clock);
  Branch h = *held->get_branch("try");
  h.name = "held";
  if (!held->create_branch(h, "bench").ok()) std::exit(1);
  for (int i = 0; i < 100; ++i) {
    testing(*held, clock, static_cast<BugId>(300 + i), "held", revisions[i]);
  }
  // Wait until buildbot has scheduled every request.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  BuildbotCi fresh({.url = url, .timeout_ms = 10'000}, make_curl_transport({}));
  ResultsPoller held_poller(*held, clock, [&](const std::string&) -> CiResults* { return &fresh; });
  for (int pass = 1; pass <= 3; ++pass) {
    uint64_t before = fresh.stats().requests;
    auto t = Clock_::now();
    auto stats = held_poller.pass();
    if (!stats) std::exit(1);
    std::printf("buildbot, 100 revisions in flight, pass %d: %llu requests, %.0f ms (%d waiting)\n", pass,
                static_cast<unsigned long long>(fresh.stats().requests - before), ms_since(t), stats->waiting);
  }
}

}  // namespace

fs::path bench_dir;

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  util::set_log_level(util::LogLevel::warn);
  bench_dir = fs::temp_directory_path() / ("autoland-results-bench-" + std::to_string(::getpid()));
  fs::create_directories(bench_dir);
  // atexit runs in reverse: buildbot (registered later) stops before its folder goes.
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(bench_dir, ec);
  });
  double baseline = baseline_ms(kJob, rounds);
  local_runner(bench_dir, rounds, baseline);
  buildbot(bench_dir, rounds, baseline);
  return 0;
}
