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
#include "util/mutex.h"

namespace autoland {

class Claims {
 public:
  // REQUIRES: `store` and `clock` outlive it; heard() is told of each
  // heartbeat of `worker_id` written to the store.
  Claims(Store& store, const Clock& clock, std::string worker_id, int failover_seconds)
      : store_(store), clock_(clock), worker_id_(std::move(worker_id)), failover_seconds_(failover_seconds) {}

  // True when this worker has `key` now. A store that cannot be asked
  // counts as "not now" (logged): the work waits for a later pass.
  //
  // Two guards keep a live worker's work from being taken over: a worker
  // whose own heartbeats have failed for half the failover time takes
  // nothing (it may already count as dead to the others), and a worker
  // that has not been heard continuously for the failover time (it just
  // started, or it was cut off from the store as the others may have
  // been) takes only free leases, so that a holder cut off by the same
  // outage can say it is alive first.
  //
  // A third keeps hosts' clocks from undoing the first two: heartbeats
  // and leases are judged by each worker's own clock, so a worker whose
  // clock is more than max(1, failover/4) seconds off the store's takes
  // nothing (ahead, it would count live workers dead; behind, the others
  // would count it dead while it works) until the clock is put right.
  bool take(const std::string& key);
  // A heartbeat of this worker was written at `at` (the caller's clock).
  void heard(UnixTime at);
  // The store's clock read `server_time` when this worker's read `at`.
  // Returns the refusal to show (logged once per change) or "" when the
  // clocks agree well enough.
  std::string clock_compared(UnixTime at, UnixTime server_time);
  void release(const std::string& key);
  const std::string& worker_id() const { return worker_id_; }

 private:
  Store& store_;
  const Clock& clock_;
  const std::string worker_id_;
  const int failover_seconds_;
  Mutex mu_;
  UnixTime last_heard_ GUARDED_BY(mu_) = 0;
  UnixTime heard_since_ GUARDED_BY(mu_) = 0;   // heard without a gap since
  UnixTime clock_offset_ GUARDED_BY(mu_) = 0;  // this worker's clock minus the store's
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
