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
  std::unique_ptr<LocalCi> local;         // null when no branch has local jobs
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
// Where the local CI finds a branch's pushes: where they go (`repo_url`),
// when that is on this machine; else its `pull_url`, when that is (a mirror
// of a remote). A try branch's `pull_url` is usually the trunk, which never
// has the try pushes. invalid_input (the URL redacted) when neither is local.
Result<std::string> local_ci_repository(const Branch& branch);

// How a process uses the local CI (adapters/ci/local): `own` runs its jobs
// (refused while another process does); `own_or_attach` runs them unless
// another process does already (result pollers on one host); `attach`
// never runs them (a process that only reads).
enum class LocalCiUse { own, own_or_attach, attach };
Result<CiSources> open_ci_sources(const Config& config, Store& store, const Clock& clock,
                                  LocalCiUse local_use = LocalCiUse::own);

}  // namespace autoland
