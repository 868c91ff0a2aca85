#include "services/whiteboard_write.h"

#include "util/log.h"

namespace autoland {

Result<int> write_whiteboard(BugTracker& bugs, BugId bug, const std::string& read, const WhiteboardEdit& edit,
                             const BugUpdate& with_first_write, std::string_view component) {
  std::string base = read;
  std::string on_server = read;
  int writes = 0;
  for (int round = 0; round < 3; ++round) {
    BugUpdate update = round == 0 ? with_first_write : BugUpdate{};
    std::string wanted = rewrite_whiteboard(base, edit);
    update.whiteboard.reset();
    if (wanted != on_server) update.whiteboard = wanted;
    if (!update.whiteboard && update.add_keywords.empty() && update.remove_keywords.empty()) break;
    AUTOLAND_TRY_ASSIGN(auto result, bugs.update_bug(bug, update));
    ++writes;
    if (round == 2 || !update.whiteboard || !result.whiteboard || result.whiteboard->removed == on_server) break;
    LOG_WARN(std::string(component),
             "bug " + std::to_string(bug) + ": the whiteboard changed meanwhile; applying the edit to theirs");
    base = result.whiteboard->removed;
    on_server = wanted;
  }
  return writes;
}

}  // namespace autoland
