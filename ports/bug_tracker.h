// BugTracker: what autoland needs from Bugzilla. Implementations:
// adapters/bugzilla (REST over libcurl), and the sandbox server speaks the same
// protocol for tests and the demo.
//
// Errors are typed so callers can tell "retry later" (transient: 5xx, timeout,
// connection) from "give up on this bug" (not_found: bug 101 or a missing
// attachment; denied: 102 private bug, 115 no permission) from "give up on
// everything" (denied with code 306: the API key is invalid). Error::code
// carries Bugzilla's own code, or the HTTP status when there is none.
// Thread-safety: implementations may be shared by threads.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "util/result.h"

namespace autoland {

// Bugzilla's error codes that callers act on.
namespace bugzilla_code {
inline constexpr int invalid_bug_id = 100;
inline constexpr int bug_not_found = 101;
inline constexpr int bug_access_denied = 102;
inline constexpr int no_edit_permission = 115;
inline constexpr int invalid_api_key = 306;
inline constexpr int login_required = 410;
}  // namespace bugzilla_code

struct Flag {
  int64_t id = 0;
  std::string name;    // "review", "superreview", "ui-review", "needinfo", ...
  std::string status;  // "+", "-", "?"
  std::string setter;
  std::string requestee;  // only while the flag is pending ("?")
};

// A bug as returned by a search (only the fields autoland asks for).
struct BugSummary {
  BugId id = 0;
  std::string whiteboard;
  std::vector<std::string> keywords;
  std::string last_change_time;  // "2026-11-25T17:10:45Z"
};

struct Bug {
  BugId id = 0;
  std::string summary;
  std::string status;
  bool is_open = true;
  std::string whiteboard;
  std::vector<std::string> keywords;
  std::string last_change_time;
  std::string creator;
  std::string assigned_to;
  std::vector<Flag> flags;
  std::string update_token;
};

struct Attachment {
  AttachmentId id = 0;
  BugId bug_id = 0;
  bool is_obsolete = false;
  bool is_patch = false;
  bool is_private = false;
  std::string content_type;
  std::string creator;      // email
  std::string description;  // Bugzilla's "summary" (BMO also sends "description")
  std::string file_name;
  std::string creation_time;
  uint64_t size = 0;
  std::vector<Flag> flags;
  std::optional<std::string> data;  // decoded bytes; absent when not asked for
};

struct HistoryChange {
  std::string field_name;  // "whiteboard", "keywords", "flagtypes.name", ...
  std::string removed;
  std::string added;
  std::optional<AttachmentId> attachment_id;
};

struct HistoryEntry {
  std::string when;
  std::string who;  // email
  std::vector<HistoryChange> changes;
};

struct BugComment {
  int64_t id = 0;
  BugId bug_id = 0;
  int count = 0;  // 0 is the description
  std::string text;
  std::string creator;
  std::string creation_time;
  std::optional<AttachmentId> attachment_id;
  bool is_private = false;
};

struct User {
  int64_t id = 0;
  std::string name;  // login (email)
  std::string email;
  std::string real_name;
};

struct BugUpdate {
  std::optional<std::string> whiteboard;
  std::vector<std::string> add_keywords;
  std::vector<std::string> remove_keywords;
};

struct FieldChange {
  std::string removed;
  std::string added;
};

struct BugUpdateResult {
  std::string last_change_time;
  std::optional<FieldChange> whiteboard;  // absent when the whiteboard did not change
  std::optional<FieldChange> keywords;
};

// Bugs whose whiteboard holds `whiteboard_substring` OR that carry `keyword`
// (either may be empty), changed at or after `changed_since`.
struct SearchQuery {
  std::string whiteboard_substring;  // e.g. "[autoland-"; "" for none
  std::string keyword;               // e.g. "checkin-needed"; "" for none
  std::string changed_since;         // last_change_time cursor; "" for all
};

class BugTracker {
 public:
  virtual ~BugTracker() = default;

  // Bugs matching the query that the key can see, ordered by id. Bugs the key
  // cannot see are silently left out (that is what Bugzilla does).
  virtual Result<std::vector<BugSummary>> search(const SearchQuery& query) = 0;
  // not_found (101) or denied (102) for a bug that is missing or private.
  virtual Result<Bug> get_bug(BugId id) = 0;
  // Every attachment of the bug, in id order; data decoded when asked for.
  virtual Result<std::vector<Attachment>> attachments(BugId bug, bool with_data) = 0;
  // not_found when the attachment does not exist or belongs to another bug.
  virtual Result<Attachment> attachment(BugId bug, AttachmentId id, bool with_data) = 0;
  virtual Result<std::vector<HistoryEntry>> history(BugId bug) = 0;
  // Returns the new comment's id.
  virtual Result<int64_t> post_comment(BugId bug, const std::string& text) = 0;
  // Comments in order; `new_since` ("" for all) keeps only newer ones.
  virtual Result<std::vector<BugComment>> comments(BugId bug, const std::string& new_since) = 0;
  virtual Result<BugUpdateResult> update_bug(BugId bug, const BugUpdate& update) = 0;
  // not_found when no such user.
  virtual Result<User> user(const std::string& email) = 0;
};

}  // namespace autoland
