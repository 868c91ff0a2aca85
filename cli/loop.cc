#include "cli/loop.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include "util/log.h"

namespace autoland::cli {
namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }
}  // namespace

int run_passes(bool once, int interval_seconds, Store& store, const std::function<bool()>& pass) {
  if (once) return pass() ? 0 : 1;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  while (!g_stop) {
    pass();
    for (int waited = 0; waited < interval_seconds * 10 && !g_stop; ++waited) {
      if (auto lost = store.unusable()) {
        LOG_ERROR("run", lost->message);
        std::cerr << "error: " << lost->message << "\n";
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return 0;
}

void add_loop_options(CLI::App* cmd, LoopArgs& args, int default_interval) {
  args.interval = default_interval;
  cmd->add_flag("--once", args.once, "Run one pass and exit (exit 1 if it failed)");
  cmd->add_option("--interval", args.interval, "Seconds between passes")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
}

}  // namespace autoland::cli
