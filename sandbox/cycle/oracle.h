// Exactly once, counted where it happened: comments on the sandbox
// Bugzilla, pushes, landings and backouts with `hg log` on the remotes.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "sandbox/bugzilla/bugzilla_server.h"

namespace autoland::sandbox::cycle {

// Every breach found (empty: each comment, push, landing and backout
// happened exactly as often as the scenarios say); `comments_total` gets
// how many comments the bot posted.
std::vector<std::string> check_exactly_once(const std::filesystem::path& dir, sandbox::BugzillaServer& server,
                                            int* comments_total);

}  // namespace autoland::sandbox::cycle
