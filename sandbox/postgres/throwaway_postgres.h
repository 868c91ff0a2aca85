// A throwaway PostgreSQL server (Debian's `postgresql`) on 127.0.0.1, for the
// store contract suite and `autoland sandbox --distributed`: a fresh cluster
// in a directory of its own (trust authentication on loopback only, fsync
// off), superuser `autoland`, database `autoland`. Stopped (fast shutdown,
// waited for) when the object goes. PostgreSQL refuses to run as root, so as
// root it runs as the `postgres` account (runuser), its directory handed over.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "adapters/process/subprocess.h"
#include "util/result.h"

namespace autoland::sandbox {

class ThrowawayPostgres {
 public:
  // The newest /usr/lib/postgresql/N/bin holding initdb and postgres; "" if none.
  static std::string bin_dir();
  static bool installed() { return !bin_dir().empty(); }
  // A new cluster under `dir` (emptied first), started on `port` (0: a free
  // one); returns once it accepts connections and the database exists. The
  // error carries the server's own words.
  static Result<std::unique_ptr<ThrowawayPostgres>> start(const std::string& dir, int port);
  ~ThrowawayPostgres();
  ThrowawayPostgres(const ThrowawayPostgres&) = delete;
  ThrowawayPostgres& operator=(const ThrowawayPostgres&) = delete;

  // postgresql://autoland@127.0.0.1:PORT/DATABASE (default: autoland)
  std::string url(const std::string& database = "") const;
  // Another empty database on the server, owned by `autoland`.
  Status create_database(const std::string& name);
  // A fast shutdown, waited for, then the same server started again on the
  // same port and data: what a test does to play a server restart.
  Status restart();
  int port() const { return port_; }
  // The postmaster's pid (not runuser's): what a test kills to play a crash.
  pid_t pid() const;

 private:
  ThrowawayPostgres(std::string dir, int port, std::string bin)
      : dir_(std::move(dir)), port_(port), bin_(std::move(bin)) {}
  Status run_server();
  void stop();
  std::string dir_;
  int port_;
  std::string bin_;
  std::optional<Subprocess> server_;
};

}  // namespace autoland::sandbox
