// Whether a patchset may land on its branch, checked when the queue takes it
// and again just before a trunk push (a review+ taken back stops it): every
// patch current, not private and parsing; on a trunk, each with a changeset header, a
// review+ from someone with commit level 3 who is not its author, and a
// message naming the bug and a reviewer; and whoever asked holding the
// branch's level. Pure once given the directory's answers: the queue asks the
// directory about everyone people_to_look_up() names, then calls
// check_landing() with what it learned.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/patch.h"

namespace autoland {

struct ReviewFlag {
  std::string name;    // "review", "superreview", "ui-review", ...
  std::string status;  // "+", "-", "?"
  std::string setter;  // a Bugzilla login
};

// One attachment of the patchset, as the bug tracker has it now.
struct PatchUnderReview {
  AttachmentId id = 0;
  bool is_obsolete = false;
  std::string creator;  // who uploaded it
  std::string text;     // the attachment's bytes
  std::vector<ReviewFlag> flags;
  bool is_private = false;  // made private since it was asked for: never pushed
};

struct LandingCheck {
  BugId bug_id = 0;
  std::string requester;  // "" when nobody is on record
  std::string branch;     // the branch it lands on at the end
  bool trunk = false;     // a trunk: review and message rules apply
  int required_level = 0;
  std::vector<PatchUnderReview> patches;
  bool allow_self_review = false;  // a review+ by the patch's own author counts
  PatchLimits limits;
};

// Bugzilla login in lower case -> commit level. Someone absent is not in the directory.
using CommitLevels = std::map<std::string, int>;

// The Bugzilla logins (lower case) whose commit level check_landing needs:
// the requester and, on a trunk, who set a review flag to '+'.
std::set<std::string> people_to_look_up(const LandingCheck& check);

struct LandingVerdict {
  std::vector<std::string> problems;  // each a sentence the requester can act on; empty: it may land
  // Patches whose message names no reviewer: the level-3 reviewers from the
  // flags, for the landed message (add_reviewers_to_message).
  std::map<AttachmentId, std::vector<std::string>> reviewers_to_add;
};

LandingVerdict check_landing(const LandingCheck& check, const CommitLevels& levels);

}  // namespace autoland
