#include "sandbox/cycle/distributed.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "adapters/ci/local/local_ci.h"
#include "adapters/process/subprocess.h"
#include "app/ci_factory.h"
#include "app/store_factory.h"
#include "app/wiring.h"
#include "sandbox/cycle/scenarios.h"
#include "sandbox/postgres/throwaway_postgres.h"
#include "sandbox/rabbitmq/throwaway_rabbitmq.h"
#include "util/mutex.h"
#include "util/strings.h"

namespace autoland::sandbox::cycle {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

int fail(const std::string& message) {
  std::cerr << "error: " << message << std::endl;
  return 1;
}

// One `autoland worker ROLE` process, started again after each kill.
struct Worker {
  std::string role;
  int index = 0;
  std::optional<Subprocess> process;
  int kills = 0;
  std::string name() const { return role + "-" + std::to_string(index); }
};

// The worker processes, as the distributed shape has them.
std::vector<Worker> worker_plan(bool reverse, int pushers) {
  std::vector<Worker> plan;
  for (const auto& [role, count] : std::vector<std::pair<std::string, int>>{
           {"trigger", 2}, {"queue", 1}, {"pusher", pushers}, {"results", 2}, {"commenter", 2}, {"api", 1}}) {
    for (int i = 1; i <= count; ++i) plan.push_back({role, i});
  }
  if (reverse) std::reverse(plan.begin(), plan.end());
  return plan;
}

Status start(Worker& w, const std::string& binary, const fs::path& dir) {
  SpawnOptions o;
  o.argv = {binary, "--config", (dir / "autoland.toml").string(), "worker", w.role};
  o.output_file = (dir / "logs" / (w.name() + ".log")).string();
  // Each worker has its own clone cache, as on hosts of their own.
  o.env_set = {{"AUTOLAND_VCS_CACHE_DIR", (dir / "caches" / w.name()).string()}};
  AUTOLAND_TRY_ASSIGN(w.process, Subprocess::spawn(o));
  return {};
}

// Messages on the sandbox's queues not acknowledged yet, by queue.
Result<std::map<std::string, int>> unacknowledged(sandbox::ThrowawayRabbitMq& broker) {
  AUTOLAND_TRY_ASSIGN(auto listed,
                      broker.ctl({"list_queues", "-q", "--no-table-headers", "name", "messages_unacknowledged"}));
  std::map<std::string, int> out;
  std::istringstream in(listed);
  std::string name;
  int n = 0;
  while (in >> name >> n) out[name] = n;
  return out;
}

}  // namespace

