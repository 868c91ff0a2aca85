#include "services/claims.h"

#include <algorithm>

#include "util/log.h"

namespace autoland {

void Claims::heard(UnixTime at) {
  MutexLock lock(mu_);
  // A gap of more than half the failover time: heard afresh from now on.
  if (last_heard_ == 0 || 2 * (at - last_heard_) > failover_seconds_) heard_since_ = at;
  last_heard_ = at;
}

namespace {
UnixTime allowed_clock_offset(int failover_seconds) { return std::max(1, failover_seconds / 4); }
}  // namespace

std::string Claims::clock_compared(UnixTime at, UnixTime server_time) {
  const UnixTime offset = at - server_time;
  const UnixTime allowed = allowed_clock_offset(failover_seconds_);
  // One second either way is the reading's own rounding.
  const bool off = offset > allowed || offset < -allowed;
  bool was_off = false;
  {
    MutexLock lock(mu_);
    was_off = clock_offset_ > allowed || clock_offset_ < -allowed;
    clock_offset_ = offset;
  }
  if (!off) {
    if (was_off) LOG_INFO("claims", worker_id_ + ": this host's clock agrees with the store's again; taking work");
    return "";
  }
  std::string why = "this host's clock is " + std::to_string(offset < 0 ? -offset : offset) + " s " +
                    (offset < 0 ? "behind" : "ahead of") + " the store's (at most " + std::to_string(allowed) +
                    " s allowed): taking no work until it is put right (NTP)";
  if (!was_off) LOG_ERROR("claims", worker_id_ + ": " + why);
  return why;
}

bool Claims::take(const std::string& key) {
  const UnixTime now = clock_.now();
  UnixTime stale_before = now - failover_seconds_;
  {
    MutexLock lock(mu_);
    const UnixTime allowed = allowed_clock_offset(failover_seconds_);
    if (clock_offset_ > allowed || clock_offset_ < -allowed) return false;
    if (2 * (now - last_heard_) > failover_seconds_) return false;  // perhaps dead to the others: start nothing
    if (now - heard_since_ < failover_seconds_) stale_before = 0;   // only free leases (or its own)
  }
  auto taken = store_.take_lease(key, worker_id_, stale_before);
  if (!taken) {
    LOG_WARN("claims", "cannot take " + key + ": " + taken.error().message);
    return false;
  }
  return *taken;
}

void Claims::release(const std::string& key) {
  if (Status s = store_.release_lease(key, worker_id_); !s.ok()) {
    // It passes on anyway once this worker falls silent.
    LOG_WARN("claims", "cannot let " + key + " go: " + s.error().message);
  }
}

std::string leader_key(std::string_view role) { return "leader/" + std::string(role); }

std::string patchset_key(PatchSetId id, std::string_view step) {
  return "patchset/" + std::to_string(id) + "/" + std::string(step);
}

std::optional<PatchSet> patchset_claimed(Claims* claims, Store& store, const PatchSet& seen, std::string_view step) {
  if (!claims) return seen;
  const std::string key = patchset_key(seen.id, step);
  if (!claims->take(key)) return std::nullopt;
  auto now = store.get_patchset(seen.id);
  if (now && now->state == seen.state && now->version == seen.version) return *now;
  claims->release(key);
  return std::nullopt;
}

void release_patchset(Claims* claims, const PatchSet& ps, std::string_view step) {
  if (claims) claims->release(patchset_key(ps.id, step));
}

}  // namespace autoland
