// Child processes, always from an argument vector (never through a shell),
// with a pinned environment, pipes for stdin/stdout/stderr, and a kill on
// destruction. Thread-compatible: one Subprocess per thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace autoland {

struct SpawnOptions {
  std::vector<std::string> argv;               // argv[0] is looked up on PATH
  std::map<std::string, std::string> env_set;  // added to (or replacing in) the inherited environment
  std::string cwd;                             // "" = the current directory
  // Its own process group, killed as a whole: nothing the program started
  // (a shell's children, a test's helpers) outlives a kill or its end.
  bool own_process_group = false;
  // run_program calls it with the child's pid (with own_process_group, also
  // its group's id) once the child runs, e.g. to record it for a restart.
  std::function<void(pid_t)> on_started;
  // Set: stdin is /dev/null and stdout and stderr are appended to this file,
  // with no pipes (for a daemon, or a child whose output nobody reads live).
  std::string output_file;
};

class Subprocess : public HeldWhileAlive {
 public:
  // The child's stdin, stdout and stderr are pipes owned by this object.
  static Result<Subprocess> spawn(const SpawnOptions& options);
  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  ~Subprocess();  // SIGKILLs and reaps a child that is still running

  pid_t pid() const { return pid_; }
  int stdin_fd() const { return in_; }
  int stdout_fd() const { return out_; }
  int stderr_fd() const { return err_; }
  void close_stdin();

  // Writes everything; transient error when the child is gone (EPIPE).
  Status write_all(std::string_view data);
  // Reads exactly `n` bytes from stdout; transient error on EOF.
  Result<std::string> read_exact(size_t n);

  // Waits for the exit status (128 + signal when killed).
  int wait();
  void kill_now();
  // With its own group: kills what is left of the group (after the program ended).
  void kill_group();

 private:
  Subprocess() = default;
  pid_t pid_ = -1;
  pid_t group_ = -1;  // its own process group's id, or -1
  int in_ = -1, out_ = -1, err_ = -1;
};

struct ProgramResult {
  int exit_code = 0;
  std::string out;
  std::string err;
};

// Runs a program to completion, feeding `input` on stdin; output collected
// without deadlocks (poll on both pipes). Transient error on timeout (the
// child is killed).
Result<ProgramResult> run_program(const SpawnOptions& options, std::string_view input = {},
                                  std::chrono::milliseconds timeout = std::chrono::minutes(10));

}  // namespace autoland
