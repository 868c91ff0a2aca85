// The store and Bugzilla a command works on, from the config --config names
// (app/wiring.h has the rest of the composition root).
#pragma once

#include <memory>

#include "app/wiring.h"
#include "cli/command.h"

namespace autoland::cli {

// Loads the config, sets the log level and opens what it names.
Result<std::unique_ptr<Wiring>> wire(const Invocation& inv, bool with_bugzilla = true);

}  // namespace autoland::cli
