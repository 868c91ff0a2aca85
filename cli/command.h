// What every subcommand file shares: the global options and the action the
// parsed command line chose. Exit codes: 0 done, 1 the operation failed or the
// input was refused (with "error: ..." on stderr), 2 usage error.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "app/config.h"
#include "util/result.h"

namespace autoland::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct GlobalOptions {
  std::string config_path;  // --config; "" = defaults + environment
};

struct Invocation {
  GlobalOptions options;
  std::function<int()> action;  // set by the chosen subcommand's callback

  // The configuration named by --config (or the defaults).
  Result<Config> load_config() const;
};

// Prints "error: <message>" to stderr and returns kExitFailed.
int fail(const std::string& message);
int fail(const Error& error);

// Registers a subcommand group on `app`. One per file.
using Registrar = void (*)(CLI::App& app, Invocation& invocation);

void register_parse_commands(CLI::App& app, Invocation& invocation);
void register_db_commands(CLI::App& app, Invocation& invocation);
void register_config_commands(CLI::App& app, Invocation& invocation);
void register_serve_command(CLI::App& app, Invocation& invocation);
void register_ctl_command(CLI::App& app, Invocation& invocation);
void register_bugzilla_commands(CLI::App& app, Invocation& invocation);
void register_sandbox_commands(CLI::App& app, Invocation& invocation);
void register_push_command(CLI::App& app, Invocation& invocation);
void register_results_command(CLI::App& app, Invocation& invocation);
void register_ldap_command(CLI::App& app, Invocation& invocation);
void register_run_command(CLI::App& app, Invocation& invocation);
// `autoland sandbox` with no subcommand (cli/sandbox_cycle.cc).
void register_sandbox_cycle(CLI::App* sandbox, Invocation& invocation);

}  // namespace autoland::cli
