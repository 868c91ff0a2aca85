// The Store port in SQL that SQLite and PostgreSQL both run: every query,
// transaction and rule of the store lives here once; the engines only
// connect (adapters/store/sqlite, adapters/store/postgres).
#pragma once

#include <memory>

#include "adapters/store/sql/pool.h"
#include "ports/clock.h"
#include "ports/store.h"

namespace autoland::sql {

// REQUIRES: `clock` outlives the store. The schema is not touched: the
// caller migrates (or checks schema_status) as its engine's rules say.
std::unique_ptr<Store> make_sql_store(std::unique_ptr<ConnectionSource> source, const Clock& clock);

// Where a store made by make_sql_store gets its connections; nullptr for
// any other store.
ConnectionSource* source_of(Store& store);

}  // namespace autoland::sql
