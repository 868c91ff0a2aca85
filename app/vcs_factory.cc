#include "app/vcs_factory.h"

#include <filesystem>

#include "adapters/vcs/git/git_vcs.h"
#include "adapters/vcs/hg/hg_vcs.h"

namespace autoland {

Result<std::unique_ptr<VersionControl>> open_vcs(Vcs kind, const std::string& cache_dir) {
  // hg and git clones of branches with the same name must not share a folder.
  std::string folder = (std::filesystem::path(cache_dir) / std::string(to_string(kind))).string();
  switch (kind) {
    case Vcs::hg: return std::unique_ptr<VersionControl>(std::make_unique<HgVcs>(folder));
    case Vcs::git: return std::unique_ptr<VersionControl>(std::make_unique<GitVcs>(folder));
  }
  return invalid_input("unknown version control kind");
}

}  // namespace autoland
