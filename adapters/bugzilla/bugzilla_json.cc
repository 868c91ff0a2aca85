#include "adapters/bugzilla/bugzilla_json.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "util/base64.h"

namespace autoland::bugzilla {
namespace {

using nlohmann::json;

Result<json> parse_json(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return internal_error("Bugzilla answered with something that is not JSON");
  if (!j.is_object()) return internal_error("Bugzilla answered with JSON that is not an object");
  return j;
}

std::string text(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

int64_t integer(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_integer() || it->is_number_unsigned()) return it->get<int64_t>();
  if (it->is_string()) {
    try {
      return std::stoll(it->get<std::string>());
    } catch (...) {
      return 0;
    }
  }
  return 0;
}

// Attachments say 0/1, bugs say true/false.
bool boolean(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_number()) return it->get<double>() != 0;
  if (it->is_string()) return it->get<std::string>() == "1" || it->get<std::string>() == "true";
  return false;
}

std::vector<std::string> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const json& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::vector<Flag> flags(const json& j) {
  std::vector<Flag> out;
  auto it = j.find("flags");
  if (it == j.end() || !it->is_array()) return out;
  for (const json& f : *it) {
    if (!f.is_object()) continue;
    out.push_back({integer(f, "id"), text(f, "name"), text(f, "status"), text(f, "setter"), text(f, "requestee")});
  }
  return out;
}

Error malformed(std::string_view what) { return internal_error("unexpected Bugzilla answer: " + std::string(what)); }

Result<Attachment> attachment_from(const json& a, bool with_data) {
  if (!a.is_object()) return malformed("an attachment is not an object");
  Attachment out;
  out.id = static_cast<AttachmentId>(integer(a, "id"));
  out.bug_id = static_cast<BugId>(integer(a, "bug_id"));
  out.is_obsolete = boolean(a, "is_obsolete");
  out.is_patch = boolean(a, "is_patch");
  out.is_private = boolean(a, "is_private");
  out.content_type = text(a, "content_type");
  out.creator = text(a, "creator");
  out.description = text(a, "summary");
  if (out.description.empty()) out.description = text(a, "description");
  out.file_name = text(a, "file_name");
  out.creation_time = text(a, "creation_time");
  out.size = static_cast<uint64_t>(std::max<int64_t>(0, integer(a, "size")));
  out.flags = flags(a);
  if (with_data) {
    auto it = a.find("data");
    if (it == a.end() || !it->is_string()) return malformed("attachment " + std::to_string(out.id) + " has no data");
    auto decoded = util::base64_decode(it->get<std::string>());
    if (!decoded) return malformed("attachment " + std::to_string(out.id) + " data is not valid base64");
    if (out.size != 0 && decoded->size() != out.size) {
      return malformed("attachment " + std::to_string(out.id) + " data is " + std::to_string(decoded->size()) +
                       " bytes but Bugzilla says " + std::to_string(out.size));
    }
    out.data = std::move(*decoded);
  }
  return out;
}

Error typed(int code, const std::string& message, long http_status) {
  Error e;
  e.code = code;
  e.message = "Bugzilla error " + std::to_string(code) + ": " + message;
  switch (code) {
    case bugzilla_code::invalid_bug_id:
    case bugzilla_code::bug_not_found:
    case 51:  // unknown object: keyword, user, ...
      e.kind = ErrorKind::not_found;
      break;
    case bugzilla_code::bug_access_denied:
    case bugzilla_code::no_edit_permission:
    case bugzilla_code::invalid_api_key:
    case bugzilla_code::login_required: e.kind = ErrorKind::denied; break;
    default:
      if (http_status >= 500) {
        e.kind = ErrorKind::transient;
      } else if (code >= 100000 || http_status == 0) {
        e.kind = ErrorKind::internal;
      } else {
        e.kind = ErrorKind::invalid_input;  // 50 missing parameter, 32000 bad JSON, 32614 no such resource, ...
      }
  }
  return e;
}

}  // namespace

bool is_error_body(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  return j.is_object() && j.contains("error") && j["error"].is_boolean() && j["error"].get<bool>();
}

