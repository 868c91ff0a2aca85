// git writes a path that changes type (a file becoming a symbolic link, or
// back) as two diffs: the old one deleted, the new one created. hg import
// applies them in order and stops at the second ("file f already exists").
// Rewritten as one diff with old and new mode lines and one hunk from the
// old content to the new, which is how hg itself writes such a change, it
// applies: the same path, the same bytes and the same type in the end.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace autoland {

// A path whose type changes, and the bytes it must hold afterwards (a link's
// target, or the file's content). hg applies a hunk at an offset or with
// fuzz where git deletes only the exact file: the caller checks the result.
struct TypeChange {
  std::string path;
  std::string content;
};

struct JoinedDiff {
  std::string diff;
  std::vector<TypeChange> changes;
};

// `diff` (the diff part of a patch) with every delete-then-create pair of one
// path that changes its type (exactly one side mode 120000) joined into one
// diff; the rest as it is. Refuses a pair it cannot join (binary content on
// either side), naming the path.
Result<JoinedDiff> join_type_changes(std::string_view diff);

}  // namespace autoland
