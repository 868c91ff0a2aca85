#include "app/ci_factory.h"

#include "adapters/ci/buildbot/buildbot_ci.h"
#include "adapters/ci/local/local_ci.h"
#include "adapters/ci/treeherder/treeherder_ci.h"
#include "util/strings.h"

namespace autoland {

CiSources::CiSources() = default;
CiSources::~CiSources() = default;
CiSources::CiSources(CiSources&&) noexcept = default;

CiResults* CiSources::find(const std::string& name) const {
  if (name == "local") return local.get();
  if (name == "buildbot") return buildbot.get();
  if (name == "treeherder") return treeherder.get();
  return nullptr;
}

Result<std::string> local_ci_repository(const Branch& branch) {
  auto local = [](const std::string& url) { return !url.empty() && url.find("://") == std::string::npos; };
  if (local(branch.repo_url)) return branch.repo_url;
  if (local(branch.pull_url)) return branch.pull_url;
  return invalid_input("the local CI runs jobs for branch " + branch.name +
                       " only from a repository on this machine; its URL is " + util::redact_url(branch.repo_url));
}

Result<CiSources> open_ci_sources(const Config& config, Store& store, const Clock& clock, LocalCiUse local_use) {
  CiSources sources;
  if (!config.buildbot.url.empty())
    sources.buildbot = make_buildbot_ci(config.buildbot.url, config.buildbot.timeout_seconds);
  if (!config.treeherder.url.empty()) {
    sources.treeherder = make_treeherder_ci(config.treeherder.url, config.treeherder.timeout_seconds);
  }
  LocalCiOptions options;
  options.state_dir = config.local_ci.state_dir;
  options.workers = config.local_ci.workers;
  options.may_attach = local_use == LocalCiUse::own_or_attach;
  options.attach_only = local_use == LocalCiUse::attach;
  for (const LocalCiJobConfig& job : config.local_ci.jobs) {
    AUTOLAND_TRY_ASSIGN(auto branch, store.get_branch(job.branch));
    AUTOLAND_TRY_ASSIGN(std::string repo, local_ci_repository(branch));
    LocalBranchCi* target = nullptr;
    for (LocalBranchCi& b : options.branches) {
      if (b.branch == job.branch) target = &b;
    }
    if (!target) {
      options.branches.push_back({job.branch, repo, branch.vcs, {}});
      target = &options.branches.back();
    }
    target->jobs.push_back({job.name, job.command, job.timeout_seconds, job.build});
  }
  if (options.branches.empty()) return sources;
  AUTOLAND_TRY_ASSIGN(auto local, LocalCi::open(std::move(options), clock));
  sources.local = std::move(local);
  return sources;
}

}  // namespace autoland
