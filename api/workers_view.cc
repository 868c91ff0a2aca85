#include "api/workers_view.h"

#include <map>

namespace autoland::api {

Result<std::vector<WorkerView>> view_workers(Store& store, UnixTime now, int failover_seconds) {
  AUTOLAND_TRY_ASSIGN(auto workers, store.list_workers());
  AUTOLAND_TRY_ASSIGN(auto leases, store.list_leases());
  std::map<std::string, size_t> index;
  std::vector<WorkerView> out;
  for (WorkerRecord& w : workers) {
    WorkerView v;
    v.heartbeat_age_seconds = now - w.heartbeat_time;
    v.alive = v.heartbeat_age_seconds <= failover_seconds;
    v.record = std::move(w);
    index[v.record.id] = out.size();
    out.push_back(std::move(v));
  }
  constexpr std::string_view kLeader = "leader/";
  for (const LeaseRecord& l : leases) {
    auto it = index.find(l.holder);
    if (it == index.end()) continue;  // its holder is gone: free for the next taker
    WorkerView& v = out[it->second];
    if (l.key.rfind(kLeader, 0) == 0) {
      v.leads.push_back(l.key.substr(kLeader.size()));
    } else {
      v.claims.push_back(l.key);
    }
  }
  return out;
}

}  // namespace autoland::api
