// autoland db init|migrate|status: the store and its schema.
#include <iostream>

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
