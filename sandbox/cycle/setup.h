// What the sandbox's runs share: making the world (a dir, the hg remotes,
// the sandbox Bugzilla, the people, autoland's config) and, at the end,
// the summary table with the exactly-once verdict.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "app/config.h"
#include "sandbox/bugzilla/bugzilla_server.h"
#include "sandbox/cycle/cycle.h"
#include "sandbox/cycle/monitor.h"
#include "sandbox/cycle/world.h"
#include "util/result.h"

namespace autoland::sandbox::cycle {

struct Setup {
  std::filesystem::path dir;
  std::unique_ptr<sandbox::BugzillaServer> server;
  People people;
  Config config;        // written by write_config, after the caller's changes
  std::string token;    // the API's sheriff token
  std::string api_url;  // where config.api.listen serves
};

// The world for `args` (its bulk bugs included); restarts the sandbox clock.
Result<Setup> set_up(const CycleOptions& args);
// autoland.toml and api-token in the dir.
Status write_config(const Setup& world);
// Prints each bug's end (bulk bugs only when wrong) and the exactly-once
// verdict, ending with `ending`; true when everything is as expected.
bool summarize(Monitor& monitor, Setup& world, const std::string& ending);

}  // namespace autoland::sandbox::cycle
