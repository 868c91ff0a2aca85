// The composition root of a process that runs components: the trigger, the
// queue, the pusher, the results poller (with the local CI's jobs and
// --post-to-bug) and the commenter, each on its own thread over the one
// store, woken early by the bus (bus.url) when another one moved something,
// and the REST API beside them when [api] listen is set. They may
// start in any order and each re-reads the store on every pass, so a restart
// resumes every unfinished patchset.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "app/wiring.h"
#include "util/result.h"

namespace autoland {

// The roles `autoland worker ROLE` runs alone: trigger, queue (validation
// and scheduling), pusher (pushes and backouts), results, commenter, api.
const std::vector<std::string>& worker_roles();

// Runs `role` ("run": every one, the API too when api.listen is set) as a
// worker registered in the store, until `stop` turns true; then lets each
// component finish its pass (jobs the local CI is running finish within
// their timeouts), retires the worker (its leadership and claims pass on
// at once) and returns. Roles that must be single lead through the store
// (trigger, queue, the push watcher); pushers and result pollers share
// their work patchset by patchset (services/claims.h). A store found
// deleted, replaced or corrupt stops everything, returned as the error.
Status run_components(Wiring& wiring, const std::string& role, const std::atomic<bool>& stop);

}  // namespace autoland
