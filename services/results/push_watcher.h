// --post-to-bug: a try push that autoland did not make, whose try syntax says
// `--post-to-bug N` (or `--post-to-bugzilla Bug N`), gets its results on bug
// N, once. Each pass lists the pushes CI saw on every try branch since the
// last cursor (stored), starts watching those that ask for it, and reports
// the watched pushes whose results are complete (or past the branch's
// deadline). Jobs are never rerun: the push is somebody else's.
//
// Crash-safe: a push is watched (idempotent insert) before the cursor moves
// past it, and the report (its comments and "reported") is one transaction
// whose comments carry dedup keys, so a replayed pass adds nothing.
// Autoland's own pushes (a patchset holds the revision) are left to the
// results poller, which reports them on their own bug.
#pragma once

#include <functional>
#include <string>

#include "ports/ci_results.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "util/result.h"

namespace autoland {

struct PushWatchStats {
  int seen = 0;      // new pushes listed by CI
  int watched = 0;   // of those, ones asking for results on a bug
  int reported = 0;  // watched pushes reported in this pass
  int waiting = 0;
  int errors = 0;
};

class PushWatcher {
 public:
  using CiLookup = std::function<CiResults*(const std::string& ci_source)>;
  PushWatcher(Store& store, const Clock& clock, CiLookup ci_for, std::string actor = "results")
      : store_(store), clock_(clock), ci_for_(std::move(ci_for)), actor_(std::move(actor)) {}

  Result<PushWatchStats> pass();

  // The settings key of a branch's push cursor.
  static std::string cursor_key(const std::string& branch) { return "cursor/pushes/" + branch; }

 private:
  Status list_new_pushes(const Branch& branch, CiResults& ci, PushWatchStats& stats);
  Status report_if_done(const WatchedPush& push, PushWatchStats& stats);
  Result<bool> is_autolands_own(const std::string& revision);

  Store& store_;
  const Clock& clock_;
  CiLookup ci_for_;
  std::string actor_;
};

}  // namespace autoland
