// A persistent working clone of one branch in the cache directory, driven
// through its command server. The first use clones; later uses pull and
// move to the remote's head, never a fresh clone per patchset. The working
// copy itself stays empty (see refresh()). A clone that is interrupted or corrupt (no usable .hg, a
// failing pull that `hg verify` confirms) is removed and made again.
// Not thread-safe: one user per clone at a time.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/vcs/hg/command_server.h"
#include "util/result.h"

namespace autoland {

struct CloneSpec {
  std::string name;       // the branch; also the folder name in the cache
  std::string pull_url;   // local path, http:// or ssh://
  std::string cache_dir;  // where working clones live
};

class HgWorkingClone {
 public:
  // Clones when missing or broken; otherwise reuses the clone as it is.
  static Result<std::unique_ptr<HgWorkingClone>> open(const CloneSpec& spec);

  // Pulls, strips our drafts that never reached the remote, and makes
  // `head_revset` the working copy's parent, without checking anything out:
  // the working copy stays empty (patches go in with `import --bypass`), so
  // that a 20,000-file tree costs no update and no purge per patchset.
  // Returns that node. The default head is the newest public one.
  Result<std::string> refresh(const std::string& head_revset = kPublicHead);

  // The same without the pull (no network): drops our unpushed drafts and
  // moves to the newest head known locally. For a landing that pushes first
  // and pulls only when the remote turns out to have moved.
  Result<std::string> tidy(const std::string& head_revset = kPublicHead);

  // The newest head of the public changesets: on a non-publishing try, where
  // every push leaves a draft head on top of trunk, that is trunk's tip (the
  // public changesets' own head, no longer a head of the whole repository).
  static constexpr const char* kPublicHead = "last(heads(branch(default) and public()))";

  // Moves the working copy's parent (dirstate only; nothing is checked out):
  // what the next `import --bypass` or empty commit builds on.
  Status set_parent(const std::string& node);

  // Valid as long as this clone, across refreshes and re-clones.
  // Changesets made here and not pushed yet, kept in a file in the clone:
  // the next refresh() or tidy() strips them (and only them), even after a crash.
  void note_unpushed(const std::string& node);
  void forget_unpushed();
  // Before a command that makes changesets here (import, commit, rebase):
  // a kill before note_unpushed() would leave a draft nobody knows of, and
  // an exported patch re-imported on the same parent would find "itself"
  // already there. The next refresh() or tidy() strips every draft made
  // from this point on, before it pulls anything.
  Status note_changes_from_here();

  HgCommandServer& hg() { return *server_; }
  const std::string& path() const { return path_; }
  int reclones() const { return reclones_; }

 private:
  explicit HgWorkingClone(CloneSpec spec, std::string path) : spec_(std::move(spec)), path_(std::move(path)) {}
  Status clone_fresh();
  std::vector<std::string> read_unpushed() const;
  std::optional<int64_t> read_first_rev() const;
  Status start_server();
  Result<std::string> refresh_once(const std::string& head_revset, bool pull_first);

  CloneSpec spec_;
  std::string path_;
  std::unique_ptr<HgCommandServer> server_;
  int reclones_ = 0;
};

}  // namespace autoland
