// The sandbox's scenarios: one bug each, what it asks for and how it must
// end, with the comments, pushes and landings that end means.
#pragma once

#include <string>
#include <vector>

#include "core/model.h"

namespace autoland::sandbox::cycle {

struct Scenario {
  BugId bug;
  std::string title;
  std::string whiteboard;
  std::string file, content, message;  // the patch: `file` gets `content`
  bool reviewed;
  std::string requester;
  std::string expected;  // the patchset's end, or "refused" (the request never became one)
  int comments;          // what the bug must have heard, once each
  bool try_push;         // pushed to try once
  bool lands;            // lands on mozilla-inbound once
  enum class Act { none, make_private, take_back } act = Act::none;
};

// Not a scenario: a reviewed patch on an untagged bug, for a newcomer to
// land with `autoland ctl bug request` (or a tag) under --keep-running.
Scenario spare();

// Every scenario, in bug order: 1 to 11 and 13 to 15, then the bulk ones.
std::vector<Scenario> scenarios();

// Adds `n` bulk bugs (100, 101, ...) to scenarios(), for load: nine in ten
// ask for try only and one in ten to land on mozilla-inbound, each with its
// own new file; all of them end well. Set once, before the world is made.
void set_bulk_scenarios(int n);
bool is_bulk(const Scenario& s);

}  // namespace autoland::sandbox::cycle
