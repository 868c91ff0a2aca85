// VersionControl: applying a patchset on a branch and pushing it, as the pusher needs.
// Implementations: adapters/vcs/hg (Mercurial command server); git follows.
//
// Errors say what to do: invalid_input / conflict are permanent for this
// patchset (the message names the attachment, the file and the hunk, or the
// remote's hook output); transient means try again later (network, a remote
// that kept moving). Not thread-safe per branch: one push per branch at a time.
#pragma once

#include <string>
#include <vector>

#include "core/model.h"
#include "util/result.h"

namespace autoland {

struct PatchToApply {
  AttachmentId attachment_id = 0;
  std::string text;  // as attached
  // For a patch without its own header (a try push): who and what to commit as.
  std::string user;
  std::string message;
  UnixTime date = 0;
};

struct PushSpec {
  std::string branch;  // the working clone's name
  std::string pull_url;
  std::string push_url;
  std::vector<PatchToApply> patches;
  std::string try_syntax;       // non-empty: an empty commit with this message goes on top
  bool allow_new_head = false;  // try: every push makes a new head
  int max_race_retries = 3;     // remote moved meanwhile: pull, rebase, push again
};

struct PushOutcome {
  std::string tip;                 // the revision pushed (the try commit, or the last patch)
  std::vector<std::string> nodes;  // every changeset pushed, oldest first
  int races = 0;                   // how often the remote moved and the push was redone
};

class VersionControl {
 public:
  virtual ~VersionControl() = default;
  virtual Result<PushOutcome> apply_and_push(const PushSpec& spec) = 0;
};

}  // namespace autoland
