// The VersionControl port over Mercurial: persistent working clones per branch in a cache
// folder, patches applied with `hg import` through the command server, pushed
// without force unless the branch takes new heads (try), with pull + rebase
// when the remote moved meanwhile.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "adapters/vcs/hg/working_clone.h"
#include "ports/vcs.h"

namespace autoland {

class HgVcs final : public VersionControl {
 public:
  explicit HgVcs(std::string cache_dir) : cache_dir_(std::move(cache_dir)) {}
  Result<PushOutcome> apply_and_push(const PushSpec& spec) override;

  // Test seam: runs right before each push attempt (tests make the remote
  // move there to force a race deterministically).
  void set_before_push(std::function<void()> hook) { before_push_ = std::move(hook); }

 private:
  Result<HgWorkingClone*> clone_for(const PushSpec& spec);
  std::string cache_dir_;
  std::map<std::string, std::unique_ptr<HgWorkingClone>> clones_;
  std::function<void()> before_push_;
};

// "Hunk #2 FAILED at 14" lines and the like, turned into one sentence that
// names the file and the hunk (pure; tested on canned hg output).
std::string describe_import_failure(const std::string& hg_stderr, const std::string& hg_stdout);

}  // namespace autoland
