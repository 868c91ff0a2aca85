// autoland db migrate|status: the store's schema.
#include <iostream>

#include "app/json_views.h"
#include "app/store_factory.h"
#include "cli/command.h"

namespace autoland::cli {

void register_db_commands(CLI::App& app, Invocation& inv) {
  auto* db = app.add_subcommand("db", "Database schema: apply migrations or show their status");
  db->require_subcommand(1);

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
