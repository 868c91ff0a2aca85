// autoland db init|migrate|status|copy: the store and its schema.
#include <iostream>
#include <memory>

#include "adapters/store/sql/copy.h"
#include "api/json_views.h"
#include "app/store_factory.h"
#include "cli/command.h"
#include "util/strings.h"

namespace autoland::cli {

void register_db_commands(CLI::App& app, Invocation& inv) {
  auto* db = app.add_subcommand("db", "The store: create it, apply migrations or show their status");
  db->require_subcommand(1);

  // The only command that makes a store: every other one refuses a missing or
  // empty file, so that a store deleted by mistake is noticed.
  auto* init = db->add_subcommand("init", "Create the configured store (refused when one is there already)");
  init->callback([&inv] {
    inv.action = [&inv] {
      auto config = inv.load_config();
      if (!config) return fail(config.error());
      SystemClock clock;
      auto existing = open_store(config->store_url, clock, /*migrate=*/false);
      if (existing) {
        auto status = (*existing)->schema_status();
        if (!status) return fail(status.error());
        return fail(util::redact_url(config->store_url) + " holds an autoland store already (schema version " +
                    std::to_string(status->current_version) + "); nothing done");
      }
      if (existing.error().kind != ErrorKind::not_found) return fail(existing.error());
      auto store = open_store(config->store_url, clock, /*migrate=*/true, /*create=*/true);
      if (!store) return fail(store.error());
      auto status = (*store)->schema_status();
      if (!status) return fail(status.error());
      std::cout << "created the store " << util::redact_url(config->store_url) << "; schema at version "
                << status->current_version << "\n";
      return kExitOk;
    };
  });

  auto* migrate = db->add_subcommand("migrate", "Apply every pending migration to the configured store");
  migrate->callback([&inv] {
    inv.action = [&inv] {
      auto config = inv.load_config();
      if (!config) return fail(config.error());
      SystemClock clock;
      auto store = open_store(config->store_url, clock, /*migrate=*/false);
      if (!store) return fail(store.error());
      auto applied = (*store)->migrate();
      if (!applied) return fail(applied.error());
      auto status = (*store)->schema_status();
      if (!status) return fail(status.error());
      std::cout << "applied " << *applied << " migration(s); schema at version " << status->current_version << "\n";
      return kExitOk;
    };
  });

  auto* copy = db->add_subcommand(
      "copy",
      "Copy everything one store holds into an empty one (e.g. from SQLite to PostgreSQL); stop autoland first");
  auto from_url = std::make_shared<std::string>();
  auto to_url = std::make_shared<std::string>();
  copy->add_option("--from", *from_url, "The store to copy (sqlite://... or postgresql://...)")->required();
  copy->add_option("--to", *to_url, "An empty store or database to copy into (its schema is made when it has none)")
      ->required();
  copy->callback([&inv, from_url, to_url] {
    inv.action = [from_url, to_url] {
      SystemClock clock;
      if (*from_url == *to_url) return fail("--from and --to name the same store");
      auto from = open_store(*from_url, clock, /*migrate=*/false);
      if (!from) return fail("the store to copy, " + util::redact_url(*from_url) + ": " + from.error().message);
      // Migrated only when it has no schema at all: a live store named by
      // mistake (--from and --to swapped) is refused below untouched.
      auto to = open_store(*to_url, clock, /*migrate=*/false, /*create=*/true);
      if (!to) return fail("the store to copy into, " + util::redact_url(*to_url) + ": " + to.error().message);
      auto to_schema = (*to)->schema_status();
      if (!to_schema)
        return fail("the store to copy into, " + util::redact_url(*to_url) + ": " + to_schema.error().message);
      if (to_schema->current_version == 0) {
        if (auto made = (*to)->migrate(); !made) {
          return fail("the store to copy into, " + util::redact_url(*to_url) + ": " + made.error().message);
        }
      }
      std::cerr << "copying " << util::redact_url(*from_url) << " to " << util::redact_url(*to_url) << "\n";
      auto copied = sql::copy_store(**from, **to, [](std::string_view table, int64_t rows) {
        std::cerr << "  " << table << ": " << rows << " row(s)\n";
      });
      if (!copied) return fail("nothing was copied: " + copied.error().message);
      int64_t total = 0;
      for (const auto& t : *copied) total += t.rows;
      std::cout << "copied " << total << " row(s) in " << copied->size() << " tables to " << util::redact_url(*to_url)
                << "\n";
      return kExitOk;
    };
  });

  auto* status = db->add_subcommand("status", "Show the schema version and pending migrations (JSON)");
  status->callback([&inv] {
    inv.action = [&inv] {
      auto config = inv.load_config();
      if (!config) return fail(config.error());
      SystemClock clock;
      auto store = open_store(config->store_url, clock, /*migrate=*/false);
      if (!store) return fail(store.error());
      auto s = (*store)->schema_status();
      if (!s) return fail(s.error());
      std::cout << to_json(*s).dump(2) << "\n";
      return kExitOk;
    };
  });
}

}  // namespace autoland::cli
