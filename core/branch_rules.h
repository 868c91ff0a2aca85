// The rules a branch keeps, wherever it is made or changed: the config's
// [[branches]] and the REST API both call these, so that one answer holds
// for both (they used to differ on levels, CI sources and pretest branches).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/model.h"
#include "util/result.h"

namespace autoland {

// A branch name: 1 to 64 of A-Z a-z 0-9 . _ -, not starting with '.' or '-',
// not ending in ".lock", and not ".hg" or ".git" in any case. It names a
// working-clone folder and lock file and appears in tags, so nothing else
// (no NUL, newline, slash, "..", invalid UTF-8) is taken. invalid_input says why.
Status check_branch_name(std::string_view name);

// What a branch's rules need to know beyond the branch.
struct BranchRuleContext {
  std::set<std::string> ci_sources;  // the CI sources configured here ("local", "buildbot", "treeherder")
  // Another branch by name (for the pretest branch); nullopt when there is none.
  std::function<std::optional<Branch>(const std::string& name)> find;
};

// Every rule on one branch: its name, a repo_url, threshold 0-1000, level
// 1-3, a configured CI source (and no reruns asked of Treeherder, which
// cannot rerun), retriggers 0-20, a results timeout of 1 minute to a week,
// default try syntax that parses, and a pretest branch that exists, is not
// itself and is a try branch. invalid_input naming the branch and the rule.
Status validate_branch(const Branch& branch, const BranchRuleContext& context);

// Whether `after` sends pushes somewhere other than `before` does: another
// remote, VCS or pretest branch. Refused while patchsets are in flight on
// the branch: after a restart they would look for their push on the new
// remote, not find it, and push again.
bool moves_pushes(const Branch& before, const Branch& after);

}  // namespace autoland
