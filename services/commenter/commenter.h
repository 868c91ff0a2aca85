// The BugCommenter: drains the outbox. Posts comments with retries and
// backoff, and makes the whiteboard edits the lifecycle asks for (release or
// restore [autoland-in-queue], clear checkin-needed).
//
// Exactly once: an attempt is recorded before a comment is sent; a comment
// with an earlier attempt is first looked for on the bug (its last line is
// its dedup key, written by the bot account), so a crash between "posted" and
// "recorded" cannot post it twice. A bug that does not exist or cannot be
// seen drops its pending comments with the reason recorded, once, instead of
// being retried forever. Rate limits per bug and overall keep a runaway
// patchset from flooding a bug; they count what the store says was posted,
// so they hold across restarts and however many commenters run.
#pragma once

#include <string>

#include "core/whiteboard.h"
#include "ports/bug_tracker.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "util/result.h"

namespace autoland {

struct CommenterOptions {
  std::string bot_login;              // the bot's Bugzilla login; "" trusts markers from anyone
  bool clear_checkin_needed = false;  // on release, when the config maps the keyword
  size_t batch_size = 50;
  int max_per_bug_per_hour = 20;
  int max_per_minute = 120;
  UnixTime backoff_base_seconds = 30;
  UnixTime backoff_max_seconds = 3600;
  // A claimed entry is hidden from other drains this long, and a post whose
  // answer was lost waits this long before it is looked for. REQUIRES: longer
  // than the slowest post (config checks it against bugzilla.timeout_seconds).
  UnixTime lease_seconds = 300;
  int max_attempts = 50;  // then it is dropped with its last error (docs/design.md §4: bounded)
  std::string actor = "commenter";
};

struct CommenterStats {
  size_t posted = 0;
  size_t found_already_posted = 0;  // after a crash: on the bug, not sent again
  size_t marker_edits = 0;
  size_t dropped = 0;
  size_t deferred = 0;  // transient failures, retried later
  size_t rate_limited = 0;
};

class Commenter {
 public:
  // REQUIRES: the references outlive the commenter.
  Commenter(Store& store, BugTracker& bugs, const Clock& clock, CommenterOptions options);

  // One pass over the comments due now. Fails only on a global problem (the
  // store, or Bugzilla refusing the bot's key), leaving the rest pending.
  Result<CommenterStats> drain_once();

  // Delivers one outbox entry now (for `autoland comment`), with the same
  // guarantees. Returns the Bugzilla comment id (0 for a whiteboard edit).
  Result<int64_t> deliver(int64_t outbox_id);

 private:
  enum class Outcome { posted, already_posted, edited, dropped, deferred, rate_limited };
  Result<Outcome> handle(const OutboxComment& c, int64_t* comment_id);
  Result<Outcome> edit_marker(const OutboxComment& c);
  Status claim(const OutboxComment& c, Outcome* outcome, bool* claimed);
  Status fail(const OutboxComment& c, const Error& error, Outcome* outcome);
  Result<bool> rate_limited(BugId bug);

  Store& store_;
  BugTracker& bugs_;
  const Clock& clock_;
  CommenterOptions options_;
};

}  // namespace autoland
