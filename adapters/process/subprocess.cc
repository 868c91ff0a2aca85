#include "adapters/process/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

extern char** environ;

namespace autoland {
namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& set) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    if (!set.count(name)) env.push_back(entry);
  }
  for (const auto& [name, value] : set) env.push_back(name + "=" + value);
  return env;
}

}  // namespace

Result<Subprocess> Subprocess::spawn(const SpawnOptions& o) {
  if (o.argv.empty()) return invalid_input("no program to run");
  // A child that exits while we write to it must be an EPIPE error here, not
  // a signal that kills the whole daemon.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!o.output_file.empty()) {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, o.output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  } else {
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
      int saved = errno;
      for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) {
        if (fd >= 0) ::close(fd);
      }
      posix_spawn_file_actions_destroy(&actions);
      return internal_error(std::string("pipe: ") + std::strerror(saved));
    }
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  }
  if (!o.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, o.cwd.c_str());

  std::vector<char*> argv;
  for (const std::string& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env = merged_environment(o.env_set);
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (o.own_process_group) {
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  Subprocess p;
  int rc = posix_spawnp(&p.pid_, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc == 0 && o.own_process_group) p.group_ = p.pid_;
  for (int fd : {in[0], out[1], err[1]}) {
    if (fd >= 0) ::close(fd);
  }
  p.in_ = in[1];
  p.out_ = out[0];
  p.err_ = err[0];
  if (rc != 0) {
    p.pid_ = -1;
    return invalid_input("cannot run " + o.argv[0] + ": " + std::strerror(rc));
  }
  return p;
}

Subprocess::Subprocess(Subprocess&& o) noexcept
    : pid_(o.pid_), group_(o.group_), in_(o.in_), out_(o.out_), err_(o.err_) {
  o.pid_ = -1;
  o.group_ = -1;
  o.in_ = o.out_ = o.err_ = -1;
}

Subprocess& Subprocess::operator=(Subprocess&& o) noexcept {
  if (this != &o) {
    kill_now();
    close_fd(in_);
    close_fd(out_);
    close_fd(err_);
    pid_ = o.pid_;
    group_ = o.group_;
    o.group_ = -1;
    in_ = o.in_;
    out_ = o.out_;
    err_ = o.err_;
    o.pid_ = -1;
    o.in_ = o.out_ = o.err_ = -1;
  }
  return *this;
}

Subprocess::~Subprocess() {
  kill_now();
  kill_group();
  close_fd(in_);
  close_fd(out_);
  close_fd(err_);
}

void Subprocess::close_stdin() { close_fd(in_); }

Status Subprocess::write_all(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(in_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return transient(std::string("write to child: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<std::string> Subprocess::read_exact(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(out_, out.data() + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return transient(std::string("read from child: ") + std::strerror(errno));
    }
    if (r == 0) return transient("the child process closed its output");
    got += static_cast<size_t>(r);
  }
  return out;
}

int Subprocess::wait() {
  if (pid_ < 0) return -1;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

void Subprocess::kill_now() {
  if (pid_ < 0) return;
  ::kill(group_ > 0 ? -group_ : pid_, SIGKILL);
  wait();
}

void Subprocess::kill_group() {
  if (group_ > 0) ::kill(-group_, SIGKILL);  // ESRCH when nothing is left: fine
  group_ = -1;
}

Result<ProgramResult> run_program(const SpawnOptions& options, std::string_view input,
                                  std::chrono::milliseconds timeout) {
  if (!options.output_file.empty()) return invalid_input("run_program collects output: leave output_file empty");
  AUTOLAND_TRY_ASSIGN(auto p, Subprocess::spawn(options));
  if (options.on_started) options.on_started(p.pid());
  auto deadline = std::chrono::steady_clock::now() + timeout;
  ProgramResult result;
  size_t written = 0;
  if (input.empty()) {
    p.close_stdin();
  } else {
    // A write must never block: the child may be busy filling its stderr,
    // which only this loop drains.
    int flags = ::fcntl(p.stdin_fd(), F_GETFL);
    ::fcntl(p.stdin_fd(), F_SETFL, flags | O_NONBLOCK);
  }
  int out = p.stdout_fd(), err = p.stderr_fd();
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    std::vector<pollfd> fds;
    if (out_open) fds.push_back({out, POLLIN, 0});
    if (err_open) fds.push_back({err, POLLIN, 0});
    if (written < input.size()) fds.push_back({p.stdin_fd(), POLLOUT, 0});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      p.kill_now();
      return transient(options.argv[0] + " did not finish within " + std::to_string(timeout.count()) + " ms");
    }
    int rc = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (rc < 0 && errno != EINTR) return internal_error(std::string("poll: ") + std::strerror(errno));
    for (const pollfd& f : fds) {
      if (!f.revents) continue;
      if (f.fd == p.stdin_fd()) {
        ssize_t n = ::write(f.fd, input.data() + written, std::min<size_t>(input.size() - written, 65536));
        if (n > 0) written += static_cast<size_t>(n);
        if (n < 0 && errno != EINTR && errno != EAGAIN) written = input.size();  // the child stopped reading
        if (written >= input.size()) p.close_stdin();
        continue;
      }
      ssize_t n = ::read(f.fd, buf, sizeof buf);
      if (n > 0) {
        (f.fd == out ? result.out : result.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (n < 0 && errno != EINTR)) {
        (f.fd == out ? out_open : err_open) = false;
      }
    }
  }
  result.exit_code = p.wait();
  p.kill_group();
  return result;
}

}  // namespace autoland
