// The CI sources named by branches (`branches[].ci`), built from the config:
// "local" is the local runner over the branches' repositories, "buildbot" a
// buildbot master's REST API, "treeherder" a Treeherder instance's.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "app/config.h"
#include "ports/ci_results.h"
#include "ports/clock.h"
#include "ports/store.h"

namespace autoland {

class LocalCi;

struct CiSources {
  std::unique_ptr<LocalCi> local;  // null when no branch has local jobs
  std::unique_ptr<CiResults> buildbot;    // null unless ci.buildbot.url is set
  std::unique_ptr<CiResults> treeherder;  // null unless ci.treeherder.url is set
  ~CiSources();
  CiSources();
  CiSources(CiSources&&) noexcept;
  // The source a branch names; null when it is not configured.
  CiResults* find(const std::string& name) const;
};

// Branches come from the store (which owns them after the first start); a
// branch with local jobs must have a local repository path.
Result<CiSources> open_ci_sources(const Config& config, Store& store, const Clock& clock);

}  // namespace autoland
