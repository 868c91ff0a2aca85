// Runs a pass now and then every `interval` until SIGINT/SIGTERM; a pass that
// fails is logged and the loop goes on (the next pass retries), unless the
// store became unusable (deleted, replaced, corrupt): then it stops, exit 1.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "ports/store.h"

namespace autoland::cli {

struct LoopArgs {
  bool once = false;
  int interval = 60;
};

// --once and --interval S on a subcommand.
void add_loop_options(CLI::App* cmd, LoopArgs& args, int default_interval);

// Returns the exit code: 0 after a signal, or `once`'s result when once.
int run_passes(bool once, int interval_seconds, Store& store, const std::function<bool()>& pass);

}  // namespace autoland::cli
