#include "sandbox/cycle/monitor.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <limits>
#include <mutex>

namespace autoland::sandbox::cycle {

namespace {

using SteadyClock = std::chrono::steady_clock;
std::mutex g_print;
SteadyClock::time_point g_start = SteadyClock::now();

}  // namespace

void restart_clock() { g_start = SteadyClock::now(); }
double seconds_since_start() { return std::chrono::duration<double>(SteadyClock::now() - g_start).count(); }

std::string short_rev(const std::string& r) { return r.empty() ? "-" : r.substr(0, 12); }

void say(const std::string& line) {
  std::lock_guard lock(g_print);
  char stamp[16];
  std::snprintf(stamp, sizeof stamp, "%5.1fs  ", std::chrono::duration<double>(SteadyClock::now() - g_start).count());
  std::cout << stamp << line << std::endl;
}

}  // namespace autoland::sandbox::cycle
