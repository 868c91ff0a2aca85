#include "sandbox/postgres/throwaway_postgres.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "sandbox/server/throwaway_server.h"
#include "util/ports.h"

namespace autoland::sandbox {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRunAs = "postgres";
constexpr const char* kUser = "autoland";

// As root, the program runs as the postgres account.
std::vector<std::string> as_server_user(std::vector<std::string> argv) {
  if (::geteuid() != 0) return argv;
  std::vector<std::string> out = {"runuser", "-u", kRunAs, "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

Status hand_over(const fs::path& dir) {
  if (::geteuid() != 0) return {};
  const passwd* pw = ::getpwnam(kRunAs);
  if (!pw) return internal_error("running as root, and there is no '" + std::string(kRunAs) + "' account to run as");
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (::chown(entry.path().c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return internal_error("cannot hand " + entry.path().string() + " to " + kRunAs);
    }
  }
  if (::chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) return internal_error("cannot hand " + dir.string() + " over");
  return {};
}

}  // namespace

std::string ThrowawayPostgres::bin_dir() {
  std::error_code ec;
  std::string best;
  int best_version = -1;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = entry.path() / "bin";
    if (::access((bin / "initdb").c_str(), X_OK) != 0 || ::access((bin / "postgres").c_str(), X_OK) != 0) continue;
    int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version) {
      best_version = version;
      best = bin.string();
    }
  }
  return best;
}

std::string ThrowawayPostgres::url(const std::string& database) const {
  return std::string("postgresql://") + kUser + "@127.0.0.1:" + std::to_string(port_) + "/" +
         (database.empty() ? kUser : database);
}

pid_t ThrowawayPostgres::pid() const {
  std::ifstream in(fs::path(dir_) / "data" / "postmaster.pid");
  pid_t pid = -1;
  if (!(in >> pid)) return -1;
  return pid;
}

Result<std::unique_ptr<ThrowawayPostgres>> ThrowawayPostgres::start(const std::string& dir_name, int port) {
  const std::string bin = bin_dir();
  if (bin.empty()) return invalid_input("PostgreSQL is not installed (apt-get install postgresql)");
  if (port == 0) port = util::unused_local_port();
  if (port == 0) return internal_error("no free port for PostgreSQL");
  std::error_code ec;
  const fs::path dir = fs::absolute(dir_name, ec);
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) return internal_error("cannot make " + dir.string() + ": " + ec.message());
  AUTOLAND_TRY(hand_over(dir));
  if (::geteuid() == 0) {
    // initdb would only say "Permission denied" about a folder it cannot reach.
    SpawnOptions reach;
    reach.argv = as_server_user({"test", "-w", dir.string()});
    AUTOLAND_TRY_ASSIGN(auto reached, run_program(reach, {}, std::chrono::seconds(10)));
    if (reached.exit_code != 0) {
      return internal_error("the " + std::string(kRunAs) + " account cannot reach " + dir.string() +
                            ": a folder above it is closed to others (chmod o+x it, or start in another folder)");
    }
  }

  SpawnOptions init;
  init.argv = as_server_user(
      {bin + "/initdb", "-D", (dir / "data").string(), "-A", "trust", "-E", "UTF8", "--no-sync", "-U", kUser});
  AUTOLAND_TRY_ASSIGN(auto made, run_program(init, {}, std::chrono::seconds(120)));
  if (made.exit_code != 0) return internal_error("initdb failed: " + made.err + made.out);

  std::unique_ptr<ThrowawayPostgres> pg(new ThrowawayPostgres(dir.string(), port, bin));
  AUTOLAND_TRY(pg->run_server());
  AUTOLAND_TRY(pg->create_database(kUser));
  return pg;
}

Status ThrowawayPostgres::run_server() {
  // Every setting on the command line, as argv: nothing passes through a shell.
  const fs::path dir(dir_);
  SpawnOptions run;
  run.argv =
      as_server_user({bin_ + "/postgres", "-D", (dir / "data").string(), "-p", std::to_string(port_), "-c",
                      "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir.string(), "-c", "fsync=off",
                      "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200"});
  run.output_file = (dir / "postgres.log").string();
  // Its own group: whatever is left after the fast shutdown (or after a
  // start that failed half-way) dies with the Subprocess, runuser's
  // children included.
  run.own_process_group = true;
  AUTOLAND_TRY_ASSIGN(server_, Subprocess::spawn(run));
  if (!wait_until_answers(port_, std::chrono::seconds(10))) {
    return internal_error("PostgreSQL did not answer on port " + std::to_string(port_) +
                          " within 10 s: " + log_tail((dir / "postgres.log").string()));
  }
  // Answering on the port comes before accepting logins; wait for those too.
  // pg_isready's -t waits only for an answer: a server still starting
  // answers "rejecting connections" (exit 1) at once, so ask again until
  // it accepts or the deadline passes.
  SpawnOptions ready;
  ready.argv = {bin_ + "/pg_isready", "-h", "127.0.0.1", "-p", std::to_string(port_), "-t", "10"};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    AUTOLAND_TRY_ASSIGN(auto answered, run_program(ready, {}, std::chrono::seconds(20)));
    if (answered.exit_code == 0) return {};
    if (std::chrono::steady_clock::now() >= deadline) {
      return internal_error("PostgreSQL is not ready after 30 s: " + answered.out + answered.err);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Status ThrowawayPostgres::create_database(const std::string& name) {
  SpawnOptions create;
  create.argv = as_server_user({bin_ + "/createdb", "-h", "127.0.0.1", "-p", std::to_string(port_), "-U", kUser, name});
  AUTOLAND_TRY_ASSIGN(auto created, run_program(create, {}, std::chrono::seconds(60)));
  if (created.exit_code != 0) return internal_error("createdb " + name + " failed: " + created.err + created.out);
  return {};
}

void ThrowawayPostgres::stop() {
  // A fast shutdown of the postmaster itself (runuser, in between, would
  // not pass a signal on); then runuser ends with it.
  const pid_t postmaster = pid();
  if (postmaster > 0 && ::kill(postmaster, SIGINT) == 0) {
    for (int i = 0; i < 200 && ::kill(postmaster, 0) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  // Whatever is left is killed and reaped by the Subprocess.
  server_.reset();
}

Status ThrowawayPostgres::restart() {
  stop();
  return run_server();
}

ThrowawayPostgres::~ThrowawayPostgres() { stop(); }

}  // namespace autoland::sandbox
