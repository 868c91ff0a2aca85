// The VersionControl port over Mercurial: persistent working clones per branch in a cache
// folder whose working copies are never checked out; patches applied with
// `hg import --bypass` through the command server, pushed without force
// unless the branch takes new heads (try); when the remote moved meanwhile,
// pulled and applied again on the new head. Every changeset made is checked
// against the patch (check_committed_change) before anything is pushed.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "adapters/vcs/hg/working_clone.h"
#include "core/committed_change.h"
#include "core/landed_change.h"
#include "core/patch.h"
#include "ports/vcs.h"
#include "util/file_lock.h"

namespace autoland {

class HgVcs final : public VersionControl {
 public:
  explicit HgVcs(std::string cache_dir) : cache_dir_(std::move(cache_dir)) {}
  Result<PushOutcome> apply_and_push(const PushSpec& spec) override;
  Result<PushOutcome> back_out(const BackoutSpec& spec) override;
  Result<std::optional<PushOutcome>> find_pushed(const PushSpec& spec,
                                                 const std::vector<std::string>& recorded_nodes) override;
  Result<std::optional<PushOutcome>> find_backed_out(const BackoutSpec& spec,
                                                     const std::vector<std::string>& recorded_nodes) override;
  Result<std::string> parent_of(const RemoteSpec& spec, const std::string& revision) override;

  // Test seam: runs right before each push attempt (tests make the remote
  // move there to force a race deterministically).
  void set_before_push(std::function<void()> hook) { before_push_ = std::move(hook); }

 private:
  Result<HgWorkingClone*> clone_for(const RemoteSpec& spec);
  // Applies a patch on the working copy's parent and moves the parent to
  // the new changeset; conflict with the file and hunk when it does not apply.
  Result<std::string> import_bypass(HgWorkingClone& clone, std::vector<std::string> args, const std::string& text);
  // After a lost race: drops our changesets, pulls, and makes them again on
  // the new head (checking first whether what landed meanwhile is this very change).
  using Rebuild = std::function<Result<std::vector<std::string>>()>;
  // Pushes `ours` (oldest first); when the remote moved meanwhile, pushes
  // what `rebuild` makes instead.
  Result<PushOutcome> push_built(HgWorkingClone& clone, const RemoteSpec& spec, bool allow_new_head,
                                 std::vector<std::string> ours, const Rebuild& rebuild);
  // What the changeset `node` really wrote, as hg reports it; `parent_links`,
  // when known, are its parent's links (not listed again).
  Result<CommittedChange> committed_change(HgCommandServer& hg, const std::string& node,
                                           const std::set<std::string>* parent_links);
  Status apply_patches(HgWorkingClone& clone, const PushSpec& spec, const std::vector<Patch>& parsed,
                       std::vector<std::string>* made);
  Result<std::optional<std::string>> find_backout(HgCommandServer& hg, const std::string& message);
  // One process at a time per clone (the daemon and `autoland push` may share the cache).
  Result<util::FileLock> lock(const RemoteSpec& spec);
  Status check_not_landed(HgCommandServer& hg, const PushSpec& spec, const std::vector<Patch>& parsed);
  // The newest 1000 public changesets, newest first.
  Result<std::vector<BranchChangeset>> recent_public(HgCommandServer& hg);
  // core/landed_change's rule over this clone.
  Result<std::optional<std::string>> find_same_change(HgCommandServer& hg, const std::vector<BranchChangeset>& recent,
                                                      const std::string& summary, const std::string& patch_text);
  Result<bool> remote_has(HgCommandServer& hg, const RemoteSpec& spec, const std::vector<std::string>& nodes);
  Result<std::vector<std::string>> landed_newest_first(HgCommandServer& hg, const BackoutSpec& spec);

  std::string cache_dir_;
  std::map<std::string, std::unique_ptr<HgWorkingClone>> clones_;
  std::function<void()> before_push_;
};

// "Hunk #2 FAILED at 14" lines and the like, turned into one sentence that
// names the file and the hunk (pure; tested on canned hg output).
std::string describe_import_failure(const std::string& hg_stderr, const std::string& hg_stdout);

}  // namespace autoland