Error error_from_response(long http_status, std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.value("error", false) == true && j.contains("code")) {
    return typed(static_cast<int>(integer(j, "code")), text(j, "message"), http_status);
  }
  Error e;
  e.code = static_cast<int>(http_status);
  if (http_status >= 500 || http_status == 429 || http_status == 0) {
    e.kind = ErrorKind::transient;
    e.message = "Bugzilla answered HTTP " + std::to_string(http_status) + " (server error; will retry)";
  } else if (http_status == 404) {
    e.kind = ErrorKind::not_found;
    e.message = "Bugzilla answered HTTP 404";
  } else if (http_status == 401 || http_status == 403) {
    e.kind = ErrorKind::denied;
    e.message = "Bugzilla answered HTTP " + std::to_string(http_status);
  } else {
    e.kind = ErrorKind::invalid_input;
    e.message = "Bugzilla answered HTTP " + std::to_string(http_status);
  }
  return e;
}

Result<std::vector<BugSummary>> parse_search(std::string_view body) {
  AUTOLAND_TRY_ASSIGN(auto j, parse_json(body));
  auto it = j.find("bugs");
  if (it == j.end() || !it->is_array()) return malformed("search result without a bugs list");
  std::vector<BugSummary> out;
  for (const json& b : *it) {
    if (!b.is_object()) return malformed("a bug in a search result is not an object");
    out.push_back({static_cast<BugId>(integer(b, "id")), text(b, "whiteboard"), strings(b, "keywords"),
                   text(b, "last_change_time")});
  }
  // Bugzilla returns them in no particular order.
  std::sort(out.begin(), out.end(), [](const BugSummary& a, const BugSummary& b) { return a.id < b.id; });
  return out;
}

Result<Bug> parse_bug(std::string_view body, BugId id) {
  AUTOLAND_TRY_ASSIGN(auto j, parse_json(body));
  auto it = j.find("bugs");
  if (it == j.end() || !it->is_array()) return malformed("bug answer without a bugs list");
  for (const json& b : *it) {
    if (!b.is_object() || static_cast<BugId>(integer(b, "id")) != id) continue;
    Bug out;
    out.id = id;
    out.summary = text(b, "summary");
    out.status = text(b, "status");
    out.is_open = boolean(b, "is_open");
    out.whiteboard = text(b, "whiteboard");
    out.keywords = strings(b, "keywords");
    out.last_change_time = text(b, "last_change_time");
    out.creator = text(b, "creator");
    out.assigned_to = text(b, "assigned_to");
    out.flags = flags(b);
    out.update_token = text(b, "update_token");
    return out;
  }
  Error e = not_found("bug " + std::to_string(id) + " is not in Bugzilla's answer");
  e.code = bugzilla_code::bug_not_found;
  return e;
}

Result<std::vector<Attachment>> parse_bug_attachments(std::string_view body, BugId bug, bool with_data) {
  AUTOLAND_TRY_ASSIGN(auto j, parse_json(body));
  auto bugs = j.find("bugs");
  if (bugs == j.end() || !bugs->is_object()) return malformed("attachment list without a bugs map");
  std::vector<Attachment> out;
  auto list = bugs->find(std::to_string(bug));
  if (list == bugs->end()) return out;
  if (!list->is_array()) return malformed("attachments of a bug are not a list");
  for (const json& a : *list) {
    AUTOLAND_TRY_ASSIGN(auto att, attachment_from(a, with_data));
    out.push_back(std::move(att));
  }
  std::sort(out.begin(), out.end(), [](const Attachment& a, const Attachment& b) { return a.id < b.id; });
  return out;
}

Result<Attachment> parse_attachment(std::string_view body, BugId bug, AttachmentId id, bool with_data) {
  AUTOLAND_TRY_ASSIGN(auto j, parse_json(body));
  auto atts = j.find("attachments");
  if (atts == j.end() || !atts->is_object()) return malformed("attachment answer without an attachments map");
  auto it = atts->find(std::to_string(id));
  if (it == atts->end()) {
    return not_found("attachment " + std::to_string(id) + " does not exist (or cannot be seen)");
  }
  AUTOLAND_TRY_ASSIGN(auto att, attachment_from(*it, with_data));
  if (att.bug_id != bug) {
    return not_found("attachment " + std::to_string(id) + " belongs to bug " + std::to_string(att.bug_id) +
                     ", not bug " + std::to_string(bug));
  }
  return att;
}

