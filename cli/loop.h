// Runs a pass now and then every `interval` until SIGINT/SIGTERM; a pass that
// fails is logged and the loop goes on (the next pass retries).
#pragma once

#include <functional>

namespace autoland::cli {

// Returns the exit code: 0 after a signal, or `once`'s result when once.
int run_passes(bool once, int interval_seconds, const std::function<bool()>& pass);

}  // namespace autoland::cli
