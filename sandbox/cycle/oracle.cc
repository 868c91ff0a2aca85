#include "sandbox/cycle/oracle.h"

#include <algorithm>

#include "core/comments.h"
#include "sandbox/cycle/scenarios.h"
#include "sandbox/cycle/world.h"
#include "util/strings.h"

namespace autoland::sandbox::cycle {

namespace fs = std::filesystem;

namespace {

// `hg log` first lines of a remote.
std::vector<std::string> summaries(const fs::path& repo) {
  std::vector<std::string> out;
  auto log = hg({"log", "-R", repo.string(), "-T", "{desc|firstline}\n"});
  if (!log) return out;
  for (std::string_view line : util::split(*log, '\n')) {
    if (!line.empty()) out.emplace_back(line);
  }
  return out;
}

int count_prefix(const std::vector<std::string>& lines, const std::string& prefix) {
  return static_cast<int>(
      std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.rfind(prefix, 0) == 0; }));
}

}  // namespace

std::vector<std::string> check_exactly_once(const fs::path& dir, sandbox::BugzillaServer& server, int* comments_total) {
  std::vector<std::string> problems;
  const auto tried = summaries(dir / "try");
  const auto inbound = summaries(dir / "mozilla-inbound");
  const auto central = summaries(dir / "mozilla-central");
  *comments_total = 0;
  for (const Scenario& s : scenarios()) {
    const std::string bug = "bug " + std::to_string(s.bug);
    std::map<std::string, int> keys;
    int posted = 0;
    for (const sandbox::PostedComment& c : server.comments(s.bug)) {
      auto marker = find_dedup_marker(c.text);
      if (!marker) continue;
      const std::string& key = *marker;
      ++posted;
      if (++keys[key] == 2) problems.push_back(bug + ": the comment " + key + " was posted more than once");
    }
    *comments_total += posted;
    if (posted != s.comments) {
      problems.push_back(bug + ": " + std::to_string(posted) + " comments, expected " + std::to_string(s.comments));
    }
    const std::string prefix = "Bug " + std::to_string(s.bug) + " - ";
    int on_try = count_prefix(tried, prefix), landed = count_prefix(inbound, prefix);
    if (on_try != (s.try_push ? 1 : 0)) {
      problems.push_back(bug + ": " + std::to_string(on_try) + " copies on try, expected " + (s.try_push ? "1" : "0"));
    }
    if (landed != (s.lands ? 1 : 0)) {
      problems.push_back(bug + ": " + std::to_string(landed) + " copies on mozilla-inbound, expected " +
                         (s.lands ? "1" : "0"));
    }
    int backouts = 0;
    for (const std::string& l : inbound) {
      backouts += l.rfind("Backed out", 0) == 0 && l.find("(" + bug + ")") != std::string::npos;
    }
    int wanted_backouts = s.expected == "backed_out" ? 1 : 0;
    if (backouts != wanted_backouts) {
      problems.push_back(bug + ": " + std::to_string(backouts) + " backouts, expected " +
                         std::to_string(wanted_backouts));
    }
  }
  if (count_prefix(inbound, "Bug 2 - Add c r=rita") != 1) {
    problems.push_back("bug 2: the landed message did not get r=rita from the review flag");
  }
  if (central.size() != 1) problems.push_back("mozilla-central changed: nothing lands there in the sandbox");
  return problems;
}

}  // namespace autoland::sandbox::cycle
