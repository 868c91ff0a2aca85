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
};

struct WhiteboardScan {
  std::vector<WhiteboardTag> tags;
  std::vector<TagError> errors;
};

// Finds every autoland tag in `whiteboard`.
WhiteboardScan scan_whiteboard(std::string_view whiteboard);

// The canonical spelling of a tag: "[autoland-try:12:34:-b do]".
std::string format_tag(const WhiteboardTag& tag);

// `whiteboard` with `tag` replaced by `replacement` (or removed, when empty);
// every other byte is kept. Conflict when the tag is no longer at its offset
// (the whiteboard changed since it was scanned).
Result<std::string> replace_tag(std::string_view whiteboard, const WhiteboardTag& tag, std::string_view replacement);
Result<std::string> remove_tag(std::string_view whiteboard, const WhiteboardTag& tag);

inline constexpr std::string_view kInQueueTag = "[autoland-in-queue]";
// The Bugzilla keyword that asks for a landing like a tag does (where the
// operators map it to a branch: queue.checkin_needed_branch).
inline constexpr std::string_view kCheckinNeededKeyword = "checkin-needed";

// `whiteboard` with the marker added at the end (after one space), or as it
// is when the marker is there already.
std::string with_in_queue_marker(std::string_view whiteboard);
// `whiteboard` without the marker and the one space that joined it to the
// text around it, so that releasing undoes adding: "[autoland-in-queue]
// [perf]" becomes "[perf]", not " [perf]". Every other byte is kept; a
// whiteboard left with spaces only becomes empty.
std::string without_in_queue_marker(std::string_view whiteboard);

}  // namespace autoland
