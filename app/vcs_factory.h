// The VersionControl driver for a branch's kind (hg or git), with its
// working clones under the configured cache folder.
#pragma once

#include <memory>
#include <string>

#include "core/model.h"
#include "ports/vcs.h"
#include "util/result.h"

namespace autoland {

Result<std::unique_ptr<VersionControl>> open_vcs(Vcs kind, const std::string& cache_dir);

}  // namespace autoland
