#include "app/run_components.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include "adapters/ci/local/local_ci.h"
#include "adapters/treestatus/treestatus_client.h"
#include "app/api_wiring.h"
#include "app/bus_factory.h"
#include "app/ci_factory.h"
#include "app/component_options.h"
#include "app/directory_factory.h"
#include "app/vcs_factory.h"
#include "services/claims.h"
#include "services/commenter/commenter.h"
#include "services/queue/queue.h"
#include "services/queue/sheriff.h"
#include "services/results/push_watcher.h"
#include "services/results/results_poller.h"
#include "services/trigger/trigger.h"
#include "util/log.h"
#include "util/mutex.h"

namespace autoland {
namespace {

struct Component {
  std::string name;         // its role, and its queue on the bus
  std::string switch_name;  // its sheriff's switch: component/<switch_name>
  int interval_seconds = 10;
  // One pass: what it did, in a few words ("" when nothing), or the error.
  std::function<Result<std::string>()> pass;
};

// At most this many waiting deliveries are answered by one pass (a steady
// stream of them must not keep the pass from running).
constexpr size_t kMostAnsweredAtOnce = 64;

// What each component last did, for the heartbeat's "doing".
class Activity {
 public:
  void set(const std::string& component, std::string doing) {
    MutexLock lock(mu_);
    doing_[component] = std::move(doing);
  }
  std::string summary() {
    MutexLock lock(mu_);
    std::string out;
    for (const auto& [component, doing] : doing_) {
      if (doing.empty()) continue;
      if (!out.empty()) out += "; ";
      out += component + ": " + doing;
    }
    return out.empty() ? "idle" : out;
  }

