// A patch as the pusher hands it to a VCS, with what to commit it as when
// it has no header of its own, and the rules that pick, from the patch and
// its header, the message, author and date a changeset gets. Both VCS
// adapters and the pusher read these; they are the one home of the choice.
#pragma once

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
std::string name_of(const PatchToApply& p);

// What the patch is committed with: the landing message, the header's, or the made-up one.
std::string commit_message_of(const PatchToApply& p, const Patch& parsed);

// Who the patch is committed as: its header's author, else the made-up user.
std::string author_of(const PatchToApply& p, const Patch& parsed);

// When: the header's date, else the made-up one (the attachment's time).
PatchDate date_of(const PatchToApply& p, const Patch& parsed);

// invalid_input naming the patch when it cannot be committed as it is:
// nobody to commit it as, or no message.
Status check_committable(const PatchToApply& p, const Patch& parsed);

// The summaries a change of this patch may be on a branch under: what it is
// committed with, and the author's own when a landing message replaces it
// (a hand landing, or an earlier push of it, kept the author's).
std::vector<std::string> summaries_of(const PatchToApply& p, const Patch& parsed);

}  // namespace autoland
