#include "sandbox/cycle/scenarios.h"

namespace autoland::sandbox::cycle {
namespace {

int g_bulk = 0;
constexpr BugId kFirstBulkBug = 100;

}  // namespace

void set_bulk_scenarios(int n) { g_bulk = n; }
bool is_bulk(const Scenario& s) { return s.bug >= kFirstBulkBug; }

Scenario spare() {
  return {12,   "spare: yours to land", "", "j.txt", "j\n", "Bug 12 - Add j r=rita",
          true, "dana@example.org",     "", 0,       false, false};
}

std::vector<Scenario> scenarios() {
  const std::string dana = "dana@example.org";
  using A = Scenario::Act;
  std::vector<Scenario> all = {
      {1, "try only, green", "[autoland-try]", "b.txt", "b\n", "Bug 1 - Add b", false, dana, "reported", 1, true,
       false},
      // No r= in the message: the landing gets r=rita from the flag.
      {2, "try, then inbound: green", "[autoland-mozilla-inbound]", "c.txt", "c\n", "Bug 2 - Add c", true, dana,
       "landed", 2, true, true},
      {3, "try, red", "[autoland-try]", "FAIL", "x\n", "Bug 3 - Break the tests", false, dana, "failed", 1, true,
       false},
      {4, "inbound red after landing", "[autoland-mozilla-inbound]", "FAIL_ON_TRUNK", "x\n",
       "Bug 4 - Break trunk only r=rita", true, dana, "backed_out", 2, true, true},
      {5, "intermittent, passes on rerun", "[autoland-try]", "FLAKY", "5\n", "Bug 5 - Be flaky", false, dana,
       "reported", 1, true, false},
      {6, "no review for inbound", "[autoland-mozilla-inbound]", "d.txt", "d\n", "Bug 6 - Add d", false, dana,
       "rejected", 1, false, false},
      {7, "unknown branch", "[autoland-nosuch]", "e.txt", "e\n", "Bug 7 - Add e", false, dana, "refused", 1, false,
       false},
      {8, "malformed tag", "[autoland-try:abc]", "f.txt", "f\n", "Bug 8 - Add f", false, dana, "refused", 1, false,
       false},
      {9, "requester below level 3", "[autoland-mozilla-inbound]", "g.txt", "g\n", "Bug 9 - Add g r=rita", true,
       "junior@example.org", "rejected", 1, false, false},
      // Made private (to "security", which the bot is not in) once on try:
      // its results cannot be posted and nothing lands.
      {10, "bug made private mid-run", "[autoland-mozilla-inbound]", "h.txt", "h\n", "Bug 10 - Add h r=rita", true,
       dana, "failed", 0, true, false, A::make_private},
      // Dana takes the marker off during the grace period.
      {11, "taken back in the grace period", "[autoland-try]", "i.txt", "i\n", "Bug 11 - Add i", false, dana,
       "cancelled", 1, false, false, A::take_back},
      // Three landings in flight on the pipelined inbound, the middle one
      // bad: only it is backed out; the one on top of it is tested again on
      // the backout and stays.
      {13, "pipelined: first of three", "[autoland-mozilla-inbound]", "k.txt", "k\n", "Bug 13 - Add k r=rita", true,
       dana, "landed", 2, true, true},
      {14, "pipelined: the middle one breaks trunk", "[autoland-mozilla-inbound]", "BREAKS_TRUNK_TESTS", "x\n",
       "Bug 14 - Break trunk in the middle r=rita", true, dana, "backed_out", 2, true, true},
      {15, "pipelined: the last of three", "[autoland-mozilla-inbound]", "l.txt", "l\n", "Bug 15 - Add l r=rita", true,
       dana, "landed", 2, true, true},
  };
  for (int i = 0; i < g_bulk; ++i) {
    const BugId bug = kFirstBulkBug + static_cast<BugId>(i);
    const std::string n = std::to_string(bug);
    const bool lands = i % 10 == 9;
    all.push_back({bug, lands ? "bulk: try, then inbound" : "bulk: try only",
                   lands ? "[autoland-mozilla-inbound]" : "[autoland-try]", "bulk-" + n + ".txt", "bulk " + n + "\n",
                   "Bug " + n + " - Add bulk " + n + (lands ? " r=rita" : ""), lands, dana,
                   lands ? "landed" : "reported", lands ? 2 : 1, true, lands});
  }
  return all;
}

}  // namespace autoland::sandbox::cycle
