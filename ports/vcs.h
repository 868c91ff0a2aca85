// VersionControl: applying a patchset on a branch and pushing it, as the pusher needs.
// Implementations: adapters/vcs/hg (Mercurial command server), adapters/vcs/git.
//
// Errors say what to do: invalid_input / conflict are permanent for this
// patchset (the message names the attachment, the file and the hunk, or the
// remote's hook output); transient means try again later (network, a remote
// that kept moving). Not thread-safe per branch: one push per branch at a time.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/patch.h"
#include "core/patch_to_apply.h"
#include "util/result.h"

namespace autoland {

// Where a try push's syntax goes: an empty commit on top (Mozilla's try
// server reads the tip's message), or appended to the last patch's message.
enum class TrySyntaxPlacement { empty_commit, tip_message };

// Called with the changesets about to be pushed (oldest first), before every
// push attempt, including the one after a rebase. The caller stores them;
// an error stops the push before anything leaves (docs/design.md §5: a push records
// what it intends first, so that after a crash find_pushed() can tell
// whether it got there).
using RecordIntent = std::function<Status(const std::vector<std::string>& nodes)>;

struct RemoteSpec {
  std::string branch;  // the working clone's name
  std::string pull_url;
  std::string push_url;
  int max_race_retries = 3;  // remote moved meanwhile: pull, rebase, push again
  RecordIntent record_intent;
};

struct PushSpec : RemoteSpec {
  std::vector<PatchToApply> patches;
  std::string try_syntax;  // non-empty: goes with the push (see placement)
  TrySyntaxPlacement placement = TrySyntaxPlacement::empty_commit;
  bool allow_new_head = false;  // try: every push makes a new head
};

struct BackoutSpec : RemoteSpec {
  std::vector<std::string> revisions;  // the changesets of one landing, any order
  BugId bug_id = 0;
  std::string reason;  // "for <reason>" in the message
  std::string user = "autoland";
};

struct PushOutcome {
  std::string tip;                 // the revision pushed (the try commit, or the last patch)
  std::vector<std::string> nodes;  // every changeset pushed, oldest first
  int races = 0;                   // how often the remote moved and the push was redone
  std::string parent;              // what the first of them sits on (the Pusher fills it in)
};

class VersionControl {
 public:
  virtual ~VersionControl() = default;
  virtual Result<PushOutcome> apply_and_push(const PushSpec& spec) = 0;

  // One commit undoing `revisions` (newest first), message
  // "Backed out N changesets (bug B) for REASON" listing them, pushed with
  // the same race handling. not_found when a revision is not on the remote.
  virtual Result<PushOutcome> back_out(const BackoutSpec& spec) = 0;

  // After a crash: whether an earlier push of `spec` reached the remote,
  // by the nodes it recorded, or else by identical changes and messages
  // among the branch's recent changesets. nullopt: it did not; push again.
  virtual Result<std::optional<PushOutcome>> find_pushed(const PushSpec& spec,
                                                         const std::vector<std::string>& recorded_nodes) = 0;
  virtual Result<std::optional<PushOutcome>> find_backed_out(const BackoutSpec& spec,
                                                             const std::vector<std::string>& recorded_nodes) = 0;

  // The first parent of `revision` on the branch (the working clone pulls
  // when it lacks the revision); forty zeros for a root. not_found when the
  // remote has no such revision either.
  virtual Result<std::string> parent_of(const RemoteSpec& spec, const std::string& revision) = 0;
};

}  // namespace autoland
