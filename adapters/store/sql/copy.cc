#include "adapters/store/sql/copy.h"

#include <algorithm>
#include <limits>

#include "adapters/store/sql/pool.h"
#include "adapters/store/sql/schema.h"
#include "adapters/store/sql/sql_store.h"
#include "util/strings.h"

namespace autoland::sql {
namespace {

constexpr int64_t kProgressEvery = 1000;

std::string column_list(const Table& table) {
  std::vector<std::string> names(table.columns.begin(), table.columns.end());
  return util::join(names, ", ");
}

Result<int64_t> count_rows(Connection& c, const Table& table) {
  AUTOLAND_TRY_ASSIGN(auto counted, c.run("SELECT count(*) FROM " + std::string(table.name)));
  return counted.rows.front()[0].integer();
}

// The largest key the source ever handed out, deleted rows included: a
// key is never given twice, or a new patchset would take a deleted one's
// id, and with it its comments' dedup keys and its audit trail.
Result<int64_t> highest_key_handed_out(Connection& c, const Table& table) {
  const std::string name(table.name);
  AUTOLAND_TRY_ASSIGN(auto in_rows, c.run("SELECT COALESCE(max(id), 0) FROM " + name));
  int64_t highest = in_rows.rows.front()[0].integer();
  AUTOLAND_TRY_ASSIGN(auto counter,
                      c.run(c.dialect() == Dialect::sqlite
                                ? "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0)"
                                : "SELECT COALESCE((SELECT last_value FROM pg_sequences WHERE schemaname || '.' || "
                                  "sequencename = pg_get_serial_sequence(?, 'id')), 0)",
                            {name}));
  return std::max(highest, counter.rows.front()[0].integer());
}

// After rows came in with their own keys, the next key counts on from the
// source's highest.
Status continue_keys_after(Connection& c, const Table& table, int64_t highest) {
  const std::string name(table.name);
  if (c.dialect() == Dialect::postgres) {
    AUTOLAND_TRY(c.run("SELECT setval(pg_get_serial_sequence(?, 'id'), ?, false)", {name, highest + 1}));
    return {};
  }
  AUTOLAND_TRY_ASSIGN(auto raised, c.run("UPDATE sqlite_sequence SET seq = ? WHERE name = ?", {highest, name}));
  if (raised.changed == 0) {
    AUTOLAND_TRY(c.run("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", {name, highest}));
  }
  return {};
}

Result<std::vector<CopiedTable>> copy_tables(Connection& from, Connection& to,
                                             const std::function<void(std::string_view, int64_t)>& progress,
                                             size_t page_rows) {
  for (const Table& table : tables()) {
    AUTOLAND_TRY_ASSIGN(int64_t there, count_rows(to, table));
    if (there > 0) {
      return conflict("the target store is not empty (its table " + std::string(table.name) + " has " +
                      std::to_string(there) +
                      " row(s)): a copy goes only into a store made by `autoland db init` "
                      "that nothing has used");
    }
  }
  std::vector<CopiedTable> copied;
  for (const Table& table : tables()) {
    const std::string columns = column_list(table);
    std::string insert = "INSERT INTO " + std::string(table.name) + " (" + columns + ") VALUES (";
    for (size_t i = 0; i < table.columns.size(); ++i) insert += i ? ",?" : "?";
    insert += ")";
    // Tables with keys (events grow without bound) are read a page at a
    // time in key order, so a large history never sits in memory whole;
    // the others hold a few rows.
    const std::string select = "SELECT " + columns + " FROM " + std::string(table.name) +
                               (table.identity ? " WHERE id > ? ORDER BY id LIMIT " + std::to_string(page_rows) : "");
    int64_t count = 0;
    int64_t after = std::numeric_limits<int64_t>::min();
    for (;;) {
      AUTOLAND_TRY_ASSIGN(auto page, table.identity ? from.run(select, {after}) : from.run(select));
      for (const Row& row : page.rows) {
        AUTOLAND_TRY(to.run(insert, row));
        if (++count % kProgressEvery == 0 && progress) progress(table.name, count);
      }
      if (!table.identity || page.rows.size() < page_rows) break;
      after = page.rows.back()[0].integer();  // the key is the first column
    }
    if (table.identity) {
      AUTOLAND_TRY_ASSIGN(int64_t highest, highest_key_handed_out(from, table));
      AUTOLAND_TRY(continue_keys_after(to, table, highest));
    }
    if (progress) progress(table.name, count);
    copied.push_back({std::string(table.name), count});
  }
  return copied;
}

}  // namespace

Result<std::vector<CopiedTable>> copy_store(Store& from, Store& to,
                                            const std::function<void(std::string_view, int64_t)>& progress,
                                            size_t page_rows) {
  if (page_rows == 0) return invalid_input("a copy's page holds at least one row");
  ConnectionSource* source = source_of(from);
  ConnectionSource* target = source_of(to);
  if (!source || !target) return invalid_input("only SQL stores (sqlite://, postgresql://) can be copied");
  AUTOLAND_TRY_ASSIGN(auto from_schema, from.schema_status());
  AUTOLAND_TRY_ASSIGN(auto to_schema, to.schema_status());
  if (from_schema.current_version != to_schema.current_version) {
    return conflict("the stores' schemas differ (version " + std::to_string(from_schema.current_version) + " and " +
                    std::to_string(to_schema.current_version) + "): run `autoland db migrate` on the older one first");
  }
  AUTOLAND_TRY(source->check_usable());
  AUTOLAND_TRY(target->check_usable());
  AUTOLAND_TRY_ASSIGN(auto from_lease, source->acquire(/*for_write=*/true));
  AUTOLAND_TRY_ASSIGN(auto to_lease, target->acquire(/*for_write=*/true));
  AUTOLAND_TRY(from_lease->begin_write());
  Status began = to_lease->begin_write();
  // The source's session waits idle while the target writes, for as long
  // as the copy takes: no server timeout may end it meanwhile.
  for (Connection* c : {&*from_lease, &*to_lease}) {
    if (began.ok() && c->dialect() == Dialect::postgres) {
      began = c->run_script("SET LOCAL idle_in_transaction_session_timeout = 0");
    }
  }
  if (!began.ok()) {
    from_lease->rollback();
    to_lease->rollback();  // nothing when it never began
    return began.error();
  }
  auto copied = copy_tables(*from_lease, *to_lease, progress, page_rows);
  from_lease->rollback();  // nothing was written there; this lets its lock go
  if (!copied.ok()) {
    to_lease->rollback();
    return copied.error();
  }
  AUTOLAND_TRY(to_lease->commit());
  return copied;
}

}  // namespace autoland::sql
