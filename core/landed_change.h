// Whether a patch's change is already on a branch: the one rule both VCS
// adapters apply before a landing (hg import and git apply happily apply a
// change that already landed when its context still matches) and when they
// look for a push an interrupted run may have made. It runs inside the
// adapters' push loop, again after every rebase, so it lives here, pure,
// over what an adapter can list (recent changesets) and read (one diff).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace autoland {

struct BranchChangeset {
  std::string node;
  std::string description;  // the whole message
};

// The diff of one changeset as the VCS prints it (hg export --git, git show);
// compared through normalized_diff.
using DiffOf = std::function<Result<std::string>(const std::string& node)>;

// Among `newest_first`, the node of a changeset whose summary (first line)
// is `summary` and whose diff is `patch_text`'s, unless a newer one backed
// it out ("Backed out changeset <its first 12 hex digits>" in its message):
// landing again what was backed out is what people do. nullopt: not there.
Result<std::optional<std::string>> find_landed_change(const std::vector<BranchChangeset>& newest_first,
                                                      std::string_view summary, std::string_view patch_text,
                                                      const DiffOf& diff_of);

// "node\0description\0node\0description\0..." (what both adapters ask their
// VCS to print) as changesets, in the order given.
std::vector<BranchChangeset> parse_changeset_list(std::string_view nul_separated);

}  // namespace autoland
