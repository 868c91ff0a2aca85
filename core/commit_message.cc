#include "core/commit_message.h"

#include <algorithm>

#include "core/try_syntax.h"
#include "util/strings.h"

namespace autoland {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == '@' || static_cast<unsigned char>(c) >= 0x80;
}

bool is_word_char(char c) { return is_name_char(c); }

// A flag like "r=" only counts at the start of a word: "color=red" is not a review.
// Any byte that cannot be part of a name or a flag separates words, so
// "(r=a", ";r=a" and "\tr=a" count and "color=red" or "x=r=a" do not.
bool at_word_start(std::string_view s, size_t at) {
  if (at == 0) return true;
  char p = s[at - 1];
  return !is_name_char(p) && p != '=' && p != '?' && p != ':' && p != '+';
}

void add_unique(std::vector<std::string>& list, std::string name) {
  if (!name.empty() && std::find(list.begin(), list.end(), name) == list.end()) list.push_back(std::move(name));
}

// Reads "alice,bob" or "alice+bob" after "r=" at `pos`; leading ':' on nicks is dropped.
size_t read_names(std::string_view s, size_t pos, std::vector<std::string>& out) {
  while (pos < s.size()) {
    while (pos < s.size() && s[pos] == ':') ++pos;
    size_t start = pos;
    while (pos < s.size() && is_name_char(s[pos])) ++pos;
    std::string name(s.substr(start, pos - start));
    while (!name.empty() && name.back() == '.') name.pop_back();  // "r=alice." ends a sentence
    add_unique(out, std::move(name));
    if (pos < s.size() && (s[pos] == ',' || s[pos] == '+') && pos + 1 < s.size() && is_name_char(s[pos + 1])) {
      ++pos;
      continue;
    }
    break;
  }
  return pos;
}

}  // namespace

CommitMessageInfo parse_commit_message(std::string_view message) {
  CommitMessageInfo info;
  size_t nl = message.find('\n');
  std::string_view summary = message.substr(0, nl);
  if (!summary.empty() && summary.back() == '\r') summary.remove_suffix(1);
  info.summary = std::string(summary);
  std::string_view s = summary;

  for (size_t i = 0; i < s.size(); ++i) {
    if (!at_word_start(s, i)) continue;
    std::string_view rest = s.substr(i);
    if (util::istarts_with(rest, "bug")) {
      size_t j = i + 3;
      while (j < s.size() && (s[j] == ' ' || s[j] == '#')) ++j;
      size_t digits = j;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
      if (j > digits && (j == s.size() || !is_word_char(s[j]))) {
        if (auto bug = util::parse_uint(s.substr(digits, j - digits)); bug && *bug > 0) {
          if (std::find(info.bugs.begin(), info.bugs.end(), *bug) == info.bugs.end()) info.bugs.push_back(*bug);
        }
        i = j - 1;
        continue;
      }
    }
    struct Flag {
      std::string_view prefix;
      std::vector<std::string>* list;
    };
    const Flag flags[] = {
        {"ui-r=", &info.ui_reviewers},
        {"sr=", &info.superreviewers},
        {"r=", &info.reviewers},
        {"a=", &info.approvers},
    };
    bool matched = false;
    for (const Flag& f : flags) {
      if (util::istarts_with(rest, f.prefix)) {
        i = read_names(s, i + f.prefix.size(), *f.list);
        if (i > 0) --i;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (util::istarts_with(rest, "r?") || util::istarts_with(rest, "sr?")) info.review_requested = true;
  }
  info.dont_build = summary.find("DONTBUILD") != std::string_view::npos;
  info.closed_tree = summary.find("CLOSED TREE") != std::string_view::npos;
  info.has_try_syntax = find_try_syntax(message).has_value();
  return info;
}

std::vector<std::string> landing_message_problems(const CommitMessageInfo& info, BugId bug, bool reviewers_from_flags) {
  std::vector<std::string> problems;
  if (std::find(info.bugs.begin(), info.bugs.end(), bug) == info.bugs.end()) {
    if (info.bugs.empty()) {
      problems.push_back("the summary names no bug; start it with \"Bug " + std::to_string(bug) + " - \"");
    } else {
      problems.push_back("the summary names bug " + std::to_string(info.bugs.front()) + ", not bug " +
                         std::to_string(bug));
    }
  }
  if (info.reviewers.empty() && info.superreviewers.empty() && info.ui_reviewers.empty() && !reviewers_from_flags) {
    problems.push_back(info.review_requested ? "review was only requested (r?), not given (r=)"
                                             : "the summary names no reviewer (r=NAME)");
  }
  if (info.has_try_syntax) problems.push_back("the message carries try syntax, which never lands on trunk");
  return problems;
}

std::string add_reviewers_to_message(std::string_view message, const std::vector<std::string>& reviewers) {
  CommitMessageInfo info = parse_commit_message(message);
  if (!info.reviewers.empty() || reviewers.empty()) return std::string(message);
  size_t nl = message.find('\n');
  std::string_view summary = message.substr(0, nl);
  bool cr = !summary.empty() && summary.back() == '\r';
  if (cr) summary.remove_suffix(1);
  std::string out(util::trim(summary));
  out += " r=" + util::join(reviewers, ",");
  if (cr) out += '\r';
  if (nl != std::string_view::npos) out.append(message.substr(nl));
  return out;
}

std::string backout_message(const std::vector<std::string>& newest_first, BugId bug, std::string_view reason) {
  auto shortened = [](const std::string& node) { return node.substr(0, 12); };
  std::string why = " (bug " + std::to_string(bug) + ") for " + std::string(reason);
  if (newest_first.size() == 1) return "Backed out changeset " + shortened(newest_first[0]) + why;
  std::string out = "Backed out " + std::to_string(newest_first.size()) + " changesets" + why + "\n";
  for (const std::string& node : newest_first) out += "\nBacked out changeset " + shortened(node);
  return out;
}

}  // namespace autoland
