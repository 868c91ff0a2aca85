// A mutex the thread-safety analysis understands: std::mutex is not
// annotated, so a GUARDED_BY(std::mutex) member is never checked. Mutex and
// MutexLock are std::mutex and std::lock_guard with the annotations; a
// condition variable waits on a Mutex through std::condition_variable_any,
// or on MutexLock::native() with std::condition_variable.
#pragma once

#include <mutex>

#include "util/thread_annotations.h"

namespace autoland {

class CAPABILITY("mutex") Mutex {
 public:
  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return mu_.try_lock(); }
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

// Holds `mu` for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

}  // namespace autoland
