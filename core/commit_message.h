// Commit messages as trunk expects them: "Bug 123 - Fix the thing r=alice".
// The parser reports what it finds (bugs, reviewers, approvals, flags); the
// landing rule says whether a message may land on trunk for a given bug.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "util/result.h"

namespace autoland {

struct CommitMessageInfo {
  std::string summary;                      // the first line
  std::vector<BugId> bugs;                  // "Bug N" in the summary, in order
  std::vector<std::string> reviewers;       // r=alice,bob / r=alice r=bob
  std::vector<std::string> superreviewers;  // sr=
  std::vector<std::string> ui_reviewers;    // ui-r=
  std::vector<std::string> approvers;       // a=release
  bool review_requested = false;            // r? (review asked, not given)
  bool dont_build = false;                  // DONTBUILD
  bool closed_tree = false;                 // CLOSED TREE
  bool has_try_syntax = false;              // a "try:" line anywhere
};

CommitMessageInfo parse_commit_message(std::string_view message);

// The trunk landing rule: the summary names `bug`, at least one reviewer
// (r=, sr= or ui-r=), and no try syntax. Returns every problem found, each a
// sentence a developer can act on; empty when the message may land.
// `reviewers_from_flags`: the review flags name the reviewers, and the landed
// message gets them (add_reviewers_to_message), so a summary without r= is fine.
std::vector<std::string> landing_message_problems(const CommitMessageInfo& info, BugId bug,
                                                  bool reviewers_from_flags = false);

// `message` with " r=a,b" appended to the summary when it names no reviewer
// (docs/design.md §4: the landed message gets r= from the review flags).
std::string add_reviewers_to_message(std::string_view message, const std::vector<std::string>& reviewers);

// The message of one commit backing out `newest_first` (full or short
// nodes): "Backed out changeset X (bug B) for REASON" for one,
// "Backed out N changesets (bug B) for REASON" and a line per changeset for
// more (Mozilla's convention, which its tools parse).
std::string backout_message(const std::vector<std::string>& newest_first, BugId bug, std::string_view reason);

}  // namespace autoland
