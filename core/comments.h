// The comments autoland posts on bugs. Pure functions from facts to text,
// held to golden files. Every comment ends with a marker line carrying its
// dedup key, so that after a crash the commenter can see on the bug whether
// the comment already went out (docs/design.md §5) instead of posting it twice.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ci_verdict.h"
#include "core/lifecycle.h"
#include "core/model.h"

namespace autoland {

struct CommentInput {
  CommentKind kind = CommentKind::try_results;
  BugId bug = 0;
  PatchSetId patchset = 0;
  std::string branch;  // where this stage pushed
  Stage stage = Stage::try_run;
  std::vector<AttachmentId> patches;
  std::string revision;                 // "" before anything was pushed
  std::string revision_url;             // link to the push / results
  std::optional<VerdictReport> report;  // try_results, landed, backed_out
  std::string step;                     // push_failed: "apply", "push", ...
  std::string reason;                   // why: failure, cancel, backout
  std::vector<std::string> problems;    // rejected: every rule broken
  std::string actor;                    // who cancelled or forced
  std::string backout_revision;
  int timeout_minutes = 0;
  std::string request;    // refused: the tag or keyword as written
  std::string pusher;     // push_results: who pushed
  std::string dedup_key;  // REQUIRES: not empty
};

// The whole comment text, marker line last.
std::string render_comment(const CommentInput& input);

// "ps42/try_results/abcdef123456": one key per patchset, kind and revision
// (or other discriminator), so a comment is posted once however often the
// transition that asked for it is replayed.
std::string make_dedup_key(PatchSetId patchset, CommentKind kind, std::string_view discriminator);

// "ps42/release_marker/v3": the key of a whiteboard edit (kReleaseMarkerAction,
// kRestoreMarkerAction) in the outbox, one per patchset, action and occasion.
std::string make_marker_action_key(PatchSetId patchset, std::string_view action, std::string_view occasion);

// "push/try/abcdef123456/bug/42": the results of a push nobody queued, on one
// of the bugs its try syntax names.
std::string make_push_dedup_key(std::string_view branch, std::string_view revision, BugId bug);

// The marker line written at the end of every comment.
std::string dedup_marker_line(std::string_view key);
// A comment queued without its marker (`autoland comment --text`, written by
// a person), with the marker line after it, as the commenter posts it.
std::string with_dedup_marker(std::string_view text, std::string_view key);
// The key in a comment's marker line, or nullopt when it carries none.
std::optional<std::string> find_dedup_marker(std::string_view comment_text);

}  // namespace autoland
