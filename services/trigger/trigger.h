// The BugzillaEventTrigger: one poll pass finds bugs with [autoland-...] tags
// (and checkin-needed, where the config maps it to a branch), turns each new
// request into queued patchsets and replaces the tag with [autoland-in-queue].
//
// Crash-safe: a request's key is its bug, tag text and the time the tag was
// set (from the bug's history), so a pass killed between any two steps never
// creates a second patchset for it on the next pass and never loses it.
// Refusals (malformed tag, unknown or disabled branch, no patches, obsolete or
// foreign attachment ids, a patch the parser rejects) get one comment through
// the outbox and the tag removed. Polls are incremental: the search cursor is
// the newest last_change_time seen, so a pass with nothing new costs one
// request. A bug that fails with a transient error holds the cursor back so
// that it is seen again.
#pragma once

#include <string>

#include "core/patch.h"
#include "ports/bug_tracker.h"
#include "ports/store.h"
#include "services/request_limits.h"
#include "util/result.h"

namespace autoland {

struct TriggerOptions {
  std::string checkin_needed_branch;  // "" = the keyword is ignored
  PatchLimits patch_limits;
  size_t batch_size = 50;            // bugs per progress line
  std::string bot_login;             // autoland's own history entries never count as a request
  int cursor_overlap_seconds = 120;  // re-read this much before the cursor (changes commit late)
  RequestLimits limits;
  std::string actor = "trigger";
};

struct TriggerStats {
  size_t bugs_seen = 0;
  size_t patchsets_created = 0;
  size_t requests_already_taken = 0;  // found again after a crash or a race
  size_t refusals = 0;
  size_t whiteboard_updates = 0;
  size_t transient_failures = 0;
};

inline constexpr std::string_view kTriggerCursor = "trigger.cursor";

class Trigger {
 public:
  // REQUIRES: the references outlive the trigger.
  Trigger(Store& store, BugTracker& bugs, TriggerOptions options);

  // One pass. Fails only when the search itself fails. A bug that fails
  // keeps the cursor at its time and is read again next pass (counted in
  // transient_failures when the failure is temporary), unless it is gone
  // or hidden from the bot.
  Result<TriggerStats> poll_once();

 private:
  struct BugWork;
  struct BugPass;
  Status process_bug(const BugSummary& bug, TriggerStats& stats);

  Store& store_;
  BugTracker& bugs_;
  TriggerOptions options_;
};

}  // namespace autoland
