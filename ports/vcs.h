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
#include "util/result.h"

namespace autoland {

struct PatchToApply {
  AttachmentId attachment_id = 0;
  std::string text;  // as attached
  // For a patch without its own header (a try push): who and what to commit as.
  std::string user;
  std::string message;
  UnixTime date = 0;
  // For a landing whose message lacks r=: the header's message with the
  // reviewers from the flags added (docs/design.md §4); "" = the header's own.
  std::string landing_message;
  std::string label;  // how errors name it; "" = "attachment <id>" (a local file gives its path)
};

// "attachment 12", or the patch's label.
inline std::string name_of(const PatchToApply& p) {
  return p.label.empty() ? "attachment " + std::to_string(p.attachment_id) : p.label;
}

// What the patch is committed with: the landing message, the header's, or the made-up one.
inline std::string commit_message_of(const PatchToApply& p, const Patch& parsed) {
  if (!parsed.has_header()) return p.message;
  return p.landing_message.empty() ? parsed.message : p.landing_message;
}

// Who the patch is committed as: its header's author, else the made-up user.
inline std::string author_of(const PatchToApply& p, const Patch& parsed) {
  return parsed.has_header() && !parsed.author.empty() ? parsed.author : p.user;
}

// When: the header's date, else the made-up one (the attachment's time).
inline PatchDate date_of(const PatchToApply& p, const Patch& parsed) {
  if (parsed.has_header() && parsed.timestamp) return *parsed.timestamp;
  return PatchDate{p.date, 0};
}

// invalid_input naming the patch when it cannot be committed as it is:
// nobody to commit it as, or no message.
inline Status check_committable(const PatchToApply& p, const Patch& parsed) {
  if (!parsed.has_header() && (p.user.empty() || p.message.empty())) {
    return invalid_input(name_of(p) + " has no changeset header, and none was made for it");
  }
  if (author_of(p, parsed).empty()) return invalid_input(name_of(p) + " names no author ('# User' or 'From:')");
  if (commit_message_of(p, parsed).empty()) return invalid_input(name_of(p) + " has no commit message");
  return {};
}

// The summaries a change of this patch may be on a branch under: what it is
// committed with, and the author's own when a landing message replaces it
// (a hand landing, or an earlier push of it, kept the author's).
inline std::vector<std::string> summaries_of(const PatchToApply& p, const Patch& parsed) {
  auto first_line = [](const std::string& m) { return m.substr(0, m.find('\n')); };
  std::vector<std::string> out = {first_line(commit_message_of(p, parsed))};
  if (parsed.has_header() && !p.landing_message.empty() && first_line(parsed.message) != out[0]) {
    out.push_back(first_line(parsed.message));
  }
  return out;
}

// A branch name usable as a cache folder name; invalid_input otherwise.
inline Status check_clone_name(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return invalid_input("'" + name + "' cannot name a working clone");
  }
  return {};
}

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
};

}  // namespace autoland