Result<std::vector<HistoryEntry>> parse_history(std::string_view body, BugId bug) {
  AUTOLAND_TRY_ASSIGN(auto j, parse_json(body));
  auto bugs = j.find("bugs");
  if (bugs == j.end() || !bugs->is_array()) return malformed("history answer without a bugs list");
  std::vector<HistoryEntry> out;
  for (const json& b : *bugs) {
    if (!b.is_object() || static_cast<BugId>(integer(b, "id")) != bug) continue;
    auto history = b.find("history");
    if (history == b.end() || !history->is_array()) return out;
    for (const json& h : *history) {
      HistoryEntry entry{text(h, "when"), text(h, "who"), {}};
      auto changes = h.find("changes");
      if (changes != h.end() && changes->is_array()) {
        for (const json& c : *changes) {
          HistoryChange change{text(c, "field_name"), text(c, "removed"), text(c, "added"), std::nullopt};
          if (c.contains("attachment_id") && c["attachment_id"].is_number()) {
            change.attachment_id = static_cast<AttachmentId>(c["attachment_id"].get<int64_t>());
          }
          entry.changes.push_back(std::move(change));
        }
      }
      out.push_back(std::move(entry));
    }
  }
  return out;
}

Result<std::vector<BugComment>> parse_comments(std::string_view body, BugId bug) {
  AUTOLAND_TRY_ASSIGN(auto j, parse_json(body));
  auto bugs = j.find("bugs");
  if (bugs == j.end() || !bugs->is_object()) return malformed("comment answer without a bugs map");
  std::vector<BugComment> out;
  auto entry = bugs->find(std::to_string(bug));
  if (entry == bugs->end() || !entry->is_object()) return out;
  auto comments = entry->find("comments");
  if (comments == entry->end() || !comments->is_array()) return out;
  for (const json& c : *comments) {
    BugComment comment;
    comment.id = integer(c, "id");
    comment.bug_id = static_cast<BugId>(integer(c, "bug_id"));
    comment.count = static_cast<int>(integer(c, "count"));
    comment.text = text(c, "text");
    comment.creator = text(c, "creator");
    comment.creation_time = text(c, "creation_time");
    comment.is_private = boolean(c, "is_private");
    if (c.contains("attachment_id") && c["attachment_id"].is_number()) {
      comment.attachment_id = static_cast<AttachmentId>(c["attachment_id"].get<int64_t>());
    }
    out.push_back(std::move(comment));
  }
  return out;
}

Result<int64_t> parse_created_comment(std::string_view body) {
  AUTOLAND_TRY_ASSIGN(auto j, parse_json(body));
  int64_t id = integer(j, "id");
  if (id <= 0) return malformed("comment created without an id");
  return id;
}

Result<BugUpdateResult> parse_update(std::string_view body, BugId bug) {
  AUTOLAND_TRY_ASSIGN(auto j, parse_json(body));
  auto bugs = j.find("bugs");
  if (bugs == j.end() || !bugs->is_array()) return malformed("update answer without a bugs list");
  for (const json& b : *bugs) {
    if (!b.is_object() || static_cast<BugId>(integer(b, "id")) != bug) continue;
    BugUpdateResult out;
    out.last_change_time = text(b, "last_change_time");
    auto changes = b.find("changes");
    if (changes != b.end() && changes->is_object()) {
      if (auto w = changes->find("whiteboard"); w != changes->end() && w->is_object()) {
        out.whiteboard = FieldChange{text(*w, "removed"), text(*w, "added")};
      }
      if (auto k = changes->find("keywords"); k != changes->end() && k->is_object()) {
        out.keywords = FieldChange{text(*k, "removed"), text(*k, "added")};
      }
    }
    return out;
  }
  return malformed("update answer does not mention bug " + std::to_string(bug));
}

Result<std::vector<User>> parse_users(std::string_view body) {
  AUTOLAND_TRY_ASSIGN(auto j, parse_json(body));
  auto users = j.find("users");
  if (users == j.end() || !users->is_array()) return malformed("user answer without a users list");
  std::vector<User> out;
  for (const json& u : *users) {
    User user{integer(u, "id"), text(u, "name"), text(u, "email"), text(u, "real_name")};
    if (user.email.empty()) user.email = user.name;  // anonymous lookups omit email
    out.push_back(std::move(user));
  }
  return out;
}

}  // namespace autoland::bugzilla
