// The second line of defence behind parse_patch: once the VCS has made a
// changeset from a patch, and before anything is pushed, the files it really
// wrote, as the VCS itself reports them, are held to the same rules as the
// patch. A patch the parser misread in any way the VCS did not (a hunk it
// found where the parser saw none, a link a file was written through) stops
// here, with a reason that names the file.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "core/patch.h"
#include "util/result.h"

namespace autoland {

struct CommittedFile {
  std::string path;
  bool removed = false;
  bool symlink = false;     // a symbolic link after the change
  std::string link_target;  // where it points, when it is one
};

// What the VCS says about one changeset.
struct CommittedChange {
  std::vector<CommittedFile> files;  // every file it adds, changes or removes
  // The symbolic links of the parent's tree and of the changeset's: all of
  // them, or at least those that fold alike with a folder above `files`.
  std::set<std::string> links_before;
  std::set<std::string> links_after;
};

// Every folder above `path`, outermost first: "a/b/c" -> {"a", "a/b"}.
std::vector<std::string> folders_above(const std::string& path);

// REQUIRES: `parsed` is the patch the changeset was made from.
// Returns invalid_input when the changeset writes a file the patch does not
// list, a path check_patch_path refuses, a link check_symlink_target
// refuses, or a file inside a folder that is a link before or after it
// (compared folded, see is_inside).
Status check_committed_change(const Patch& parsed, const CommittedChange& actual);

}  // namespace autoland
