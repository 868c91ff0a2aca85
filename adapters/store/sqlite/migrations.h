// The SQLite schema as numbered migrations, applied in order at start-up.
// Never edit a migration that has shipped: add the next number.
#pragma once

#include <string_view>
#include <vector>

namespace autoland::sqlite {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

const std::vector<Migration>& migrations();

}  // namespace autoland::sqlite
