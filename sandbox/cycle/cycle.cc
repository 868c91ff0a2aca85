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
#include "sandbox/cycle/distributed.h"
#include "sandbox/cycle/monitor.h"
#include "sandbox/cycle/oracle.h"
#include "sandbox/cycle/scenarios.h"
#include "sandbox/cycle/setup.h"
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
  auto set = set_up(args);
  if (!set) return fail(set.error());
  Setup& world = *set;
  if (args.distributed) return run_distributed(args, world, g_stop);
  const fs::path dir = world.dir;
  auto& server = world.server;
  const std::string& token = world.token;
  const std::string& api_url = world.api_url;
  if (Status s = write_config(world); !s.ok()) return fail(s.error());
  std::cout << "Bugzilla (sandbox) at " << server->url() << "; hg remotes try, mozilla-inbound, mozilla-central; "
            << "local CI; " << world.people.description << "; autoland API at " << api_url << "; " << scenarios().size()
            << " bugs tagged" << std::endl;

  {
    SystemClock clock;
    auto created = open_store("sqlite://" + (dir / "autoland.db").string(), clock, true, /*create=*/true);
    if (!created) return fail(created.error());  // as `autoland db init`
  }
  Config in_process = world.config;
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

  Monitor monitor(*wiring.store, *server);
  bool done = false;
  while (!g_stop && !done) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    done = monitor.tick();
    if (done) all_ended = true;
    // With kills, it ends only when the last child runs (and is found idle).
    if (args.crash_rounds > 0) done = done && last_child_up;
    if (seconds_since_start() > args.timeout_seconds) break;
  }
  std::string kills;
  if (args.crash_rounds > 0) {
    kills = " with " + std::to_string(args.crash_rounds) + " kills (" + std::to_string(kills_mid_run.load()) +
            " of them before every bug had ended)";
  }
  const double took = seconds_since_start();
  bool all_ok = summarize(monitor, world, kills);
  if (auto all = wiring.store->find_patchsets({.limit = 100000})) {
    std::printf("throughput: %zu patchsets in %.1f s: %.0f a minute (autoland run, SQLite, in-process bus)\n",
                all->size(), took, took > 0 ? 60.0 * static_cast<double>(all->size()) / took : 0.0);
  }

  if (args.keep_running && !g_stop) {
    std::error_code ec;
    std::string self = fs::read_symlink("/proc/self/exe", ec).string();
    if (ec) self = "autoland";
    std::cout << "\nStill running (Ctrl-C stops it).\n"
              << "  Bugzilla      " << server->url() << "  (API key sandbox-dana-key acts as dana@example.org)\n"
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
