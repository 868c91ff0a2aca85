// Whiteboard tags (docs/design.md §4): how developers ask for a landing.
//
//   [autoland-try]                    every non-obsolete patch, to try
//   [autoland-mozilla-inbound]        to a trunk (via its pretest branch)
//   [autoland-try:12:34]              these attachments, in this order
//   [autoland-try:12,34]              the same
//   [autoland-try:12:-b do -p linux]  with try syntax (a part starting with '-')
//   [autoland-try,mozilla-inbound]    several destinations
//   [autoland-in-queue]               autoland's own "picked up" marker
//
// Case-insensitive; a whiteboard may hold several tags and any other text. A
// bare [autoland] is not a request and is ignored. A malformed tag is reported
// with a reason a human can act on, and never half-taken.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "util/result.h"

namespace autoland {

struct WhiteboardTag {
  enum class Kind { request, in_queue };
  Kind kind = Kind::request;
  std::string text;                       // exactly as written on the whiteboard
  size_t offset = 0;                      // byte offset of text in the whiteboard
  std::vector<std::string> branches;      // lower case, in the order given
  std::vector<AttachmentId> attachments;  // empty: take every non-obsolete patch
  std::string try_syntax;                 // "" when the tag carries none
  bool has_try_syntax = false;
};

struct TagError {
  std::string text;  // the offending tag as written (up to where it broke)
  size_t offset = 0;
  std::string reason;
  // Never closed: `text` runs to where scanning stopped (a line break, the
  // next tag, the end), so it may hold the human's own words after it. Such
  // an error is reported, never cut (rewrite_whiteboard skips it).
  bool unclosed = false;
};

struct WhiteboardScan {
  std::vector<WhiteboardTag> tags;
  std::vector<TagError> errors;
};

// Finds every autoland tag in `whiteboard`.
WhiteboardScan scan_whiteboard(std::string_view whiteboard);

// The canonical spelling of a tag: "[autoland-try:12:34:-b do]".
std::string format_tag(const WhiteboardTag& tag);

inline constexpr std::string_view kInQueueTag = "[autoland-in-queue]";
// The Bugzilla keyword that asks for a landing like a tag does (where the
// operators map it to a branch: queue.checkin_needed_branch).
inline constexpr std::string_view kCheckinNeededKeyword = "checkin-needed";

// A change autoland makes to a whiteboard. It is applied to the text as it
// is now, which a human may have edited since autoland read it: what is
// asked and no longer there is skipped, and their edit is kept.
struct WhiteboardEdit {
  // Tags to take off, each once, as scan_whiteboard found them (request
  // tags and broken ones, by their text).
  std::vector<std::string> remove;
  enum class Marker {
    keep,
    add,  // in the place of the leftmost request tag removed, else at the end
    // In the place of the leftmost request tag removed, and not at all when
    // none is left to remove: the human who took the tags off meanwhile has
    // withdrawn the request, and a marker would overwrite their edit.
    replace_request,
    remove,
  };
  Marker marker = Marker::keep;
};

// The one whiteboard rewrite (the trigger's and the commenter's). Every byte
// not named by `edit` is kept; tags are cut at the offsets scan_whiteboard
// gives, so no text can match inside another tag. The marker is the one
// scan_whiteboard finds, in any case. Added, it takes the place of the
// leftmost request tag removed, else (Marker::add only) goes at the end
// after one space; never twice. Removed (every copy), it goes with the one space that joined
// it to the text around it, so that removing undoes adding; a whiteboard
// left with spaces only then becomes empty.
std::string rewrite_whiteboard(std::string_view whiteboard, const WhiteboardEdit& edit);

// rewrite_whiteboard with the marker added or removed and nothing else.
std::string with_in_queue_marker(std::string_view whiteboard);
std::string without_in_queue_marker(std::string_view whiteboard);

}  // namespace autoland
