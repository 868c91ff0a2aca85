// The one way autoland writes a whiteboard (the trigger's tags-off/marker-on
// and the commenter's marker release and restore).
//
// Bugzilla 5.2 has no conditional write over REST, so this writes, then
// compares what the write replaced with what it was based on. On a mismatch
// a human edited in between: the edit is applied to their version and
// written again. After a mismatch the server holds autoland's write, not
// their edit, so the next round writes the edit applied to theirs even when
// that edit changes nothing. The third write stands: comparing again could
// go on for ever while someone keeps typing.
#pragma once

#include <string>
#include <string_view>

#include "core/whiteboard.h"
#include "ports/bug_tracker.h"
#include "util/result.h"

namespace autoland {

// `edit` applied to bug `bug`'s whiteboard, `read` being the whiteboard as
// the caller last read it. `with_first_write` (keywords) goes with the first
// write, which is made for it even when the whiteboard stays as it is.
// Returns how many writes were made (0: nothing to change). `component`
// names the caller in the log line a concurrent edit leaves.
Result<int> write_whiteboard(BugTracker& bugs, BugId bug, const std::string& read, const WhiteboardEdit& edit,
                             const BugUpdate& with_first_write, std::string_view component);

}  // namespace autoland
