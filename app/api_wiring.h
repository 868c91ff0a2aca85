// The REST API as `autoland run` and `autoland serve` start it: tokens and
// limits from the config's [api], health checks over what the process has
// (store, bus, Bugzilla, the directory, CI sources, tree status).
#pragma once

#include <memory>
#include <string>

#include "api/api_server.h"
#include "app/ci_factory.h"
#include "app/wiring.h"
#include "ports/bus.h"
#include "ports/directory.h"
#include "ports/tree_status.h"

namespace autoland {

struct ApiParts {
  Directory* directory = nullptr;     // null: no directory check
  TreeStatusSource* trees = nullptr;  // null: the store's tree status alone
  const CiSources* ci = nullptr;      // null: no CI check
  Bus* bus = nullptr;                 // null: no bus in this process
};

// Starts the API on `listen` (HOST:PORT); the error says what is wrong.
Result<std::unique_ptr<api::ApiServer>> start_api(Wiring& wiring, const ApiParts& parts, const std::string& listen);

}  // namespace autoland
