#include "core/landing_rules.h"

#include <algorithm>
#include <optional>

#include "core/commit_message.h"
#include "util/strings.h"

namespace autoland {
namespace {

const std::set<std::string> kReviewFlags = {"review", "superreview", "ui-review"};

bool is_review_plus(const ReviewFlag& f) { return kReviewFlags.count(f.name) && f.status == "+"; }

std::optional<int> level_of(const CommitLevels& levels, const std::string& email) {
  auto it = levels.find(util::to_lower(email));
  if (it == levels.end()) return std::nullopt;
  return it->second;
}

// "Dana <Dana@Example.org>" -> "dana@example.org"; "" without an address.
std::string header_email(const std::string& author) {
  size_t lt = author.rfind('<');
  if (lt == std::string::npos) return "";
  return util::to_lower(author.substr(lt + 1, author.find('>', lt) - lt - 1));
}

}  // namespace

std::set<std::string> people_to_look_up(const LandingCheck& check) {
  std::set<std::string> out;
  if (!check.requester.empty()) out.insert(util::to_lower(check.requester));
  if (!check.trunk) return out;
  for (const PatchUnderReview& p : check.patches) {
    for (const ReviewFlag& f : p.flags) {
      if (is_review_plus(f)) out.insert(util::to_lower(f.setter));
    }
  }
  return out;
}

LandingVerdict check_landing(const LandingCheck& check, const CommitLevels& levels) {
  LandingVerdict verdict;
  std::vector<std::string>& found = verdict.problems;
  for (const PatchUnderReview& a : check.patches) {
    const std::string name = "attachment " + std::to_string(a.id);
    if (a.is_obsolete) found.push_back(name + " is obsolete: attach the current version and tag the bug again");
    if (a.is_private) found.push_back(name + " is private: autoland pushes to repositories anyone can read");
    auto parsed = parse_patch(a.text, check.limits);
    if (!parsed) {
      found.push_back(name + " is not a patch autoland can apply: " + parsed.error().message);
      continue;
    }
    if (!check.trunk) continue;
    if (!parsed->has_header()) {
      found.push_back(name + " has no changeset header: a landing keeps the author's name and message " +
                      "(attach hg export or git format-patch output)");
      continue;
    }
    // review+ (or sr+, ui-r+) from someone with level 3 who is not the
    // patch's author (the attachment's creator, or the header's email).
    const std::string author_email = header_email(parsed->author);
    std::vector<std::string> level3, low;
    for (const ReviewFlag& f : a.flags) {
      if (!is_review_plus(f)) continue;
      std::string setter = util::to_lower(f.setter);
      if (!check.allow_self_review && (setter == util::to_lower(a.creator) || setter == author_email)) {
        low.push_back(f.setter + " is the patch's author (self-review does not count on " + check.branch + ")");
        continue;
      }
      std::optional<int> level = level_of(levels, f.setter);
      if (level && *level >= 3) {
        if (std::find(level3.begin(), level3.end(), f.setter) == level3.end()) level3.push_back(f.setter);
      } else {
        low.push_back(f.setter +
                      (level ? " has level " + std::to_string(*level) : std::string(" is not in the directory")));
      }
    }
    // A summary without r= is fine when the flags say who reviewed: the
    // landed message gets their names (docs/design.md §4).
    CommitMessageInfo info = parse_commit_message(parsed->message);
    for (const std::string& p : landing_message_problems(info, check.bug_id, !level3.empty())) {
      found.push_back(name + ": " + p);
    }
    if (level3.empty()) {
      found.push_back(name + " needs review+ from a reviewer with commit level 3" +
                      (low.empty() ? std::string() : " (" + util::join(low, "; ") + ")"));
    } else if (info.reviewers.empty()) {
      verdict.reviewers_to_add[a.id] = level3;
    }
  }

  // Who asked must hold the branch's level.
  if (check.requester.empty()) {
    found.push_back("nobody is on record as having asked for this landing");
    return verdict;
  }
  std::optional<int> level = level_of(levels, check.requester);
  if (!level) {
    found.push_back(check.requester + " (who asked) is not in the directory; " + check.branch + " needs level " +
                    std::to_string(check.required_level));
  } else if (*level < check.required_level) {
    found.push_back(check.requester + " (who asked) has commit level " + std::to_string(*level) + "; " + check.branch +
                    " needs level " + std::to_string(check.required_level));
  }
  return verdict;
}

}  // namespace autoland
