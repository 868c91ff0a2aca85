#include "app/store_factory.h"

#include <functional>
#include <string_view>

#include "adapters/store/sqlite/sqlite_store.h"

namespace autoland {
namespace {

using Opener =
    std::function<Result<std::unique_ptr<Store>>(std::string_view rest, const Clock&, bool migrate, bool create)>;

struct Scheme {
  std::string_view prefix;
  Opener open;
};

const std::vector<Scheme>& schemes() {
  static const std::vector<Scheme> table = {
      {"sqlite://",
       [](std::string_view rest, const Clock& clock, bool migrate, bool create) {
         SqliteOptions options;
         options.path = std::string(rest);
         options.migrate = migrate;
         options.create = create;
         return open_sqlite_store(options, clock);
       }},
  };
  return table;
}

}  // namespace

Result<std::unique_ptr<Store>> open_store(const std::string& url, const Clock& clock, bool migrate, bool create) {
  for (const Scheme& s : schemes()) {
    if (url.rfind(s.prefix, 0) == 0) {
      std::string_view rest = std::string_view(url).substr(s.prefix.size());
      if (rest.empty()) return invalid_input("store URL '" + url + "' names no database");
      return s.open(rest, clock, migrate, create);
    }
  }
  return invalid_input("store URL '" + url + "' has an unknown scheme (supported: sqlite://)");
}

}  // namespace autoland
