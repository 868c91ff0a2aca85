// Who is running: the store's workers with their heartbeats, whether each
// is alive (heard within workers.failover_seconds), what it leads and what
// it has claimed. Served by GET /workers, GET /health and GET /metrics.
#pragma once

#include <string>
#include <vector>

#include "ports/store.h"
#include "util/result.h"

namespace autoland::api {

struct WorkerView {
  WorkerRecord record;
  int64_t heartbeat_age_seconds = 0;
  bool alive = false;
  std::vector<std::string> leads;   // roles: "trigger", "queue", "push-watcher"
  std::vector<std::string> claims;  // other leases: "patchset/42/push"
};

Result<std::vector<WorkerView>> view_workers(Store& store, UnixTime now, int failover_seconds);

}  // namespace autoland::api
