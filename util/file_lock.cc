#include "util/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace autoland::util {

Result<FileLock> FileLock::acquire(const std::string& path, std::chrono::milliseconds patience) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return internal_error("cannot open lock file " + path + ": " + std::strerror(errno));
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      std::string why = std::strerror(errno);
      ::close(fd);
      return internal_error("cannot lock " + path + ": " + why);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(fd);
      return transient(path + " is locked by another autoland process; try again when it is done");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return FileLock(fd);
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace autoland::util
