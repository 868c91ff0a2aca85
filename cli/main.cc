// autoland: a thin main. Parse flags, run the chosen subcommand, map the
// outcome to an exit code. Exceptions stop here.
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <iostream>

#include "cli/command.h"
#include "util/version.h"

namespace autoland::cli {

Result<Config> Invocation::load_config() const {
  std::vector<std::string> names;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    names.emplace_back(entry.substr(0, entry.find('=')));
  }
  AUTOLAND_TRY(check_autoland_variables(names));
  if (options.config_path.empty()) return default_config(process_env());
  return ::autoland::load_config(options.config_path, process_env());
}

int fail(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return kExitFailed;
}

int fail(const Error& error) { return fail(error.message); }

namespace {

// Subcommands, one table (ninja's kTools).
constexpr Registrar kCommands[] = {
    register_parse_commands,   register_db_commands,   register_config_commands, register_bugzilla_commands,
    register_sandbox_commands, register_push_command,  register_results_command, register_ldap_command,
    register_run_command,      register_serve_command, register_ctl_command,
};

int run(int argc, char** argv) {
  CLI::App app{"autoland: lands patches from Bugzilla bugs through try to trunk", "autoland"};
  app.set_version_flag("--version", std::string("autoland ") + AUTOLAND_VERSION);
  Invocation invocation;
  app.add_option("--config", invocation.options.config_path, "TOML configuration file (see docs/config.md)")
      ->check(CLI::ExistingFile);
  app.require_subcommand(1);
  for (Registrar r : kCommands) r(app, invocation);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (!invocation.action) {
    std::cerr << app.help();
    return kExitUsage;
  }
  return invocation.action();
}

}  // namespace
}  // namespace autoland::cli

int main(int argc, char** argv) {
  try {
    return autoland::cli::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: internal: %s\n", e.what());
    return autoland::cli::kExitFailed;
  }
}
