// Bugzilla 5 REST responses, parsed exactly as the real server writes them
// (see tests/data/bugzilla/INDEX.md): attachment booleans as 0/1 and
// bug booleans as true/false, attachments in maps keyed by id strings, a
// missing attachment as a 200 with empty maps, `requestee` only on pending
// flags, error bodies {"error": true, "code": N, "message": ...}, and an HTML
// page for some 500s. Pure functions: text in, values out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ports/bug_tracker.h"
#include "util/result.h"

namespace autoland::bugzilla {

// The error for a response that is not a success: Bugzilla's JSON error when
// the body has one (typed by its code), else one made from the HTTP status.
// 5xx, including HTML error pages, is transient.
Error error_from_response(long http_status, std::string_view body);

// True when the body is Bugzilla's error object ({"error": true, ...}), which
// some methods return with a 200.
bool is_error_body(std::string_view body);

Result<std::vector<BugSummary>> parse_search(std::string_view body);
Result<Bug> parse_bug(std::string_view body, BugId id);
Result<std::vector<Attachment>> parse_bug_attachments(std::string_view body, BugId bug, bool with_data);
// not_found for the 200-with-empty-maps answer, or an attachment of another bug.
Result<Attachment> parse_attachment(std::string_view body, BugId bug, AttachmentId id, bool with_data);
Result<std::vector<HistoryEntry>> parse_history(std::string_view body, BugId bug);
Result<std::vector<BugComment>> parse_comments(std::string_view body, BugId bug);
Result<int64_t> parse_created_comment(std::string_view body);
Result<BugUpdateResult> parse_update(std::string_view body, BugId bug);
Result<std::vector<User>> parse_users(std::string_view body);

}  // namespace autoland::bugzilla
