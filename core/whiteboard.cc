#include "core/whiteboard.h"

#include <algorithm>
#include <cstdint>

#include "core/try_syntax.h"
#include "util/strings.h"

namespace autoland {
namespace {

constexpr std::string_view kPrefix = "[autoland";

bool is_branch_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// Where the try-syntax part of a tag body starts: after a ':' followed by
// optional spaces and '-'. npos when there is none.
size_t try_syntax_start(std::string_view body) {
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != ':') continue;
    size_t j = i + 1;
    while (j < body.size() && (body[j] == ' ' || body[j] == '\t')) ++j;
    if (j < body.size() && body[j] == '-') return i + 1;
  }
  return std::string_view::npos;
}

// Whether a tag starts at `at`: "[autoland-", in any case ("[autoland]" and
// "[autolanding" are not tags).
bool starts_tag(std::string_view wb, size_t at) {
  return util::ifind(wb.substr(at, kPrefix.size()), kPrefix) == 0 && at + kPrefix.size() < wb.size() &&
         wb[at + kPrefix.size()] == '-';
}

struct Located {
  size_t end = 0;  // one past ']' (or where scanning stopped)
  bool closed = false;
};

// Finds the ']' that closes the tag whose body starts at `from`. Brackets may
// nest inside try syntax (e.g. "-u mochitest[linux]"); anywhere else a '[' or a
// line break means the tag was never closed. "[autoland-" always starts a tag
// of its own, even inside try syntax, so an unclosed tag cannot swallow the
// ones after it (the marker autoland appends among them).
Located locate_end(std::string_view wb, size_t from) {
  bool in_try = false;
  int depth = 0;
  for (size_t i = from; i < wb.size(); ++i) {
    char c = wb[i];
    if (c == '\n' || c == '\r') return {i, false};
    if (!in_try && c == ':') {
      size_t j = i + 1;
      while (j < wb.size() && (wb[j] == ' ' || wb[j] == '\t')) ++j;
      if (j < wb.size() && wb[j] == '-') in_try = true;
    }
    if (c == '[') {
      if (!in_try || starts_tag(wb, i)) return {i, false};
      ++depth;
    } else if (c == ']') {
      if (depth == 0) return {i + 1, true};
      --depth;
    }
  }
  return {wb.size(), false};
}

Result<WhiteboardTag> parse_body(std::string_view body) {
  WhiteboardTag tag;
  size_t try_at = try_syntax_start(body);
  std::string_view head = body;
  if (try_at != std::string_view::npos) {
    head = body.substr(0, try_at - 1);  // without the ':' before the syntax
    std::string_view syntax = util::trim(body.substr(try_at));
    auto parsed = parse_try_syntax(syntax);
    if (!parsed) return invalid_input("bad try syntax: " + parsed.error().message);
    tag.try_syntax = std::string(syntax);
    tag.has_try_syntax = true;
  }

  size_t colon = head.find(':');
  std::string_view branch_part = head.substr(0, colon);
  if (util::trim(branch_part).empty()) {
    return invalid_input("no branch after 'autoland-' (write it like [autoland-try] or [autoland-try:1234])");
  }
  for (std::string_view raw : util::split(branch_part, ',')) {
    std::string_view name = util::trim(raw);
    if (name.empty()) return invalid_input("empty branch name in '" + util::printable(branch_part) + "'");
    bool starts_alnum = is_branch_char(name[0]) && name[0] != '-' && name[0] != '.' && name[0] != '_';
    for (char c : name) {
      if (!is_branch_char(c) || !starts_alnum) {
        return invalid_input("branch name '" + util::printable(name) +
                             "' must start with a letter or digit and hold only letters, digits, '.', '_' and '-'");
      }
    }
    std::string lower = util::to_lower(name);
    if (std::find(tag.branches.begin(), tag.branches.end(), lower) != tag.branches.end()) {
      return invalid_input("branch '" + lower + "' is named twice");
    }
    tag.branches.push_back(std::move(lower));
  }

  if (colon != std::string_view::npos) {
    std::string_view ids = head.substr(colon + 1);
    std::string normalized(ids);
    std::replace(normalized.begin(), normalized.end(), ',', ':');
    for (std::string_view raw : util::split(normalized, ':')) {
      std::string_view id_text = util::trim(raw);
      if (id_text.empty()) {
        return invalid_input("empty attachment id in '" + util::printable(ids) +
                             "' (ids are separated by ':' or ',', like [autoland-try:12:34])");
      }
      auto id = util::parse_uint(id_text);
      if (!id || *id == 0 || *id > 2147483647) {  // Bugzilla ids are SQL integers
        return invalid_input("'" + util::printable(id_text) +
                             "' is not an attachment id (use the number from the attachment's link)");
      }
      if (std::find(tag.attachments.begin(), tag.attachments.end(), *id) != tag.attachments.end()) {
        return invalid_input("attachment " + std::to_string(*id) + " is listed twice");
      }
      tag.attachments.push_back(*id);
    }
  }

  if (tag.branches.size() == 1 && tag.branches[0] == "in-queue") {
    if (!tag.attachments.empty() || tag.has_try_syntax) {
      return invalid_input("[autoland-in-queue] is autoland's own marker and takes no ids or try syntax");
    }
    tag.kind = WhiteboardTag::Kind::in_queue;
  } else if (std::find(tag.branches.begin(), tag.branches.end(), "in-queue") != tag.branches.end()) {
    return invalid_input("'in-queue' is autoland's own marker, not a branch");
  }
  return tag;
}

}  // namespace

