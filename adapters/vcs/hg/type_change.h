// git writes a path that changes type (a file becoming a symbolic link, or
// back) as two diffs: the old one deleted, the new one created. hg import
// applies them in order and stops at the second ("file f already exists").
// Rewritten as one diff with old and new mode lines and one hunk from the
// old content to the new, which is how hg itself writes such a change, it
// applies: the same path, the same bytes and the same type in the end.
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace autoland {

// `diff` (the diff part of a patch) with every delete-then-create pair of one
// path joined into one diff; the rest as it is. Refuses a pair it cannot join
// (binary content on either side), naming the path.
Result<std::string> join_type_changes(std::string_view diff);

}  // namespace autoland
