// `autoland db copy`: everything one store holds, into another that holds
// nothing yet, whatever their engines (an installation moving from its
// SQLite file to PostgreSQL keeps its history, its queue and its outbox).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ports/store.h"
#include "util/result.h"

namespace autoland::sql {

struct CopiedTable {
  std::string name;
  int64_t rows = 0;
};

// Copies every row of every table, keys included, in one transaction on
// each side: the source's write lock is held meanwhile (what is copied is
// one consistent moment, and nothing is written to the source behind the
// copy's back); the target is written all or nothing. Refused (conflict)
// unless both are at the same schema version and the target is empty.
// `progress` hears each table's running count. Tables with keys are read
// `page_rows` rows at a time, so memory stays bounded however long the
// history.
Result<std::vector<CopiedTable>> copy_store(Store& from, Store& to,
                                            const std::function<void(std::string_view table, int64_t rows)>& progress,
                                            size_t page_rows = 5000);

}  // namespace autoland::sql
