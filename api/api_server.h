// The REST API (docs/design.md §7): the seed's routes, the sheriffs' routes, health
// and Prometheus metrics, over libmicrohttpd (api/http_server) with nlohmann-json. It serves on
// its own threads and only touches the store (thread-safe) and, to check a
// new request's patches, Bugzilla; the components go on meanwhile.
//
// Every write needs a bearer token with the sheriff role (or admin) and is
// recorded in the audit log as "user:<token name>"; reads need a reader token
// unless `open_reads`. Errors are JSON {"error": ..., "detail": ...}: 400 bad
// input, 401 no or unknown token, 403 role too low, 404 unknown id, 409 not
// now (a patchset being processed, a branch in use), 413 body too large, 503
// a dependency down. A refused request changes nothing in the store.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api/api_auth.h"
#include "api/http_server.h"
#include "core/patch.h"
#include "ports/bug_tracker.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "services/request_limits.h"
#include "util/result.h"

namespace autoland::api {

// One line of GET /health: `probe` answers whether the dependency works.
struct HealthCheck {
  std::string name;  // "store", "bugzilla", "directory", "tree_status", ...
  std::function<Status()> probe;
};

struct ApiOptions {
  std::vector<ApiToken> tokens;
  bool open_reads = false;  // GETs without a token (never /metrics' and /health's secrets: they have none)

  std::vector<HealthCheck> health;
  int health_cache_seconds = 5;                  // probes are not run more often than this
  BugTracker* bugs = nullptr;                    // checks a new request's attachments; null: POST /bugs answers 503
  PatchLimits patch_limits;                      // what a request's patches must parse under (services/request_check)
  RequestLimits request_limits;                  // how many requests a bug or a requester may have in flight
  std::set<std::string> ci_sources = {"local"};  // what a branch's `ci` may name (core/branch_rules)
  HttpLimits http;                               // body limit (413), deadlines, connections, workers
  int worker_failover_seconds = 20;              // a worker heard from within this is alive (workers.failover_seconds)
};

class ApiServer {
 public:
  ApiServer(Store& store, const Clock& clock, ApiOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Listens on host:port (0: a free port) and serves on background threads;
  // returns once it accepts connections.
  Status start(const std::string& host, int port);
  void stop();
  int port() const;
  std::string url() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace autoland::api
