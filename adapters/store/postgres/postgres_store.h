// The store on PostgreSQL (libpq), for several hosts sharing one database:
// a pool of connections, the same queries and migrations as SQLite
// (adapters/store/sql), writers serialised by a transaction-scoped advisory
// lock, and reconnection after the server restarts.
#pragma once

#include <memory>
#include <string>

#include "ports/clock.h"
#include "ports/store.h"
#include "util/result.h"

namespace autoland {

struct PostgresOptions {
  // postgresql://[user[:password]@]host[:port]/database[?param=value...], as libpq reads it.
  std::string url;
  size_t pool_size = 8;
  bool migrate = true;  // apply pending migrations on open
  // Make the schema when the database has none. Only `autoland db init`
  // asks: an empty database may be the wrong one, or one that lost its data.
  bool create = false;
};

// REQUIRES: `clock` outlives the store.
Result<std::unique_ptr<Store>> open_postgres_store(const PostgresOptions& options, const Clock& clock);

}  // namespace autoland
