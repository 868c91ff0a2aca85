#include "ports/clock.h"

#include <chrono>

namespace autoland {

UnixTime SystemClock::now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace autoland
