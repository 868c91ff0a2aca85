// The composition root of a process that runs every component: the
// trigger, the queue (with the pusher), the results poller (with the local
// CI's jobs and --post-to-bug) and the commenter, each on its own thread over
// the one store, woken early by the in-process bus when another one moved
// something, and the REST API beside them when [api] listen is set. They may
// start in any order and each re-reads the store on every pass, so a restart
// resumes every unfinished patchset.
#pragma once

#include <atomic>

#include "app/wiring.h"
#include "util/result.h"

namespace autoland {

// Runs until `stop` turns true, then lets each component finish its pass
// (jobs the local CI is running finish within their timeouts) and returns.
// A store found deleted, replaced or corrupt stops everything, returned as
// the error: going on would act on state no longer kept anywhere.
Status run_components(Wiring& wiring, const std::atomic<bool>& stop);

}  // namespace autoland
