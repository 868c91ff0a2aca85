// autoland sandbox: the whole cycle on this machine, with nobody touching a
// terminal. Under a temp dir (or `dir`) it makes the world (sandbox/cycle/
// world.h), runs autoland's components in this process, or with
// `crash_rounds` as `autoland run` child processes killed that many times at
// random moments, prints each bug's progress as it happens, then a summary
// table, checks exactly-once (oracle.h), and returns 0 only if every bug
// reached its expected end.
#pragma once

#include <atomic>
#include <string>

namespace autoland::sandbox::cycle {

struct CycleOptions {
  std::string dir;            // "" = a temp dir, removed after a good run
  bool keep_running = false;  // stay up afterwards, to play with
  int timeout_seconds = 300;
  int crash_rounds = 0;
  std::string autoland_binary = "/proc/self/exe";  // what the crash rounds start as `autoland run`
  // sandbox/cycle/distributed.h: worker processes on PostgreSQL and RabbitMQ.
  bool distributed = false;
  int bulk = 0;                // bulk bugs beside the scenarios (scenarios.h)
  bool chaos = false;          // kills, a broker and a database restart, a purge
  bool reverse_order = false;  // start the workers in the reverse order
  int pushers = 2;             // pusher workers
  // While the bugs are on their way: kill -9 the worker pushing a patchset
  // and time until the patchset moves again; kill -9 the trigger's leader
  // and time until another leads (and polls). Printed as figures.
  bool measure_failover = false;
};

// Runs until done (or `stop` turns true, which it also sets when it ends).
// The exit code: 0 every bug reached its expected end, 1 otherwise.
int run_cycle(const CycleOptions& options, std::atomic<bool>& stop);

}  // namespace autoland::sandbox::cycle
