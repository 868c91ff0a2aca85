#include "util/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "util/mutex.h"

namespace autoland::util {
namespace {

std::atomic<LogLevel> g_level{LogLevel::info};
autoland::Mutex g_mu;
LogSink* g_sink GUARDED_BY(g_mu) = nullptr;  // nullptr = default

std::string_view name(LogLevel l) {
  switch (l) {
    case LogLevel::trace: return "TRACE";
    case LogLevel::debug: return "DEBUG";
    case LogLevel::info: return "INFO";
    case LogLevel::warn: return "WARN";
    case LogLevel::error: return "ERROR";
    case LogLevel::off: return "OFF";
  }
  return "?";
}

void default_sink(LogLevel level, std::string_view component, std::string_view message) {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::fprintf(stderr, "%s %-5.*s %.*s: %.*s\n", stamp, static_cast<int>(name(level).size()), name(level).data(),
               static_cast<int>(component.size()), component.data(), static_cast<int>(message.size()), message.data());
}

}  // namespace

LogLevel log_level() { return g_level.load(std::memory_order_relaxed); }
void set_log_level(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }

LogLevel parse_log_level(std::string_view n) {
  if (n == "trace") return LogLevel::trace;
  if (n == "debug") return LogLevel::debug;
  if (n == "warn") return LogLevel::warn;
  if (n == "error") return LogLevel::error;
  if (n == "off") return LogLevel::off;
  return LogLevel::info;
}

void set_log_sink(LogSink sink) {
  autoland::MutexLock lock(g_mu);
  delete g_sink;
  g_sink = sink ? new LogSink(std::move(sink)) : nullptr;
}

void log_message(LogLevel level, std::string_view component, std::string_view message) {
  autoland::MutexLock lock(g_mu);
  if (g_sink) {
    (*g_sink)(level, component, message);
  } else {
    default_sink(level, component, message);
  }
}

}  // namespace autoland::util
