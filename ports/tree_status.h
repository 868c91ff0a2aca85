// TreeStatusSource: whether a tree (a branch) is open, closed or needs
// approval, from a Treestatus-compatible service. Errors: transient when it
// cannot be asked; callers then hold landings (fail closed) and say why.
#pragma once

#include <string>

#include "core/model.h"
#include "util/result.h"

namespace autoland {

struct TreeState {
  TreeStatus status = TreeStatus::open;
  std::string reason;
};

class TreeStatusSource {
 public:
  virtual ~TreeStatusSource() = default;
  virtual Result<TreeState> status(const std::string& tree) = 0;
};

}  // namespace autoland
