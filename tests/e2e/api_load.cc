// 50 clients (or N) against a running autoland's API for S seconds, each with
// its own keep-alive connection: reads of the queue, a patchset, the metrics
// and the audit log, kill switch flips, and priority writes, each patchset
// written by one client only. It fails on any error answer, any answer that
// is not whole JSON, and on torn state: afterwards every patchset must hold
// the priority its client wrote last, and the kill switch the value last set.
// Prints p50/p99 per route.
//
//   autoland_api_load URL TOKEN [CLIENTS] [SECONDS]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kBaseline = "GET (unknown route: baseline)";

struct Shared {
  std::mutex mu;
  std::map<std::string, std::vector<double>> ms;  // by route
  std::vector<std::string> errors;
  std::atomic<int> requests{0};
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s URL TOKEN [CLIENTS] [SECONDS]\n", argv[0]);
    return 2;
  }
  std::string url = argv[1];
  const std::string token = argv[2];
  const int clients = argc > 3 ? std::atoi(argv[3]) : 50;
  const int seconds = argc > 4 ? std::atoi(argv[4]) : 10;
  httplib::Headers auth = {{"Authorization", "Bearer " + token}};

  // The patchsets there are; client i owns patchset i (if there is one).
  httplib::Client setup(url);
  std::vector<int64_t> ids;
  {
    auto r = setup.Get("/events?limit=1000", auth);
    if (!r || r->status != 200) {
      std::fprintf(stderr, "cannot read the API at %s\n", url.c_str());
      return 1;
    }
    for (int64_t id = 1; id < 200; ++id) {
      auto p = setup.Get(("/patchSets/" + std::to_string(id)).c_str(), auth);
      if (p && p->status == 200) ids.push_back(id);
    }
  }
  std::printf("%d clients for %d s against %s (%zu patchsets)\n", clients, seconds, url.c_str(), ids.size());

  Shared shared;
  std::vector<int> last_priority(ids.size(), 0);
  std::vector<std::thread> threads;
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client http(url);
      http.set_keep_alive(true);
      http.set_tcp_nodelay(true);  // as curl does
      http.set_read_timeout(30, 0);
      std::mt19937 random(static_cast<unsigned>(c) * 7919u + 1);
      int priority = 0;
      while (Clock::now() < end) {
        int pick = static_cast<int>(random() % 20);
        std::string route, path, body, method = "GET";
        if (pick == 19) {
          // The baseline: an HTTP round trip that touches nothing (404).
          route = kBaseline, path = "/no-such-route";
        } else if ((pick /= 2) < 5) {
          route = "GET /queue", path = "/queue";
        } else if (pick == 5) {
          // Flips are rare: the last one is put right afterwards.
          route = "PUT /killswitch", path = "/killswitch", method = "PUT";
          body = json{{"on", random() % 2 == 0}}.dump();
        } else if (pick == 6 && !ids.empty()) {
          route = "GET /patchSets/{id}", path = "/patchSets/" + std::to_string(ids[random() % ids.size()]);
        } else if (pick == 7 && static_cast<size_t>(c) < ids.size()) {
          route = "PUT /patchSets/{id}/priority", path = "/patchSets/" + std::to_string(ids[c]) + "/priority";
          method = "PUT";
          body = json{{"priority", ++priority % 1000}}.dump();
        } else if (pick == 8) {
          route = "GET /metrics", path = "/metrics";
        } else {
          route = "GET /events", path = "/events?newest=true&limit=20";
        }
        auto started = Clock::now();
        httplib::Result r =
            method == "GET" ? http.Get(path.c_str(), auth) : http.Put(path.c_str(), auth, body, "application/json");
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
        ++shared.requests;
        std::string problem;
        if (!r) {
          problem = route + ": no answer (" + httplib::to_string(r.error()) + ")";
        } else if (route == kBaseline) {
          if (r->status != 404) problem = route + ": " + std::to_string(r->status) + ", expected 404";
        } else if (r->status != 200) {
          problem = route + ": " + std::to_string(r->status) + " " + r->body.substr(0, 200);
        } else if (route != "GET /metrics" && route != kBaseline &&
                   json::parse(r->body, nullptr, false).is_discarded()) {
          problem = route + ": an answer that is not whole JSON";
        } else if (route == "GET /queue" && !json::parse(r->body)["branches"].is_array()) {
          problem = route + ": no branches in the queue";
        } else if (route == "GET /metrics" && r->body.find("autoland_patchsets{") == std::string::npos) {
          problem = route + ": no patchset gauge";
        }
        if (route == "PUT /patchSets/{id}/priority" && problem.empty()) last_priority[c] = priority % 1000;
        std::lock_guard lock(shared.mu);
        shared.ms[route].push_back(ms);
        if (!problem.empty() && shared.errors.size() < 20) shared.errors.push_back(problem);
      }
    });
  }
  for (std::thread& t : threads) t.join();

  // Torn state: what each writer wrote last is what is there.
  int torn = 0;
  auto off = setup.Put("/killswitch", auth, R"({"on": false})", "application/json");
  auto kill = setup.Get("/killswitch", auth);
  if (!off || off->status != 200 || !kill || json::parse(kill->body)["on"] != false) {
    ++torn;
    std::printf("torn: the kill switch is not off after the last write\n");
  }
  for (size_t i = 0; i < ids.size() && i < static_cast<size_t>(clients); ++i) {
    auto p = setup.Get(("/patchSets/" + std::to_string(ids[i])).c_str(), auth);
    if (!p || p->status != 200) continue;
    int got = json::parse(p->body)["priority"];
    if (shared.ms.count("PUT /patchSets/{id}/priority") && got != last_priority[i]) {
      ++torn;
      std::printf("torn: patchset %lld has priority %d, its client wrote %d last\n", static_cast<long long>(ids[i]),
                  got, last_priority[i]);
    }
  }

  std::printf("%-30s %8s %9s %9s %9s\n", "route", "requests", "p50 ms", "p99 ms", "max ms");
  for (const auto& [route, v] : shared.ms) {
    std::printf("%-30s %8zu %9.2f %9.2f %9.2f\n", route.c_str(), v.size(), percentile(v, 0.5), percentile(v, 0.99),
                *std::max_element(v.begin(), v.end()));
  }
  if (shared.ms.count(kBaseline)) {
    double base = percentile(shared.ms[kBaseline], 0.5);
    for (const char* route : {"GET /queue", "PUT /killswitch"}) {
      if (!shared.ms.count(route) || base <= 0) continue;
      std::printf("%s p50 is %.2fx the bare HTTP round trip (p50 %.2f ms) under the same load\n", route,
                  percentile(shared.ms[route], 0.5) / base, base);
    }
  }
  std::printf("%d requests in %d s (%.0f/s), %zu errors, %d torn\n", shared.requests.load(), seconds,
              shared.requests.load() / static_cast<double>(seconds), shared.errors.size(), torn);
  for (const std::string& e : shared.errors) std::printf("error: %s\n", e.c_str());
  return shared.errors.empty() && torn == 0 ? 0 : 1;
}
