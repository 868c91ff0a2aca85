// What the sandbox prints while it runs: a line whenever a bug's request
// moves, stamped with the time since autoland started.
#pragma once

#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <string>

#include "ports/store.h"
#include "sandbox/bugzilla/bugzilla_server.h"
#include "sandbox/cycle/scenarios.h"

namespace autoland::sandbox::cycle {

// Prints `line` stamped with the seconds since restart_clock().
void say(const std::string& line);
void restart_clock();
double seconds_since_start();

std::string short_rev(const std::string& revision);

// Watches the store and the sandbox Bugzilla: a line whenever a bug's request
// moves, and the scenarios' own moves (taking a request back, making a bug
// private) at their moment.
class Monitor {
 public:
  Monitor(Store& store, sandbox::BugzillaServer& server) : store_(store), server_(server) {}

  // True once every bug has reached its end and no comment waits.
  bool tick() {
    auto all = store_.find_patchsets({});
    if (!all) return false;
    for (const PatchSet& ps : *all) last_[ps.bug_id] = ps;
    bool done = true;
    for (const Scenario& s : scenarios()) {
      act(s);
      std::string now;
      auto it = last_.find(s.bug);
      if (it != last_.end()) {
        const PatchSet& ps = it->second;
        now = std::string(to_string(ps.state)) +
              (ps.stage == Stage::landing && !is_terminal(ps.state) ? " (landing)" : "");
        if (is_terminal(ps.state)) outcome_[s.bug] = std::string(to_string(ps.state));
      } else {
        // A refused request leaves no patchset, only its comment.
        for (const sandbox::PostedComment& c : server_.comments(s.bug)) {
          if (c.text.find("Autoland: Step") != std::string::npos) now = outcome_[s.bug] = "refused";
        }
      }
      if (!now.empty() && seen_[s.bug] != now) {
        seen_[s.bug] = now;
        char line[160];
        std::snprintf(line, sizeof line, "bug %-2llu %-34s %s", static_cast<unsigned long long>(s.bug), s.title.c_str(),
                      now.c_str());
        say(line);
      }
      if (!outcome_.count(s.bug)) done = false;
    }
    auto pending = store_.due_comments(std::numeric_limits<UnixTime>::max() / 2, 1);
    return done && pending && pending->empty();
  }

  std::string outcome(BugId bug) const {
    auto it = outcome_.find(bug);
    return it == outcome_.end() ? "(unfinished)" : it->second;
  }
  const PatchSet* patchset(BugId bug) const {
    auto it = last_.find(bug);
    return it == last_.end() ? nullptr : &it->second;
  }

 private:
  void act(const Scenario& s) {
    if (s.act == Scenario::Act::none || acted_.count(s.bug)) return;
    auto it = last_.find(s.bug);
    if (it == last_.end()) return;
    if (s.act == Scenario::Act::take_back) {
      // As soon as it is queued, well inside the grace period.
      if (server_.set_whiteboard(s.bug, "", s.requester).ok()) {
        acted_.insert(s.bug);
        say("bug " + std::to_string(s.bug) + "  " + s.requester + " takes the request back (clears the whiteboard)");
      }
    } else if (s.act == Scenario::Act::make_private && !it->second.try_revision.empty()) {
      if (server_.set_groups(s.bug, {"security"}, "rita@example.org").ok()) {
        acted_.insert(s.bug);
        say("bug " + std::to_string(s.bug) + "  made private (security group) while its try run goes on");
      }
    }
  }

  Store& store_;
  sandbox::BugzillaServer& server_;
  std::map<BugId, PatchSet> last_;
  std::map<BugId, std::string> seen_, outcome_;
  std::set<BugId> acted_;
};

}  // namespace autoland::sandbox::cycle
