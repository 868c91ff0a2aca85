// A Config as a TOML file autoland reads back as the same Config
// (parse_config(to_toml(c)) describes alike; a test holds every key to it).
// Secrets are written as they are: the file is for autoland itself (the
// sandbox's `autoland run` children), to be kept as private as the config.
#pragma once

#include <string>

#include "app/config.h"

namespace autoland {

std::string to_toml(const Config& config);

}  // namespace autoland
