#include "core/branch_rules.h"

#include "core/try_syntax.h"
#include "util/strings.h"

namespace autoland {

Status check_branch_name(std::string_view name) {
  std::string shown = "branch name '" + util::printable(name, 40) + "'";
  if (name.empty()) return invalid_input("a branch needs a name");
  if (name.size() > 64) return invalid_input(shown + " is longer than 64 characters");
  for (char c : name) {
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return invalid_input(shown + " may hold only letters, digits, '.', '_' and '-'");
  }
  if (name[0] == '.' || name[0] == '-') return invalid_input(shown + " may not start with '.' or '-'");
  std::string lower = util::to_lower(name);
  if (lower.size() >= 5 && lower.substr(lower.size() - 5) == ".lock") {
    return invalid_input(shown + " may not end in '.lock' (autoland's lock files are named so)");
  }
  return {};
}

Status validate_branch(const Branch& b, const BranchRuleContext& context) {
  AUTOLAND_TRY(check_branch_name(b.name));
  std::string on = "branch '" + b.name + "': ";
  if (b.repo_url.empty()) return invalid_input(on + "a repo_url is needed: where pushes go");
  for (const std::string* url : {&b.repo_url, &b.pull_url}) {
    for (unsigned char c : *url) {
      if (c < 0x20 || c == 0x7f) return invalid_input(on + "a URL contains a control character");
    }
  }
  if (b.threshold < 0 || b.threshold > 1000) return invalid_input(on + "threshold must be 0 to 1000");
  if (b.required_level < 1 || b.required_level > 3) return invalid_input(on + "required_level must be 1 to 3");
  if (b.max_retriggers < 0 || b.max_retriggers > 20) return invalid_input(on + "max_retriggers must be 0 to 20");
  if (b.max_batch < 1 || b.max_batch > 100) return invalid_input(on + "max_batch must be 1 to 100");
  if (b.landing_strategy == LandingStrategy::batch) {
    // Refused rather than run as something else: pushing a batch together
    // with CI on its top only is not built yet.
    return invalid_input(on +
                         "landing_strategy 'batch' is not available yet; 'pipelined' lands up to threshold at "
                         "once with the same culprit finding");
  }
  if (b.landing_strategy != LandingStrategy::serial && b.is_try()) {
    return invalid_input(on + "landing_strategy '" + std::string(to_string(b.landing_strategy)) +
                         "' is for trunk branches: try pushes never land and are never backed out");
  }
  if (b.results_timeout_minutes < 1 || b.results_timeout_minutes > 7 * 24 * 60) {
    return invalid_input(on + "results_timeout_minutes must be 1 to 10080");
  }
  if (!context.ci_sources.count(b.ci_source)) {
    std::string known =
        util::join(std::vector<std::string>(context.ci_sources.begin(), context.ci_sources.end()), ", ");
    return invalid_input(on + "ci '" + util::printable(b.ci_source, 40) + "' is not a CI source configured here (" +
                         (known.empty() ? "none is" : known) + "): its pushes would never be tested");
  }
  if (b.ci_source == "treeherder" && b.max_retriggers != 0) {
    // Treeherder has no retrigger call (Taskcluster actions do it, with a
    // person's credentials): autoland cannot rerun an orange job there.
    return invalid_input(on + "takes its results from Treeherder, which autoland cannot ask to rerun jobs: set " +
                         "max_retriggers = 0 (an orange job then fails the run; a rerun a sheriff starts counts)");
  }
  if (!b.default_try_syntax.empty()) {
    auto syntax = parse_try_syntax(b.default_try_syntax);
    if (!syntax) return invalid_input(on + "default_try_syntax: " + syntax.error().message);
  }
  if (!b.pretest_branch.empty()) {
    if (b.pretest_branch == b.name) return invalid_input(on + "a branch cannot be its own pretest branch");
    std::optional<Branch> pretest = context.find ? context.find(b.pretest_branch) : std::nullopt;
    if (!pretest) return invalid_input(on + "pretest branch '" + b.pretest_branch + "' does not exist");
    if (!pretest->is_try()) {
      return invalid_input(on + "pretest branch '" + b.pretest_branch +
                           "' is not a try branch (it has a pretest branch of its own, or needs level 2 or more)");
    }
  }
  return {};
}

bool moves_pushes(const Branch& before, const Branch& after) {
  return after.repo_url != before.repo_url || after.pull_url != before.pull_url || after.vcs != before.vcs ||
         after.pretest_branch != before.pretest_branch;
}

}  // namespace autoland