 private:
  Mutex mu_;
  std::map<std::string, std::string> doing_ GUARDED_BY(mu_);
};

void loop(Component& c, Store& store, Bus& bus, Activity& activity, const std::atomic<bool>& stop) {
  // Deliveries that woke this pass: acknowledged once it has run (its
  // writes committed), so a process killed meanwhile leaves them to be
  // delivered again.
  std::vector<uint64_t> woken;
  while (!stop) {
    auto on = component_on(store, c.switch_name);
    if (on && *on) {
      auto did = c.pass();
      if (!did) {
        LOG_ERROR(c.name, did.error().message);
        activity.set(c.name, "error: " + did.error().message);
      } else {
        activity.set(c.name, *did);
        if (!did->empty()) (void)bus.publish({"patchset", 0});
      }
    } else if (on) {
      activity.set(c.name, "switched off");
    }
    for (uint64_t tag : woken) bus.ack(c.name, tag);
    woken.clear();
    // Until the next pass is due, or another component moved something;
    // whatever else is waiting already is answered by the same pass.
    auto first = bus.wait(c.name, std::chrono::seconds(c.interval_seconds));
    if (first) {
      woken.push_back(first->tag);
      while (woken.size() < kMostAnsweredAtOnce) {
        auto more = bus.wait(c.name, std::chrono::milliseconds(0));
        if (!more) break;
        woken.push_back(more->tag);
      }
    }
  }
}

std::string counted(std::initializer_list<std::pair<const char*, int>> counts) {
  std::string out;
  for (const auto& [what, n] : counts) {
    if (n == 0) continue;
    if (!out.empty()) out += ", ";
    out += std::string(what) + " " + std::to_string(n);
  }
  return out;
}

std::string this_host() {
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  return host;
}

std::string hex32(uint32_t v) {
  char out[9];
  std::snprintf(out, sizeof(out), "%08x", v);
  return out;
}

// The processes this one can see by pid: one kernel's boot (a cloned VM
// differs) and one pid namespace (a container differs), named briefly
// (FNV-1a, the same in every build). Host names alone are not enough:
// containers and clones often share one.
std::string pid_space() {
  std::string boot;
  std::ifstream("/proc/sys/kernel/random/boot_id") >> boot;
  struct stat ns = {};
  const std::string seen = boot + "/" + (::stat("/proc/self/ns/pid", &ns) == 0 ? std::to_string(ns.st_ino) : "");
  uint32_t h = 2166136261u;
  for (unsigned char c : seen) h = (h ^ c) * 16777619u;
  return hex32(h);
}

// HOST/PID/STARTED/SPACE-NONCE: the nonce keeps two processes apart that
// share everything else (same host name, pid 1 in two containers, same
// second); SPACE says whose pids a kill(pid, 0) here can judge.
std::string new_worker_id(const WorkerRecord& me, const std::string& space) {
  std::random_device random;
  return me.host + "/" + std::to_string(me.pid) + "/" + std::to_string(me.started_time) + "/" + space + "-" +
         hex32(random());
}

// The record's SPACE, "" for ids of another shape (older versions).
std::string pid_space_of(const std::string& worker_id) {
  const size_t slash = worker_id.rfind('/');
  const size_t dash = worker_id.rfind('-');
  if (slash == std::string::npos || dash == std::string::npos || dash < slash) return "";
  return worker_id.substr(slash + 1, dash - slash - 1);
}

// This process in the store's worker table: one heartbeat before anything
// else (a lease needs its holder alive), one every heartbeat_seconds, and
// its record and leases gone when it stops cleanly.
class Registration {
 public:
  Registration(Store& store, const Clock& clock, WorkerRecord me, int heartbeat_seconds, Activity& activity,
               Claims& claims)
      : store_(store),
        clock_(clock),
        me_(std::move(me)),
        every_(heartbeat_seconds),
        activity_(activity),
        claims_(claims) {}
  ~Registration() { stop(); }
  Status start() {
    AUTOLAND_TRY(beat(me_));
    beating_ = std::thread([this] {
      while (!wait_for_stop(std::chrono::seconds(every_))) {
        WorkerRecord now = me_;
        now.doing = clock_problem_.empty() ? activity_.summary() : clock_problem_;
        if (Status s = beat(now); !s.ok()) LOG_WARN("worker", "heartbeat: " + s.error().message);
      }
    });
    return {};
  }
  void stop() {
    {
      MutexLock lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    woken_.notify_all();
    if (beating_.joinable()) beating_.join();
    if (Status s = store_.retire_worker(me_.id); !s.ok()) LOG_WARN("worker", "retire: " + s.error().message);
  }

 private:
  // Writes a heartbeat and tells the claims it was heard (before the write:
  // its clock, the one the others judge it by).
  Status beat(const WorkerRecord& record) {
    const UnixTime at = clock_.now();
    AUTOLAND_TRY(store_.heartbeat(record));
    claims_.heard(at);
    // Shown as what it is doing from the next heartbeat on (/workers).
    AUTOLAND_TRY_ASSIGN(UnixTime server_time, store_.server_time());
    clock_problem_ = claims_.clock_compared(clock_.now(), server_time);
    return {};
  }

  bool wait_for_stop(std::chrono::seconds d) {
    MutexLock lock(mu_);
    const auto until = std::chrono::steady_clock::now() + d;
    while (!stopping_) {
      if (woken_.wait_until(mu_, until) == std::cv_status::timeout) break;
    }
    return stopping_;
  }
  Store& store_;
  const Clock& clock_;
  const WorkerRecord me_;
  const int every_;
  Activity& activity_;
  Claims& claims_;
  std::string clock_problem_;  // only the heartbeat thread (after start()) touches it
  Mutex mu_;
  std::condition_variable_any woken_;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread beating_;
};

}  // namespace

const std::vector<std::string>& worker_roles() {
  static const std::vector<std::string> roles = {"trigger", "queue", "pusher", "results", "commenter", "api"};
  return roles;
}

Status run_components(Wiring& wiring, const std::string& role, const std::atomic<bool>& stop) {
  const Config& config = wiring.config;
  const bool all = role == "run";
  auto runs = [&](std::string_view r) { return all || role == r; };
  if (!all && std::find(worker_roles().begin(), worker_roles().end(), role) == worker_roles().end()) {
    return invalid_input("unknown worker role '" + role + "' (one of trigger, queue, pusher, results, commenter, api)");
  }
  if (role == "api" && config.api.listen.empty()) {
    return invalid_input("the api worker needs api.listen in the configuration");
  }
  AUTOLAND_TRY_ASSIGN(auto directory, open_directory(config));
  // Result pollers on one host share one local CI: the first to open it
  // runs its jobs; other workers only read it.
  const LocalCiUse local_use = all                 ? LocalCiUse::own
                               : role == "results" ? LocalCiUse::own_or_attach
                                                   : LocalCiUse::attach;
  AUTOLAND_TRY_ASSIGN(auto sources, open_ci_sources(config, *wiring.store, wiring.clock, local_use));
  // The local CI runs its jobs in the process that polls results.
  if (sources.local && runs("results")) sources.local->start();
  auto ci_for = [&](const std::string& name) { return sources.find(name); };

  std::map<Vcs, std::unique_ptr<VersionControl>> vcs;
  auto vcs_for = [&](const Branch& b) -> VersionControl* {
    auto it = vcs.find(b.vcs);
    if (it == vcs.end()) {
      auto opened = open_vcs(b.vcs, config.vcs_cache_dir);
      if (!opened) {
        LOG_ERROR("queue", opened.error().message);
        return nullptr;
      }
      it = vcs.emplace(b.vcs, std::move(*opened)).first;
    }
    return it->second.get();
  };

  WorkerRecord me;
  me.host = this_host();
  me.role = role;
  me.pid = ::getpid();
  me.started_time = wiring.clock.now();
  const std::string space = pid_space();
  me.id = new_worker_id(me, space);
  Claims claims(*wiring.store, wiring.clock, me.id, config.workers.failover_seconds);

  Trigger trigger(*wiring.store, *wiring.bugs, trigger_options(config));

  std::unique_ptr<TreeStatusClient> trees;
  if (!config.tree_status_url.empty()) {
    trees = make_tree_status_client(config.tree_status_url, 10, config.tree_status_cache_seconds);
  }
  QueueOptions intake_options = queue_options(config);
  intake_options.run_pushes = false;
  intake_options.claims = &claims;
  intake_options.try_pending_jobs = [&](const std::string& try_branch) -> Result<int> {
    AUTOLAND_TRY_ASSIGN(auto branch, wiring.store->get_branch(try_branch));
    CiResults* ci = sources.find(branch.ci_source);
    if (!ci) return invalid_input("branch " + try_branch + " names no configured CI source");
    return ci->pending_jobs(try_branch);
  };
  Queue intake(*wiring.store, *wiring.bugs, *directory, wiring.clock, vcs_for, intake_options, trees.get());
  QueueOptions pusher_options = queue_options(config);
  pusher_options.actor = "pusher";
  pusher_options.run_intake = false;
  pusher_options.claims = &claims;
  Queue pusher(*wiring.store, *wiring.bugs, *directory, wiring.clock, vcs_for, pusher_options, trees.get());

  ResultsOptions results_options;
  results_options.claims = &claims;
  // Its own working clones' handles: the pushers use theirs on other
  // threads, and a clone's lock (not the handle) is what they share.
  std::map<Vcs, std::unique_ptr<VersionControl>> results_vcs;
  results_options.vcs_for = [&](const Branch& b) -> VersionControl* {
    auto it = results_vcs.find(b.vcs);
    if (it == results_vcs.end()) {
      auto opened = open_vcs(b.vcs, config.vcs_cache_dir);
      if (!opened) {
        LOG_ERROR("results", opened.error().message);
        return nullptr;
      }
      it = results_vcs.emplace(b.vcs, std::move(*opened)).first;
    }
    return it->second.get();
  };
  ResultsPoller poller(*wiring.store, wiring.clock, ci_for, results_options);
  PushWatcher watcher(*wiring.store, wiring.clock, ci_for);

  Commenter commenter(*wiring.store, *wiring.bugs, wiring.clock, commenter_options(config));

  // The roles that must be single lead through the store (Claims); the
  // others share their work, patchset by patchset.
  std::vector<Component> every = {
      {"trigger", "trigger", config.run_trigger_interval_seconds,
       [&]() -> Result<std::string> {
         if (!leads(&claims, "trigger")) return std::string();
         AUTOLAND_TRY_ASSIGN(auto s, trigger.poll_once());
         return counted({{"created", s.patchsets_created}});
       }},
      {"queue", "queue", config.run_queue_interval_seconds,
       [&]() -> Result<std::string> {
         if (!leads(&claims, "queue")) return std::string();
         AUTOLAND_TRY_ASSIGN(auto s, intake.pass());
         return counted({{"validating", s.validating},
                         {"validated", s.validated},
                         {"rejected", s.rejected},
                         {"started", s.started}});
       }},
      // The queue's own switch holds it: switching the pusher off holds new
      // pushes only (at scheduling), and pushes under way finish.
      {"pusher", "queue", config.run_queue_interval_seconds,
       [&]() -> Result<std::string> {
         AUTOLAND_TRY_ASSIGN(auto s, pusher.pass());
         return counted({{"pushed", s.pushed}, {"failed", s.failed}, {"backed out", s.backed_out}});
       }},
      {"results", "results", config.results_interval_seconds,
       [&]() -> Result<std::string> {
         AUTOLAND_TRY_ASSIGN(auto s, poller.pass());
         int reported = 0;
         if (leads(&claims, "push-watcher")) {
           AUTOLAND_TRY_ASSIGN(auto p, watcher.pass());
           reported = p.reported;
         }
         return counted({{"stepped", s.stepped}, {"reported", reported}});
       }},
      {"commenter", "commenter", config.run_commenter_interval_seconds,
       [&]() -> Result<std::string> {
         AUTOLAND_TRY(commenter.drain_once());
         return std::string();
       }},
  };
  std::vector<Component> components;
  for (Component& c : every) {
    if (runs(c.name)) components.push_back(std::move(c));
  }
  AUTOLAND_TRY_ASSIGN(auto bus_owned, open_bus(config.bus));
  Bus& bus = *bus_owned;
  for (const Component& c : components) bus.subscribe(c.name, {"patchset"});

  // Workers whose pids this process sees that died (kill -9, a crash) give
  // up their leadership and claims now rather than after the failover
  // time: their processes are gone (a reused pid only delays this to the
  // failover). Any other worker is judged by its heartbeats alone.
  if (auto known = wiring.store->list_workers()) {
    for (const WorkerRecord& w : *known) {
      const bool gone = w.host == me.host && pid_space_of(w.id) == space && w.pid > 0 &&
                        ::kill(static_cast<pid_t>(w.pid), 0) != 0 && errno == ESRCH;
      if (!gone) continue;
      LOG_INFO("worker", "retiring " + w.id + ": its process is gone");
      (void)wiring.store->retire_worker(w.id);
    }
  }
  Activity activity;
  Registration registration(*wiring.store, wiring.clock, me, config.workers.heartbeat_seconds, activity, claims);
  // The store may go away between opening it and the first heartbeat (a
  // restart): waited for, as at the start.
  for (auto wait = std::chrono::milliseconds(200);; wait = std::min(wait * 2, std::chrono::milliseconds(5000))) {
    Status started = registration.start();
    if (started.ok()) break;
    if (started.error().kind != ErrorKind::transient) return started.error();
    if (stop) return {};  // stopped while waiting: nothing was started
    if (wait == std::chrono::milliseconds(200)) LOG_WARN("worker", started.error().message + "; waiting for the store");
    for (auto slept = std::chrono::milliseconds(0); slept < wait && !stop; slept += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  // The API serves on its own threads beside the components.
  std::unique_ptr<api::ApiServer> api_server;
  if (runs("api") && !config.api.listen.empty()) {
    AUTOLAND_TRY_ASSIGN(auto started,
                        start_api(wiring, {directory.get(), trees.get(), &sources, &bus}, config.api.listen));
    api_server = std::move(started);
  }

  std::string names;
  for (const Component& c : components) names += (names.empty() ? "" : ", ") + c.name;
  if (api_server) names += names.empty() ? "api" : ", api";
  LOG_INFO("run", "autoland is running as " + me.id + ": " + names + " (SIGTERM stops it)");
  std::atomic<bool> quit{false};
  std::vector<std::thread> threads;
  for (Component& c : components) {
    threads.emplace_back([&c, &wiring, &bus, &activity, &quit] { loop(c, *wiring.store, bus, activity, quit); });
  }
  // A store that was deleted, replaced or found corrupt stops everything:
  // going on would act on state that is no longer kept anywhere.
  std::optional<Error> store_lost;
  while (!stop && !store_lost) {
    store_lost = wiring.store->unusable();
    if (!store_lost) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (store_lost) LOG_ERROR("run", store_lost->message);
  LOG_INFO("run", "stopping: each component finishes its pass");
  quit = true;
  bus.close();
  for (std::thread& t : threads) t.join();
  if (api_server) api_server->stop();
  if (!store_lost) registration.stop();  // its leases go to the others at once
  LOG_INFO("run", "stopped");
  if (store_lost) return *store_lost;
  return {};
}

}  // namespace autoland
