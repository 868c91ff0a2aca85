// Logging: one function and a level check that costs one comparison when a
// message is off. The sink is pluggable (the app installs a timestamped
// stderr sink); components name themselves. Never pass secrets: URLs go
// through their adapter's redaction first.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace autoland::util {

enum class LogLevel { trace, debug, info, warn, error, off };

LogLevel log_level();
void set_log_level(LogLevel level);
// "info" -> LogLevel::info; unknown names give info.
LogLevel parse_log_level(std::string_view name);

using LogSink = std::function<void(LogLevel, std::string_view component, std::string_view message)>;
// Replaces the sink (default: "LEVEL component: message" on stderr). Thread-safe.
void set_log_sink(LogSink sink);
void log_message(LogLevel level, std::string_view component, std::string_view message);

}  // namespace autoland::util

#define AUTOLAND_LOG(level, component, message)                       \
  do {                                                                \
    if ((level) >= ::autoland::util::log_level()) {                   \
      ::autoland::util::log_message((level), (component), (message)); \
    }                                                                 \
  } while (false)
#define LOG_DEBUG(component, message) AUTOLAND_LOG(::autoland::util::LogLevel::debug, component, message)
#define LOG_INFO(component, message) AUTOLAND_LOG(::autoland::util::LogLevel::info, component, message)
#define LOG_WARN(component, message) AUTOLAND_LOG(::autoland::util::LogLevel::warn, component, message)
#define LOG_ERROR(component, message) AUTOLAND_LOG(::autoland::util::LogLevel::error, component, message)
