// The VersionControl port over git: a bare cache clone per branch, fetched
// before each patchset; patches applied to a scratch index only (`git apply
// --cached --3way`, `write-tree`, `commit-tree`), so nothing is ever checked
// out; pushed without force. A landing goes to the remote's default branch
// (or the branch named after '#' in the URL: `https://host/repo.git#main`);
// a try push goes to a branch of its own, `autoland/try/<tip>`.
// When the remote moved meanwhile the patches are applied again on the new
// head (what a rebase does for patch-based changes) and pushed again.
// Not thread-safe: one push per branch at a time.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "adapters/process/subprocess.h"
#include "core/committed_change.h"
#include "core/landed_change.h"
#include "core/patch.h"
#include "ports/vcs.h"
#include "util/file_lock.h"

namespace autoland {

class GitVcs final : public VersionControl {
 public:
  explicit GitVcs(std::string cache_dir) : cache_dir_(std::move(cache_dir)) {}
  Result<PushOutcome> apply_and_push(const PushSpec& spec) override;
  Result<PushOutcome> back_out(const BackoutSpec& spec) override;
  Result<std::optional<PushOutcome>> find_pushed(const PushSpec& spec,
                                                 const std::vector<std::string>& recorded_nodes) override;
  Result<std::string> parent_of(const RemoteSpec& spec, const std::string& revision) override;
  Result<std::optional<PushOutcome>> find_backed_out(const BackoutSpec& spec,
                                                     const std::vector<std::string>& recorded_nodes) override;

  // Test seam: runs right before each push attempt.
  void set_before_push(std::function<void()> hook) { before_push_ = std::move(hook); }
  // How often a cache clone was found broken and made again.
  int reclones() const { return reclones_; }

 private:
  struct Clone {
    std::string path;
    std::string url;  // pull URL without the '#ref'
    std::string ref;  // the target branch, e.g. "main"
  };
  using Builder = std::function<Result<std::vector<std::string>>(const std::string& base)>;

  Result<Clone*> open(const RemoteSpec& spec);
  // The commit whose tree the scratch index holds ("" = unknown), kept in a
  // file in the clone so that a re-made clone or another process sharing
  // the cache can never leave it stale: the next patch on top of it needs no
  // read-tree of 20,000 entries.
  static std::string index_commit(const Clone& clone);
  static void set_index_commit(const Clone& clone, const std::string& sha);
  Result<util::FileLock> lock(const RemoteSpec& spec);
  Result<PushOutcome> apply_and_push_once(const PushSpec& spec);
  // Runs `work`; when a git command failed outright and fsck finds the clone
  // broken, makes the clone again and runs `work` once more.
  Result<PushOutcome> with_repair(const RemoteSpec& spec, const std::function<Result<PushOutcome>()>& work);
  Status init_fresh(Clone& clone);
  // Fetches every branch; returns the target branch's head.
  Result<std::string> refresh(Clone& clone, const RemoteSpec& spec);
  Result<ProgramResult> git(const Clone& clone, std::vector<std::string> args, std::string_view input = {},
                            const std::map<std::string, std::string>& env = {});
  // Applies `text` on top of `parent` in the scratch index; conflict naming the file when it does not apply.
  Result<std::string> apply_to_tree(Clone& clone, const std::string& parent, const std::string& text);
  // `date` nullopt: now.
  Result<std::string> commit(Clone& clone, const std::string& tree, const std::string& parent,
                             const std::string& message, const std::string& author,
                             const std::optional<PatchDate>& date);
  // Makes the patchset's commits on `base`, each checked against its patch
  // (check_committed_change) before the next.
  Result<std::vector<std::string>> build_patches(Clone& clone, const PushSpec& spec, const std::vector<Patch>& parsed,
                                                 const std::string& base);
  // What commit `sha` really changed against `parent`, as git reports it;
  // `parent_links`, when known, are the parent's links (not listed again).
  Result<CommittedChange> committed_change(Clone& clone, const std::string& parent, const std::string& sha,
                                           const std::set<std::string>* parent_links);
  // Every symbolic link in `rev`'s tree.
  Result<std::set<std::string>> links_in(Clone& clone, const std::string& rev);
  // `recheck` runs after each fetch (is the change there already?).
  // `fetched`: `head` is fresh; otherwise a build that does not apply
  // fetches and tries once more before it is a conflict.
  Result<PushOutcome> push_loop(Clone& clone, const RemoteSpec& spec, bool own_branch, const std::string& head,
                                const Builder& build, const std::function<Status()>& recheck, bool fetched);
  Result<std::optional<std::string>> find_backout(Clone& clone, const std::string& message);
  Status check_not_landed(Clone& clone, const PushSpec& spec, const std::vector<Patch>& parsed);
  // The newest head known here, fetching only when there is none yet.
  Result<std::string> known_head(Clone& clone, const RemoteSpec& spec);
  // The newest 1000 changesets of the remote branch as fetched, newest first.
  Result<std::vector<BranchChangeset>> recent(Clone& clone);
  // core/landed_change's rule over this clone.
  Result<std::optional<std::string>> find_same_change(Clone& clone, const std::vector<BranchChangeset>& recent,
                                                      const std::string& summary, const std::string& patch_text);
  Result<bool> on_remote(Clone& clone, const std::string& node);
  Result<std::vector<std::string>> landed_newest_first(Clone& clone, const BackoutSpec& spec);

  std::string cache_dir_;
  std::map<std::string, Clone> clones_;
  std::function<void()> before_push_;
  int reclones_ = 0;
};

// git apply's complaints ("error: patch failed: a.txt:3", "U a.txt") as one
// sentence naming the files, and the hunks found in `patch` (pure; tested
// on canned output).
std::string describe_git_apply_failure(const std::string& git_stderr, std::string_view patch = {});

}  // namespace autoland