int run_distributed(const CycleOptions& args, Setup& world, std::atomic<bool>& g_stop) {
  const fs::path dir = world.dir;
  if (!sandbox::ThrowawayPostgres::installed() || !sandbox::ThrowawayRabbitMq::installed()) {
    return fail(
        "autoland sandbox --distributed runs its workers on a PostgreSQL server and a RabbitMQ broker of its own, "
        "and needs Debian's postgresql and rabbitmq-server installed (scripts/install-deps.sh all): " +
        std::string(sandbox::ThrowawayPostgres::installed() ? "" : "postgresql is not installed. ") +
        (sandbox::ThrowawayRabbitMq::installed() ? "" : "rabbitmq-server is not installed."));
  }
  auto pg = sandbox::ThrowawayPostgres::start((dir / "postgres").string(), 0);
  if (!pg) return fail("PostgreSQL: " + pg.error().message);
  auto broker = sandbox::ThrowawayRabbitMq::start((dir / "rabbitmq").string(), 0);
  if (!broker) return fail("RabbitMQ: " + broker.error().message);

  Config& config = world.config;
  config.store_url = (*pg)->url();
  config.bus.url = (*broker)->url();
  config.bus.name = "sandbox";
  // Kills are noticed within seconds, so that the run ends in minutes.
  config.workers.heartbeat_seconds = 1;
  config.workers.failover_seconds = 3;
  if (Status s = write_config(world); !s.ok()) return fail(s.error().message);
  fs::create_directories(dir / "logs");
  fs::create_directories(dir / "caches");

  {
    SystemClock clock;
    auto created = open_store(config.store_url, clock, true, /*create=*/true);  // as `autoland db init`
    if (!created) return fail(created.error().message);
  }
  // This process's view of the store (the branches seeded from the config,
  // as every worker's), and the local CI's runner: the workers only attach
  // to it, so that a worker killed mid-job leaves no job behind.
  Config mine = config;
  mine.source = (dir / "autoland.toml").string();
  auto wired = open_wiring(std::move(mine), /*with_bugzilla=*/false);
  if (!wired) return fail(wired.error().message);
  Wiring& wiring = **wired;
  auto ci = open_ci_sources(wiring.config, *wiring.store, wiring.clock, LocalCiUse::own);
  if (!ci) return fail("the local CI: " + ci.error().message);
  if (ci->local) ci->local->start();
  std::unique_ptr<Store>& store = wiring.store;

  std::vector<Worker> workers = worker_plan(args.reverse_order, args.pushers);
  std::string started;
  for (Worker& w : workers) {
    if (Status s = start(w, args.autoland_binary, dir); !s.ok()) return fail(w.name() + ": " + s.error().message);
    started += (started.empty() ? "" : ", ") + w.name();
  }
  std::cout << "Bugzilla (sandbox) at " << world.server->url() << "; PostgreSQL at " << (*pg)->url() << "; RabbitMQ at "
            << util::redact_url((*broker)->url()) << "; " << scenarios().size() << " bugs tagged\nworkers (logs in "
            << (dir / "logs").string() << "): " << started << std::endl;
  restart_clock();

  // Chaos while the bugs are on their way: a worker killed with SIGKILL
  // every couple of seconds (and started again at once), the pushers' queue
  // purged, the broker restarted, then the database.
  Mutex mu;  // the workers' processes, between the chaos and the end
  std::atomic<bool> all_ended{false};
  std::vector<std::string> chaos_done;
  // The run does not end before the purge and both restarts happened: a
  // short run (or a slow broker restart) would otherwise skip them.
  std::atomic<bool> chaos_steps_done{!args.chaos};
  std::thread chaos;
  if (args.chaos) {
    chaos = std::thread([&] {
      std::mt19937 random(std::random_device{}());
      auto pause = [&](int ms) {
        for (int waited = 0; waited < ms && !g_stop && !all_ended; waited += 50) {
          std::this_thread::sleep_for(milliseconds(50));
        }
        return !g_stop && !all_ended;
      };
      auto kill_one = [&] {
        MutexLock lock(mu);
        std::uniform_int_distribution<size_t> pick(0, workers.size() - 1);
        Worker& w = workers[pick(random)];
        w.process->kill_now();
        w.process->wait();
        ++w.kills;
        Status again = start(w, args.autoland_binary, dir);
        say("kill -9 " + w.name() +
            (again.ok() ? "; started again" : "; cannot start it again: " + again.error().message));
        chaos_done.push_back((again.ok() ? "kill -9 " : "FAILED to start again after kill -9 ") + w.name());
      };
      int step = 0;
      while (pause(1500)) {
        ++step;
        kill_one();
        if (step == 2) {
          auto purged = (*broker)->ctl({"purge_queue", "sandbox.pusher"});
          say(purged ? "purged the queue sandbox.pusher" : "purge failed: " + purged.error().message);
          chaos_done.push_back(purged ? "purge sandbox.pusher" : "FAILED purge sandbox.pusher");
        } else if (step == 4) {
          Status s = (*broker)->restart();
          say(s.ok() ? "restarted RabbitMQ" : "RabbitMQ did not come back: " + s.error().message);
          chaos_done.push_back(s.ok() ? "restart RabbitMQ" : "FAILED restart RabbitMQ");
        } else if (step == 6) {
          Status s = (*pg)->restart();
          say(s.ok() ? "restarted PostgreSQL" : "PostgreSQL did not come back: " + s.error().message);
          chaos_done.push_back(s.ok() ? "restart PostgreSQL" : "FAILED restart PostgreSQL");
          chaos_steps_done = true;
        }
      }
    });
  }

  // Failover, timed: the pid of a lease's holder is in its worker id (HOST/PID/STARTED/SPACE-NONCE).
  std::vector<std::string> figures;
  std::thread measure;
  if (args.measure_failover) {
    measure = std::thread([&] {
      auto holder_pid = [](const std::string& id) -> pid_t {
        auto first = id.find('/');
        auto second = id.find('/', first + 1);
        if (first == std::string::npos || second == std::string::npos) return -1;
        return static_cast<pid_t>(std::atoll(id.substr(first + 1, second - first - 1).c_str()));
      };
      // Killed, then started again at once on the same host (it retires
      // its dead predecessor: the fast path), or kept dead until another
      // worker has taken over (a host lost: the heartbeats' failover).
      auto kill_worker = [&](pid_t pid, bool restart) -> std::string {
        MutexLock lock(mu);
        for (Worker& w : workers) {
          if (w.process && w.process->pid() == pid) {
            w.process->kill_now();
            w.process->wait();
            if (restart) (void)start(w, args.autoland_binary, dir);
            return w.name();
          }
        }
        return "";
      };
      auto start_again = [&](const std::string& name) {
        MutexLock lock(mu);
        for (Worker& w : workers) {
          if (w.name() == name) (void)start(w, args.autoland_binary, dir);
        }
      };
      auto waited = [](std::chrono::steady_clock::time_point since) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
      };
      auto how = [](bool restart) {
        return restart ? std::string(" (started again at once)") : std::string(" (kept dead: its host lost)");
      };
      for (bool restart : {true, false}) {
        // Kept dead until both measurements of the round are done: a worker
        // started meanwhile retires the dead ones of its host at once (the
        // fast path), which would pass for a failover.
        std::vector<std::string> kept_dead;
        // The workers started again in the first round are through their
        // start (and its retiring) before the second round kills.
        if (!restart) std::this_thread::sleep_for(std::chrono::seconds(3));
        // A pusher killed mid-push.
        while (!g_stop && !all_ended) {
          auto leases = store->list_leases();
          std::optional<LeaseRecord> push;
          if (leases) {
            for (const LeaseRecord& l : *leases) {
              if (l.key.find("/push") != std::string::npos) push = l;
            }
          }
          if (!push) {
            std::this_thread::sleep_for(milliseconds(20));
            continue;
          }
          const PatchSetId id = std::atoll(push->key.substr(9).c_str());
          auto before = store->get_patchset(id);
          if (!before || before->state != State::pushing) continue;
          const std::string name = kill_worker(holder_pid(push->holder), restart);
          if (name.empty()) continue;
          const auto killed = std::chrono::steady_clock::now();
          while (!g_stop && !all_ended) {
            auto now = store->get_patchset(id);
            if (now && now->version != before->version) break;
            std::this_thread::sleep_for(milliseconds(20));
          }
          figures.push_back("kill -9 of " + name + " mid-push to patchset " + std::to_string(id) +
                            " moving again: " + std::to_string(waited(killed)).substr(0, 5) + " s" + how(restart));
          if (!restart) kept_dead.push_back(name);
          break;
        }
        // The trigger's leader.
        while (!g_stop && !all_ended) {
          auto leases = store->list_leases();
          std::optional<LeaseRecord> leader;
          if (leases) {
            for (const LeaseRecord& l : *leases) {
              if (l.key == "leader/trigger") leader = l;
            }
          }
          if (!leader) {
            std::this_thread::sleep_for(milliseconds(20));
            continue;
          }
          const std::string name = kill_worker(holder_pid(leader->holder), restart);
          if (name.empty()) break;
          const auto killed = std::chrono::steady_clock::now();
          const UnixTime killed_at = SystemClock().now();
          while (!g_stop && !all_ended) {
            auto now = store->list_leases();
            bool taken = false;
            if (now) {
              for (const LeaseRecord& l : *now)
                taken = taken || (l.key == "leader/trigger" && l.holder != leader->holder);
            }
            if (taken) break;
            std::this_thread::sleep_for(milliseconds(20));
          }
          // Why it passed on, in the store's words ("silent since T": the
          // holder's last heartbeat, against the kill's second).
          std::string why;
          if (auto events = store->list_events({.limit = 50, .newest = true})) {
            for (const AuditEvent& e : *events) {
              if (e.what == "lease.takeover" && e.detail.rfind("leader/trigger from " + leader->holder, 0) == 0) {
                why = "; " + e.detail + ", killed at " + std::to_string(killed_at);
              }
            }
          }
          figures.push_back("kill -9 of the leading " + name + " to another worker leading the poll: " +
                            std::to_string(waited(killed)).substr(0, 5) + " s" + how(restart) + why);
          if (!restart) kept_dead.push_back(name);
          break;
        }
        for (const std::string& name : kept_dead) start_again(name);
      }
    });
  }

  Monitor monitor(*store, *world.server);
  bool done = false;
  while (!g_stop && !done) {
    std::this_thread::sleep_for(milliseconds(250));
    done = monitor.tick() && chaos_steps_done;
    if (seconds_since_start() > args.timeout_seconds) break;
  }
  all_ended = true;
  if (chaos.joinable()) chaos.join();
  if (measure.joinable()) measure.join();
  const double took = seconds_since_start();

  // Idle workers acknowledge everything within a pass or two.
  std::map<std::string, int> left;
  std::optional<Error> uncounted;
  for (int i = 0; i < 40; ++i) {
    auto counted = unacknowledged(**broker);
    if (!counted) {
      uncounted = counted.error();
    } else {
      uncounted.reset();
      left = *counted;
      int total = 0;
      for (const auto& [queue, n] : left) total += n;
      if (total == 0) break;
    }
    std::this_thread::sleep_for(milliseconds(250));
  }
  std::string ending = " with " + std::to_string(workers.size()) + " worker processes";
  if (args.reverse_order) ending += " started in reverse order";
  if (!chaos_done.empty()) ending += "; chaos: " + std::to_string(chaos_done.size()) + " events";
  bool all_ok = summarize(monitor, world, ending);
  // Nothing passes for not having been looked at: the broker must have
  // answered, with a queue for every kind of worker that listens.
  if (uncounted) {
    std::printf("the broker's queues could not be counted: %s\n", uncounted->message.c_str());
    all_ok = false;
  }
  for (const char* role : {"trigger", "queue", "pusher", "results", "commenter"}) {
    if (!uncounted && !left.count(std::string("sandbox.") + role)) {
      std::printf("the broker has no queue sandbox.%s: the bus was never used\n", role);
      all_ok = false;
    }
  }
  for (const auto& [queue, n] : left) {
    if (n != 0) {
      std::printf("left unacknowledged: %d message(s) on %s\n", n, queue.c_str());
      all_ok = false;
    }
  }
  for (const std::string& event : chaos_done) {
    if (event.rfind("FAILED ", 0) == 0) {
      std::printf("chaos step %s\n", event.c_str());
      all_ok = false;
    }
  }
  if (args.chaos) {
    for (const char* needed : {"purge sandbox.pusher", "restart RabbitMQ", "restart PostgreSQL"}) {
      if (std::find(chaos_done.begin(), chaos_done.end(), needed) == chaos_done.end()) {
        std::printf("the run ended before the chaos step '%s'\n", needed);
        all_ok = false;
      }
    }
  }
  // One patchset per request, however many triggers polled.
  auto all = store->find_patchsets({.limit = 100000});
  std::map<BugId, int> per_bug;
  if (!all) {
    std::printf("the patchsets could not be read back: %s\n", all.error().message.c_str());
    all_ok = false;
  } else {
    for (const PatchSet& p : *all) ++per_bug[p.bug_id];
  }
  for (const auto& [bug, n] : per_bug) {
    if (n != 1) {
      std::printf("bug %llu has %d patchsets: a request was taken more than once\n",
                  static_cast<unsigned long long>(bug), n);
      all_ok = false;
    }
  }
  if (args.keep_running && !g_stop) {
    std::cout << "\nStill running (Ctrl-C stops it).\n"
              << "  autoland API  " << world.api_url << "  token " << world.token << "  (sheriff; also in "
              << (dir / "api-token").string() << ")\n"
              << "  store         " << config.store_url << "\n"
              << "  config        " << (dir / "autoland.toml").string() << std::endl;
    while (!g_stop) std::this_thread::sleep_for(milliseconds(200));
  }
  // SIGTERM: each worker finishes its pass, retires and exits 0.
  std::vector<std::string> unclean;
  {
    MutexLock lock(mu);
    for (Worker& w : workers) ::kill(w.process->pid(), SIGTERM);
    for (Worker& w : workers) {
      const int code = w.process->wait();
      if (code != 0) unclean.push_back(w.name() + " exit " + std::to_string(code));
    }
  }

  for (const std::string& u : unclean) {
    std::printf("a worker did not stop cleanly on SIGTERM: %s\n", u.c_str());
    all_ok = false;
  }
  std::string events;
  for (const std::string& e : chaos_done) events += (events.empty() ? "" : ", ") + e;
  if (!events.empty()) std::printf("chaos: %s\n", events.c_str());
  for (const std::string& f : figures)
    std::printf("failover: %s (workers.failover_seconds = %d)\n", f.c_str(), config.workers.failover_seconds);
  const size_t patchsets = all ? all->size() : 0;
  std::printf("throughput: %zu patchsets in %.1f s: %.0f a minute with %d pusher(s)\n", patchsets, took,
              took > 0 ? 60.0 * static_cast<double>(patchsets) / took : 0.0, args.pushers);
  std::printf("distributed: %s; %.1f s\n", all_ok ? "all as expected" : "NOT AS EXPECTED", took);
  std::fflush(stdout);
  if (args.dir.empty() && all_ok) fs::remove_all(dir);
  return all_ok ? 0 : 1;
}

}  // namespace autoland::sandbox::cycle
