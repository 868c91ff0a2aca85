// What every way of asking for a landing checks before a request is stored: a
// whiteboard tag, the checkin-needed keyword, POST /bugs/{bug} and
// PUT /patchSets/{id}/{patch} all ask here, so what one accepts the others
// accept. The rules checked at landing time (review, levels, trees) are the
// queue's: they can change between the request and its landing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/patch.h"
#include "ports/bug_tracker.h"
#include "ports/store.h"
#include "util/result.h"

namespace autoland {

// Why a request is refused, in words for the requester.
struct RequestRefusal {
  std::string part;      // what to fix: "branch" or "patches"
  std::string reason;    // what and why
  bool for_now = false;  // well-formed, but not possible now (a disabled branch)
};

// What a check accepted, or why it refused.
template <class T>
struct Checked {
  std::optional<T> accepted;
  RequestRefusal refusal;  // when nothing was accepted
};

// The branches a request names, each known (in any case) and enabled, as is
// the pretest branch its try run goes to. A named branch that is another
// named branch's pretest branch folds into it: [autoland-try,central] is one
// landing on central, tested on try first.
Result<Checked<std::vector<Branch>>> check_branches(Store& store, const std::vector<std::string>& names);

struct ChosenPatches {
  std::vector<AttachmentId> ids;  // in landing order
  std::string author;             // the first header's author, else the first patch's uploader
};

// The patches `named`, in that order, each on `bug`, current, not private
// (autoland pushes to repositories anyone can read), marked as a patch and
// parsing under `limits`; when none are named, every such patch of `on_bug`
// in part order ("Part 2: ..."), then by id. `on_bug` holds the
// bug's attachments with their data; one without data is an internal error
// (the caller asked for the wrong thing), not a refusal.
Result<Checked<ChosenPatches>> choose_patches(BugId bug, const std::vector<Attachment>& on_bug,
                                              const std::vector<AttachmentId>& named, const PatchLimits& limits);

}  // namespace autoland
