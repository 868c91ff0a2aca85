// The embedded default store: one SQLite file in WAL mode, safe for several
// threads (one connection behind a mutex) and several processes (WAL, a busy
// timeout, and BEGIN IMMEDIATE for every write).
#pragma once

#include <memory>
#include <string>

#include "ports/clock.h"
#include "ports/store.h"
#include "util/result.h"

namespace autoland {

struct SqliteOptions {
  std::string path;              // a file, or ":memory:"
  int busy_timeout_ms = 10'000;  // how long a writer waits for another one
  bool migrate = true;           // apply pending migrations on open
  // Make the file and its schema when there is none. Only `autoland db init`
  // asks: a store that vanished must be noticed, never replaced by an empty one.
  bool create = false;
};

// REQUIRES: `clock` outlives the store.
Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options, const Clock& clock);

}  // namespace autoland
