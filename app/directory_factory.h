// The Directory the config names: LDAP when ldap.url is set, else the
// sandbox's JSON file (directory.file), else an error saying what to set.
#pragma once

#include <memory>

#include "app/config.h"
#include "ports/directory.h"

namespace autoland {

Result<std::unique_ptr<Directory>> open_directory(const Config& config);

}  // namespace autoland
