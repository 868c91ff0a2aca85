// Clock: the time source services use, so tests can move time by hand.
#pragma once

#include <atomic>

#include "core/model.h"

namespace autoland {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixTime now() const = 0;
};

// Wall-clock time. Thread-safe.
class SystemClock final : public Clock {
 public:
  UnixTime now() const override;
};

// A clock that only moves when told. Thread-safe: a test moves it while a
// server's threads read it.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixTime start = 1'700'000'000) : now_(start) {}
  UnixTime now() const override { return now_.load(); }
  void advance(UnixTime seconds) { now_ += seconds; }
  void set(UnixTime t) { now_ = t; }

 private:
  std::atomic<UnixTime> now_;
};

}  // namespace autoland
