// Chooses the Store adapter from the URL scheme (one table, STYLE §2):
//   sqlite://PATH, sqlite:///ABS/PATH, sqlite://:memory:
//   postgresql://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE[?PARAMS] (postgres:// too), as libpq reads it
#pragma once

#include <memory>
#include <string>

#include "ports/clock.h"
#include "ports/store.h"
#include "util/result.h"

namespace autoland {

// `create`: make the store when there is none (only `autoland db init`); a
// missing or empty store is otherwise an error, so that one deleted by
// mistake is noticed instead of silently replaced by an empty one.
Result<std::unique_ptr<Store>> open_store(const std::string& url, const Clock& clock, bool migrate = true,
                                          bool create = false);

}  // namespace autoland
