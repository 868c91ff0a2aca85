// autoland config check|keys: validate a configuration, list the keys.
#include <iostream>

#include "cli/command.h"

namespace autoland::cli {

void register_config_commands(CLI::App& app, Invocation& inv) {
  auto* config = app.add_subcommand("config", "Check the configuration or list its keys");
  config->require_subcommand(1);

  auto* check = config->add_subcommand("check", "Load --config, report the first error or print it (secrets hidden)");
  check->callback([&inv] {
    inv.action = [&inv] {
      auto c = inv.load_config();
      if (!c) return fail(c.error());
      std::cout << describe(*c);
      return kExitOk;
    };
  });

  auto* keys = config->add_subcommand("keys", "List every configuration key with its default");
  keys->callback([&inv] {
    inv.action = [] {
      for (const ConfigKey& k : config_keys()) {
        std::cout << k.path << " (default: " << (k.default_value.empty() ? "\"\"" : std::string(k.default_value)) << ")"
                  << (k.secret ? " [secret: also " + std::string(k.path) + "_env / _file]" : "") << "\n    " << k.doc
                  << "\n";
      }
      return kExitOk;
    };
  });
}

}  // namespace autoland::cli
