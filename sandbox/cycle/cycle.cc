#include "sandbox/cycle/cycle.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <thread>

#include "adapters/process/subprocess.h"
#include "api/api_auth.h"
#include "app/config.h"
#include "app/config_writer.h"
#include "app/run_components.h"
#include "app/store_factory.h"
#include "app/wiring.h"
#include "core/comments.h"
#include "sandbox/bugzilla/bugzilla_server.h"
#include "sandbox/cycle/monitor.h"
#include "sandbox/cycle/oracle.h"
#include "sandbox/cycle/scenarios.h"
#include "sandbox/cycle/world.h"
#include "util/log.h"
#include "util/ports.h"

namespace autoland::sandbox::cycle {
namespace {

namespace fs = std::filesystem;

int fail(const std::string& message) {
  std::cerr << "error: " << message << std::endl;
  return 1;
}
int fail(const Error& error) { return fail(error.message); }

// `autoland run` as a child process, its output appended to run.log.
Result<Subprocess> spawn_run(const std::string& binary, const fs::path& dir) {
  SpawnOptions o;
  o.argv = {binary, "--config", (dir / "autoland.toml").string(), "run"};
  o.output_file = (dir / "run.log").string();
  return Subprocess::spawn(o);
}

}  // namespace

int run_cycle(const CycleOptions& args, std::atomic<bool>& g_stop) {
  util::set_log_level(util::LogLevel::warn);
  restart_clock();
  fs::path dir = args.dir;
  if (dir.empty()) {
    char tmpl[] = "/tmp/autoland-sandbox-XXXXXX";
    if (!::mkdtemp(tmpl)) return fail("cannot make a temp dir");
    dir = tmpl;
  }
  fs::create_directories(dir / "marks");
  std::cout << "autoland sandbox in " << dir.string() << std::endl;
  auto patches = make_repositories(dir);
  if (!patches) return fail(patches.error());
  auto server = sandbox::BugzillaServer::start(seed(*patches), {});
  if (!server) return fail(server.error());
  auto people = start_directory(dir);
  if (!people) return fail(people.error());
  // The API, with a sheriff token made for this run (only its hash is in the config).
  const int api_port = util::unused_local_port();
  const std::string token = api::random_token();
  auto config = sandbox_config(dir, (*server)->url(), *people, api_port, api::sha256_hex(token));
  if (!config) return fail(config.error());
  if (Status s = write(dir / "autoland.toml", to_toml(*config)); !s.ok()) return fail(s.error());
  if (Status s = write(dir / "api-token", token + "\n"); !s.ok()) return fail(s.error());
  const std::string api_url = "http://127.0.0.1:" + std::to_string(api_port);
  std::cout << "Bugzilla (sandbox) at " << (*server)->url() << "; hg remotes try, mozilla-inbound, mozilla-central; "
            << "local CI; " << people->description << "; autoland API at " << api_url << "; " << scenarios().size()
            << " bugs tagged" << std::endl;

  {
    SystemClock clock;
    auto created = open_store("sqlite://" + (dir / "autoland.db").string(), clock, true, /*create=*/true);
    if (!created) return fail(created.error());  // as `autoland db init`
  }
  Config in_process = *config;
  in_process.source = (dir / "autoland.toml").string();
  auto w = open_wiring(std::move(in_process), /*with_bugzilla=*/true);
  if (!w) return fail(w.error());
  Wiring& wiring = **w;
  std::atomic<bool> finished{false};   // the summary is out: stop the last child
  std::atomic<bool> all_ended{false};  // every bug has reached its end
  std::atomic<bool> last_child_up{false};
  std::atomic<int> kills_mid_run{0};  // kills while some bug was still on its way
  int final_exit = 0;
  std::printf("set up in %.1fs; from here on, times count from autoland's start\n", seconds_since_start());
  restart_clock();
  std::thread components;
  if (args.crash_rounds <= 0) {
    components = std::thread([&wiring, &g_stop] {
      Status ran = run_components(wiring, "run", g_stop);
      if (!ran.ok()) LOG_ERROR("sandbox", ran.error().message);
    });
  } else {
    // `autoland run` in a child process, killed with SIGKILL at random
    // moments and started again each time; then one that runs to the end
    // and is stopped with SIGTERM (it must drain and exit 0).
    std::cout << "autoland run as a child process, killed with SIGKILL " << args.crash_rounds
              << " times at random moments (log: " << (dir / "run.log").string() << ")" << std::endl;
    components = std::thread([&, rounds = args.crash_rounds] {
      std::mt19937 random(std::random_device{}());
      std::uniform_int_distribution<int> pause_ms(150, 1000);
      for (int k = 1; k <= rounds && !g_stop; ++k) {
        auto child = spawn_run(args.autoland_binary, dir);
        if (!child) {
          say("cannot start autoland run: " + child.error().message);
          g_stop = true;
          return;
        }
        int ms = pause_ms(random);
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        child->kill_now();
        child->wait();
        if (!all_ended) ++kills_mid_run;
        say("kill -9 " + std::to_string(k) + "/" + std::to_string(rounds) + " after " + std::to_string(ms) + " ms");
      }
      if (g_stop) return;
      auto child = spawn_run(args.autoland_binary, dir);
      if (!child) {
        say("cannot start autoland run: " + child.error().message);
        g_stop = true;
        return;
      }
      last_child_up = true;
      // At least a second up, so that SIGTERM finds its handler in place.
      std::this_thread::sleep_for(std::chrono::seconds(1));
      while (!finished && !g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ::kill(child->pid(), SIGTERM);
      final_exit = child->wait();
    });
  }

  Monitor monitor(*wiring.store, **server);
  bool done = false;
  while (!g_stop && !done) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    done = monitor.tick();
    if (done) all_ended = true;
    // With kills, it ends only when the last child runs (and is found idle).
    if (args.crash_rounds > 0) done = done && last_child_up;
    if (seconds_since_start() > args.timeout_seconds) break;
  }
  const double took = seconds_since_start();

  // The summary.
  bool all_ok = true;
  std::printf("\n%-4s %-34s %-11s %-11s %-14s %-14s %s\n", "bug", "scenario", "expected", "outcome", "try", "landed",
              "comments");
  for (const Scenario& s : scenarios()) {
    std::string got = monitor.outcome(s.bug);
    bool ok = got == s.expected;
    all_ok = all_ok && ok;
    int comments = 0;
    for (const sandbox::PostedComment& c : (*server)->comments(s.bug))
      comments += find_dedup_marker(c.text).has_value();
    const PatchSet* ps = monitor.patchset(s.bug);
    std::printf("%-4llu %-34s %-11s %-11s %-14s %-14s %d%s\n", static_cast<unsigned long long>(s.bug), s.title.c_str(),
                s.expected.c_str(), got.c_str(), ps ? short_rev(ps->try_revision).c_str() : "-",
                ps ? short_rev(ps->landing_revision).c_str() : "-", comments, ok ? "" : "   <-- not as expected");
    if (!ok && ps) std::printf("     why: %s\n", ps->state_reason.c_str());
  }
  int comments_total = 0;
  std::vector<std::string> problems = check_exactly_once(dir, **server, &comments_total);
  for (const std::string& p : problems) std::printf("exactly once: %s\n", p.c_str());
  if (problems.empty()) {
    std::printf(
        "\nexactly once: %d comments on %zu bugs, no event twice; one try push per try run; "
        "each landing and backout once on mozilla-inbound\n",
        comments_total, scenarios().size());
  }
  all_ok = all_ok && problems.empty();
  std::string kills;
  if (args.crash_rounds > 0) {
    kills = " with " + std::to_string(args.crash_rounds) + " kills (" + std::to_string(kills_mid_run.load()) +
            " of them before every bug had ended)";
  }
  std::printf("%s in %.1fs%s\n", all_ok ? "every bug reached its expected end" : "SOME BUGS DID NOT END AS EXPECTED",
              took, kills.c_str());
  std::fflush(stdout);

  if (args.keep_running && !g_stop) {
    std::error_code ec;
    std::string self = fs::read_symlink("/proc/self/exe", ec).string();
    if (ec) self = "autoland";
    std::cout << "\nStill running (Ctrl-C stops it).\n"
              << "  Bugzilla      " << (*server)->url() << "  (API key sandbox-dana-key acts as dana@example.org)\n"
              << "  autoland API  " << api_url << "  token " << token << "  (sheriff; also in "
              << (dir / "api-token").string() << ")\n"
              << "  config        " << (dir / "autoland.toml").string() << "\n\n"
              << "Try the kill switch on bug 12 (reviewed, not yet asked for):\n"
              << "  export AUTOLAND_URL=" << api_url << " AUTOLAND_TOKEN=" << token << "\n"
              << "  " << self << " ctl killswitch on\n"
              << "  " << self
              << " ctl bug request 12 --branch mozilla-inbound --patch 120 --requester dana@example.org\n"
              << "  " << self << " ctl queue                # it waits: nothing is pushed\n"
              << "  " << self << " ctl killswitch off       # it goes: try, then mozilla-inbound\n"
              << "  " << self << " ctl bug show 12\n"
              << std::endl;
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  finished = true;
  g_stop = true;
  components.join();
  if (args.crash_rounds > 0 && final_exit != 0) {
    std::printf("autoland run did not stop cleanly on SIGTERM (exit %d)\n", final_exit);
    all_ok = false;
  }
  if (args.dir.empty() && all_ok) fs::remove_all(dir);
  return all_ok ? 0 : 1;
}

}  // namespace autoland::sandbox::cycle
