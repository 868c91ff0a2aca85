#include "core/committed_change.h"

#include "util/strings.h"

namespace autoland {

std::vector<std::string> folders_above(const std::string& path) {
  std::vector<std::string> out;
  for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    out.push_back(path.substr(0, slash));
  }
  return out;
}

Status check_committed_change(const Patch& parsed, const CommittedChange& actual) {
  std::set<std::string> listed;
  for (const FileChange& f : parsed.files) {
    listed.insert(f.path);
    if (f.kind == FileChangeKind::rename) listed.insert(f.old_path);
  }
  for (const CommittedFile& f : actual.files) {
    std::string shown = "'" + util::printable(f.path) + "'";
    Status safe = check_patch_path(f.path);
    if (!safe.ok())
      return invalid_input("the changeset made from the patch writes " + shown + ": " + safe.error().message);
    if (!listed.count(f.path)) {
      return invalid_input("the changeset made from the patch writes " + shown +
                           ", which is not among the patch's files as autoland read them; nothing was pushed");
    }
    // Folded: on a case-insensitive checkout "Docs/x" goes through a link "docs".
    for (const std::set<std::string>* links : {&actual.links_before, &actual.links_after}) {
      for (const std::string& link : *links) {
        if (is_inside(f.path, link)) {
          return invalid_input(shown + " is written through the symbolic link '" + util::printable(link) + "'");
        }
      }
    }
    if (f.symlink && !f.removed) AUTOLAND_TRY(check_symlink_target(f.path, f.link_target));
  }
  return {};
}

}  // namespace autoland
