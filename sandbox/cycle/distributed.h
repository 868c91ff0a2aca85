// autoland sandbox --distributed: the same world as the sandbox, with the
// components as separate `autoland worker` processes sharing a throwaway
// PostgreSQL and a throwaway RabbitMQ, as they would on several hosts:
// 2 triggers (one leads), 1 queue, 2 pushers (each its own clone cache),
// 2 result pollers, 2 commenters and the API. With chaos, workers are
// killed with SIGKILL and started again, the broker and the database are
// restarted once each and the pushers' queue is purged once, while the
// bugs are on their way. Counted afterwards, on the servers: every bug at
// its expected end, every comment, try push, landing and backout exactly
// once, one patchset per request, and no message left unacknowledged.
#pragma once

#include <atomic>
#include <filesystem>

#include "sandbox/cycle/setup.h"

namespace autoland::sandbox::cycle {

// Runs in `dir` (the world is made by the caller's steps inside); the exit
// code as run_cycle's.
int run_distributed(const CycleOptions& options, Setup& world, std::atomic<bool>& stop);

}  // namespace autoland::sandbox::cycle
