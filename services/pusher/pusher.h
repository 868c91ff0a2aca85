// The HgPusher: lands a patchset's patches on a branch, or backs a landing
// out, through the VersionControl port, never twice.
//
// Crash-safety (docs/design.md §5): before every push attempt the changesets about to
// leave are written to the store as a push intent under a key that names the
// push ("patchset/42/landing"). A later call with the same key first asks the
// remote whether they got there (by node, or by identical changes and
// messages) and reports that push instead of making a second one. A key's
// intent stays after success, so a crash after the push but before the
// caller stored the revision is answered from the remote too.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ports/bug_tracker.h"
#include "ports/store.h"
#include "ports/vcs.h"
#include "util/result.h"

namespace autoland {

struct PushResult {
  PushOutcome outcome;
  bool resumed = false;  // an earlier, interrupted run had pushed it already
};

class Pusher {
 public:
  Pusher(Store& store, VersionControl& vcs) : store_(store), vcs_(vcs) {}

  Result<PushResult> push(const std::string& intent_key, PushSpec spec);
  Result<PushResult> back_out(const std::string& intent_key, BackoutSpec spec);

 private:
  RecordIntent recorder(const std::string& key, const std::string& branch);
  Result<PushResult> with_parent(const RemoteSpec& spec, PushResult result);
  Store& store_;
  VersionControl& vcs_;
};

// Where a push to branch `b` goes: pulled from its pull_url (its repo_url
// when none is set) into the working clone named after it, pushed to its
// repo_url. Every push and backout takes its remote from here.
RemoteSpec remote_of(const Branch& b, int max_race_retries);

// The intent key of a patchset's push at a stage, and of its backout.
std::string push_intent_key(PatchSetId id, Stage stage);
std::string backout_intent_key(PatchSetId id);

// Attachments (fetched with data) as patches to apply, in the given order.
// A header-less patch gets a synthesized user ("Real Name <email>", the real
// name from `real_names` by email when known) and message
// ("Bug N - description"); trunk rules that forbid those live in the queue.
std::vector<PatchToApply> patches_from_attachments(BugId bug, const std::vector<Attachment>& attachments,
                                                   const std::map<std::string, std::string>& real_names);

}  // namespace autoland
