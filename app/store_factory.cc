#include "app/store_factory.h"

#include <functional>
#include <string_view>

#include "adapters/store/postgres/postgres_store.h"
#include "adapters/store/sqlite/sqlite_store.h"
#include "util/strings.h"

namespace autoland {
namespace {

// `rest`: the URL after the scheme's prefix; `url`: the whole URL.
using Opener = std::function<Result<std::unique_ptr<Store>>(std::string_view rest, const std::string& url, const Clock&,
                                                            bool migrate, bool create)>;

struct Scheme {
  std::string_view prefix;
  Opener open;
};

Result<std::unique_ptr<Store>> open_postgres(std::string_view, const std::string& url, const Clock& clock, bool migrate,
                                             bool create) {
  PostgresOptions options;
  options.url = url;
  options.migrate = migrate;
  options.create = create;
  return open_postgres_store(options, clock);
}

const std::vector<Scheme>& schemes() {
  static const std::vector<Scheme> table = {
      {"sqlite://",
       [](std::string_view rest, const std::string&, const Clock& clock, bool migrate, bool create) {
         SqliteOptions options;
         options.path = std::string(rest);
         options.migrate = migrate;
         options.create = create;
         return open_sqlite_store(options, clock);
       }},
      {"postgresql://", open_postgres},
      {"postgres://", open_postgres},
  };
  return table;
}

}  // namespace

Result<std::unique_ptr<Store>> open_store(const std::string& url, const Clock& clock, bool migrate, bool create) {
  for (const Scheme& s : schemes()) {
    if (url.rfind(s.prefix, 0) == 0) {
      std::string_view rest = std::string_view(url).substr(s.prefix.size());
      if (rest.empty()) return invalid_input("store URL '" + util::redact_url(url) + "' names no database");
      return s.open(rest, url, clock, migrate, create);
    }
  }
  return invalid_input("store URL '" + util::redact_url(url) +
                       "' has an unknown scheme (supported: sqlite://, postgresql://)");
}

}  // namespace autoland
