// Chooses the Store adapter from the URL scheme (one table, STYLE §2):
//   sqlite://PATH, sqlite:///ABS/PATH, sqlite://:memory:
// PostgreSQL (postgresql://) joins this table when its adapter exists.
#pragma once

#include <memory>
#include <string>

#include "ports/clock.h"
#include "ports/store.h"
#include "util/result.h"

namespace autoland {

Result<std::unique_ptr<Store>> open_store(const std::string& url, const Clock& clock, bool migrate = true);

}  // namespace autoland
