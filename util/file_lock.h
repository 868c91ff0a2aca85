// An exclusive advisory lock on a file (flock), held for the object's life:
// one process at a time per working clone, whoever else shares the cache
// folder (the daemon and an `autoland push` by hand). Released by the kernel
// when the process dies, so a crash never leaves it held.
#pragma once

#include <chrono>
#include <string>

#include "util/result.h"

namespace autoland::util {

class FileLock : public HeldWhileAlive {
 public:
  // Waits up to `patience` for the lock; transient error when it stays taken.
  static Result<FileLock> acquire(const std::string& path, std::chrono::milliseconds patience);
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace autoland::util
