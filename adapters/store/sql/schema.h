// The store's schema as numbered migrations, applied in order at start-up,
// each written once per SQL dialect (the one place the dialects differ in
// schema). Never edit a migration that has shipped: add the next number.
#pragma once

#include <string_view>
#include <vector>

#include "adapters/store/sql/connection.h"

namespace autoland::sql {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sqlite;
  std::string_view postgres;

  std::string_view sql(Dialect dialect) const { return dialect == Dialect::sqlite ? sqlite : postgres; }
};

const std::vector<Migration>& migrations();

// Every table of the latest schema with every column, in the order a copy
// writes them (`autoland db copy`); `identity`: its key column counts up.
struct Table {
  std::string_view name;
  std::vector<std::string_view> columns;
  bool identity;  // keyed by an integer "id" the store hands out, listed first
};
const std::vector<Table>& tables();
// The table that records which migrations ran.
std::string_view migrations_table(Dialect dialect);

}  // namespace autoland::sql