WhiteboardScan scan_whiteboard(std::string_view wb) {
  WhiteboardScan scan;
  size_t pos = 0;
  while (true) {
    size_t at = util::ifind(wb, kPrefix, pos);
    if (at == std::string_view::npos) break;
    size_t after = at + kPrefix.size();
    if (after >= wb.size() || wb[after] != '-') {
      // "[autoland]" alone, or a longer word like "[autolanding]": not a request.
      pos = after;
      continue;
    }
    Located loc = locate_end(wb, after + 1);
    std::string_view text = wb.substr(at, loc.end - at);
    if (!loc.closed) {
      scan.errors.push_back(
          {std::string(text), at, "tag '" + util::printable(text) + "' is not closed: add ']' at its end", true});
      pos = std::max(loc.end, after);
      continue;
    }
    std::string_view body = wb.substr(after + 1, loc.end - 1 - (after + 1));
    auto tag = parse_body(body);
    if (!tag) {
      scan.errors.push_back({std::string(text), at, tag.error().message});
    } else {
      tag->text = std::string(text);
      tag->offset = at;
      scan.tags.push_back(std::move(*tag));
    }
    pos = loc.end;
  }
  return scan;
}

std::string format_tag(const WhiteboardTag& tag) {
  if (tag.kind == WhiteboardTag::Kind::in_queue) return std::string(kInQueueTag);
  std::string out = "[autoland-";
  for (size_t i = 0; i < tag.branches.size(); ++i) {
    if (i) out += ',';
    out += tag.branches[i];
  }
  for (AttachmentId id : tag.attachments) out += ":" + std::to_string(id);
  if (tag.has_try_syntax) out += ":" + tag.try_syntax;
  out += ']';
  return out;
}

namespace {

// Whether `after` holds a tag `before` did not: each request tag and closed
// broken tag of `after` must be one of `before`'s (by text, each used once),
// and it may hold at most `markers_allowed` markers.
bool makes_new_tags(const WhiteboardScan& before, std::string_view after, size_t markers_allowed) {
  std::vector<std::string> known;
  for (const WhiteboardTag& t : before.tags) {
    if (t.kind != WhiteboardTag::Kind::in_queue) known.push_back(t.text);
  }
  for (const TagError& e : before.errors) known.push_back(e.text);
  WhiteboardScan now = scan_whiteboard(after);
  auto seen = [&](const std::string& text) {
    auto it = std::find(known.begin(), known.end(), text);
    if (it == known.end()) return false;
    known.erase(it);
    return true;
  };
  size_t markers_now = 0;
  for (const WhiteboardTag& t : now.tags) {
    if (t.kind == WhiteboardTag::Kind::in_queue) {
      ++markers_now;
    } else if (!seen(t.text)) {
      return true;
    }
  }
  for (const TagError& e : now.errors) {
    // An unclosed one is only ever reported: harmless, even if new.
    if (!e.unclosed && !seen(e.text)) return true;
  }
  return markers_now > markers_allowed;
}

}  // namespace

