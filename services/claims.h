// What one live worker alone may do, through the store's leases: the
// leader of a role that must be single (the trigger's Bugzilla poll and its
// cursor, the queue's scheduling against the thresholds, the push watcher's
// cursor), and the one worker stepping a patchset right now (a push, a look
// at its CI results). A lease lives as long as its holder's heartbeat, so
// a worker killed half-way gives its work up to another after
// workers.failover_seconds, which resumes it from the store.
//
// Whoever takes a patchset's claim re-reads the patchset before acting: the
// list it chose from may predate the step the previous holder committed
// just before letting go (patchset_claimed does both).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/model.h"
#include "ports/clock.h"
#include "ports/store.h"

namespace autoland {

class Claims {
 public:
  // REQUIRES: `store` and `clock` outlive it; `worker_id` has heartbeats in the store.
  Claims(Store& store, const Clock& clock, std::string worker_id, int failover_seconds)
      : store_(store), clock_(clock), worker_id_(std::move(worker_id)), failover_seconds_(failover_seconds) {}

  // True when this worker has `key` now. A store that cannot be asked
  // counts as "not now" (logged): the work waits for a later pass.
  bool take(const std::string& key);
  void release(const std::string& key);
  const std::string& worker_id() const { return worker_id_; }

 private:
  Store& store_;
  const Clock& clock_;
  const std::string worker_id_;
  const int failover_seconds_;
};

std::string leader_key(std::string_view role);                   // "leader/trigger"
std::string patchset_key(PatchSetId id, std::string_view step);  // "patchset/42/push"

// Without claims (a process alone, a test) everything is its own.
inline bool leads(Claims* claims, std::string_view role) { return !claims || claims->take(leader_key(role)); }

// The patchset as stored now when this worker has its `step` claim and it
// is still `seen` (same state and version); nullopt otherwise (another
// worker has it, or it moved on), with the claim let go again.
std::optional<PatchSet> patchset_claimed(Claims* claims, Store& store, const PatchSet& seen, std::string_view step);
// Lets the claim go once the step is committed.
void release_patchset(Claims* claims, const PatchSet& ps, std::string_view step);

}  // namespace autoland