std::string rewrite_whiteboard(std::string_view wb, const WhiteboardEdit& edit) {
  using Marker = WhiteboardEdit::Marker;
  struct Cut {
    size_t offset, size;
    enum { request, broken, marker } what;
  };
  WhiteboardScan scan = scan_whiteboard(wb);
  std::vector<std::string> pending = edit.remove;
  auto take = [&](const std::string& text) {
    auto it = std::find(pending.begin(), pending.end(), text);
    if (it == pending.end()) return false;
    pending.erase(it);
    return true;
  };
  std::vector<Cut> cuts;
  bool had_marker = false;
  for (const WhiteboardTag& t : scan.tags) {
    if (t.kind == WhiteboardTag::Kind::in_queue) {
      had_marker = true;
      if (edit.marker == Marker::remove) cuts.push_back({t.offset, t.text.size(), Cut::marker});
    } else if (take(t.text)) {
      cuts.push_back({t.offset, t.text.size(), Cut::request});
    }
  }
  for (const TagError& e : scan.errors) {
    if (e.unclosed) continue;  // its text may run into the human's words
    if (take(e.text)) cuts.push_back({e.offset, e.text.size(), Cut::broken});
  }
  std::sort(cuts.begin(), cuts.end(), [](const Cut& a, const Cut& b) { return a.offset < b.offset; });

  bool add = (edit.marker == Marker::add || edit.marker == Marker::replace_request) && !had_marker;
  size_t marker_at = cuts.size();
  if (add) {
    auto first = std::find_if(cuts.begin(), cuts.end(), [](const Cut& c) { return c.what == Cut::request; });
    marker_at = static_cast<size_t>(first - cuts.begin());
  }
  // Right to left, so every offset still to cut is where the scan found it.
  // `joiner` takes the place of a cut tag: "" normally; " " when cutting
  // would join the text around a tag into a tag nobody wrote
  // ("[autoland[autoland-x]-central]" must not become a request for central).
  auto cut = [&](std::string_view joiner) {
    std::string out(wb);
    for (size_t i = cuts.size(); i-- > 0;) {
      size_t at = cuts[i].offset, end = at + cuts[i].size;
      if (i == marker_at) {
        out.replace(at, end - at, kInQueueTag);
        continue;
      }
      if (cuts[i].what == Cut::marker && joiner.empty()) {
        if (end < out.size() && out[end] == ' ') {
          ++end;  // the space after it, when text follows
        } else if (at > 0 && out[at - 1] == ' ') {
          --at;  // else the one before it
        }
      }
      out.replace(at, end - at, joiner);
    }
    return out;
  };
  size_t markers = std::count_if(scan.tags.begin(), scan.tags.end(),
                                 [](const WhiteboardTag& t) { return t.kind == WhiteboardTag::Kind::in_queue; });
  // Taking markers off may join the text around one into another marker:
  // that one is taken off in turn (below), so only new requests count then.
  const size_t markers_allowed = edit.marker == Marker::remove ? SIZE_MAX : add ? 1 : markers;
  std::string out = cut("");
  if (makes_new_tags(scan, out, markers_allowed)) out = cut(" ");
  if (makes_new_tags(scan, out, markers_allowed)) {
    // Even a space joins (a cut lets an unclosed tag reach a later ']'):
    // nothing is cut, and a marker asked for goes at the end, where it can
    // join nothing ("[autoland-" ends any tag before it).
    out = std::string(wb);
    if (add) {
      if (!out.empty() && out.back() != ' ') out += ' ';
      out += kInQueueTag;
    }
    return out;
  }
  if (add && marker_at == cuts.size() && edit.marker == Marker::add) {
    if (util::trim(out).empty()) return std::string(kInQueueTag);
    if (out.back() != ' ') out += ' ';
    out += kInQueueTag;
  }
  if (edit.marker == Marker::remove && had_marker) {
    if (util::trim(out).empty()) return "";
    // Cutting can join the text around a marker into a new one
    // ("[autoland-in-[autoland-in-queue]queue]"): removed means none is left.
    // Each pass is shorter, so this ends.
    WhiteboardScan left = scan_whiteboard(out);
    if (std::any_of(left.tags.begin(), left.tags.end(),
                    [](const WhiteboardTag& t) { return t.kind == WhiteboardTag::Kind::in_queue; })) {
      return rewrite_whiteboard(out, {.marker = Marker::remove});
    }
  }
  return out;
}

std::string with_in_queue_marker(std::string_view wb) {
  return rewrite_whiteboard(wb, {.marker = WhiteboardEdit::Marker::add});
}

std::string without_in_queue_marker(std::string_view wb) {
  return rewrite_whiteboard(wb, {.marker = WhiteboardEdit::Marker::remove});
}

}  // namespace autoland
