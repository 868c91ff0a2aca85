#include "core/patch.h"

#include <optional>

#include "util/strings.h"

namespace autoland {
namespace {

struct Line {
  std::string_view text;  // without '\n' and a trailing '\r'
  size_t number = 0;      // 1-based
};

std::vector<Line> split_numbered(std::string_view text) {
  std::vector<Line> lines;
  size_t number = 1;
  for (std::string_view line : util::split_lines(text)) lines.push_back({line, number++});
  return lines;
}

std::string at_line(size_t n) { return " (line " + std::to_string(n) + ")"; }

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// C-style quoted path as git writes it: "a/caf\303\251 au lait.txt".
std::optional<std::string> unquote_c(std::string_view s, size_t* consumed) {
  if (s.empty() || s[0] != '"') return std::nullopt;
  std::string out;
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      if (consumed) *consumed = i + 1;
      return out;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= s.size()) return std::nullopt;
    char e = s[i];
    switch (e) {
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'v': out += '\v'; break;
      case 'f': out += '\f'; break;
      case 'r': out += '\r'; break;
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      default:
        if (e >= '0' && e <= '3' && i + 2 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7' && s[i + 2] >= '0' &&
            s[i + 2] <= '7') {
          out += static_cast<char>((e - '0') * 64 + (s[i + 1] - '0') * 8 + (s[i + 2] - '0'));
          i += 2;
        } else {
          return std::nullopt;
        }
    }
  }
  return std::nullopt;
}

// A path as written after "---", "+++", "rename from", ...: maybe quoted, maybe
// followed by a tab and a timestamp.
std::string read_path(std::string_view s) {
  s = util::trim(s);
  if (!s.empty() && s[0] == '"') {
    if (auto q = unquote_c(s, nullptr)) return *q;
  }
  size_t tab = s.find('\t');
  if (tab != std::string_view::npos) s = s.substr(0, tab);
  return std::string(util::trim(s));
}

std::string strip_prefix(const std::string& path, char side) {
  if (path.size() > 2 && path[0] == side && path[1] == '/') return path.substr(2);
  return path;
}

// "a/X b/Y" from a `diff --git` line. With unquoted names holding spaces the
// split is ambiguous; the one where both sides name the same file wins, and
// rename/---/+++ lines correct it later anyway.
bool split_git_paths(std::string_view rest, std::string* old_path, std::string* new_path) {
  rest = util::trim(rest);
  if (!rest.empty() && rest[0] == '"') {
    size_t used = 0;
    auto first = unquote_c(rest, &used);
    if (!first) return false;
    *old_path = strip_prefix(*first, 'a');
    *new_path = strip_prefix(read_path(rest.substr(used)), 'b');
    return true;
  }
  if (!starts_with(rest, "a/")) return false;
  size_t first_split = std::string_view::npos;
  for (size_t pos = rest.find(" b/"); pos != std::string_view::npos; pos = rest.find(" b/", pos + 1)) {
    if (first_split == std::string_view::npos) first_split = pos;
    if (rest.substr(2, pos - 2) == rest.substr(pos + 3)) {
      first_split = pos;
      break;
    }
  }
  if (first_split == std::string_view::npos) {
    size_t quoted = rest.find(" \"");
    if (quoted == std::string_view::npos) return false;
    *old_path = std::string(rest.substr(2, quoted - 2));
    *new_path = strip_prefix(read_path(rest.substr(quoted + 1)), 'b');
    return true;
  }
  *old_path = std::string(rest.substr(2, first_split - 2));
  *new_path = std::string(rest.substr(first_split + 3));
  return true;
}

// RFC 2047 encoded words (=?UTF-8?q?J=C3=B6rg?=), as git format-patch writes
// non-ASCII names and subjects. Bytes are kept as they decode.
std::string decode_mime_words(std::string_view s) {
  std::string out;
  size_t i = 0;
  bool last_was_word = false;
  while (i < s.size()) {
    size_t start = s.find("=?", i);
    if (start == std::string_view::npos) {
      out.append(s.substr(i));
      break;
    }
    size_t q1 = s.find('?', start + 2);
    size_t q2 = q1 == std::string_view::npos ? q1 : s.find('?', q1 + 1);
    size_t end = q2 == std::string_view::npos ? q2 : s.find("?=", q2 + 1);
    if (end == std::string_view::npos || q2 != q1 + 2) {
      out.append(s.substr(i, start + 2 - i));
      i = start + 2;
      last_was_word = false;
      continue;
    }
    std::string_view between = s.substr(i, start - i);
    // Whitespace between two encoded words is not part of the text.
    if (!(last_was_word && util::trim(between).empty())) out.append(between);
    char encoding = s[q1 + 1];
    std::string_view payload = s.substr(q2 + 1, end - q2 - 1);
    if (encoding == 'q' || encoding == 'Q') {
      for (size_t k = 0; k < payload.size(); ++k) {
        char c = payload[k];
        auto hex = [](char h) -> int {
          if (h >= '0' && h <= '9') return h - '0';
          if (h >= 'A' && h <= 'F') return h - 'A' + 10;
          if (h >= 'a' && h <= 'f') return h - 'a' + 10;
          return -1;
        };
        if (c == '_') {
          out += ' ';
        } else if (c == '=' && k + 2 < payload.size() + 0 && hex(payload[k + 1]) >= 0 && hex(payload[k + 2]) >= 0) {
          out += static_cast<char>(hex(payload[k + 1]) * 16 + hex(payload[k + 2]));
          k += 2;
        } else {
          out += c;
        }
      }
    } else if (encoding == 'b' || encoding == 'B') {
      static const std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      uint32_t buffer = 0;
      int bits = 0;
      for (char c : payload) {
        size_t v = alphabet.find(c);
        if (v == std::string_view::npos) continue;  // '=' padding
        buffer = (buffer << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
          bits -= 8;
          out += static_cast<char>((buffer >> bits) & 0xff);
        }
      }
    } else {
      out.append(s.substr(start, end + 2 - start));
    }
    i = end + 2;
    last_was_word = true;
  }
  return out;
}

// "[PATCH 2/3] Bug 1 - x" -> "Bug 1 - x"; also "[PATCH v2 2/3]", "[RFC PATCH]".
std::string_view strip_patch_prefix(std::string_view subject) {
  subject = util::trim(subject);
  while (!subject.empty() && subject[0] == '[') {
    size_t close = subject.find(']');
    if (close == std::string_view::npos) break;
    std::string_view inside = subject.substr(1, close - 1);
    if (util::ifind(inside, "PATCH") == std::string_view::npos) break;
    subject = util::trim(subject.substr(close + 1));
  }
  return subject;
}

std::string join_message(const std::vector<std::string_view>& lines) {
  size_t begin = 0;
  size_t end = lines.size();
  while (begin < end && util::trim(lines[begin]).empty()) ++begin;
  while (end > begin && util::trim(lines[end - 1]).empty()) --end;
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) out += '\n';
    out.append(lines[i]);
  }
  return out;
}

bool is_diff_start(std::string_view line) { return starts_with(line, "diff ") || starts_with(line, "Index: "); }

class DiffParser {
 public:
  DiffParser(const std::vector<Line>& lines, size_t start) : lines_(lines), i_(start) {}

  Result<std::vector<FileChange>> parse() {
    while (i_ < lines_.size()) {
      const Line& line = lines_[i_];
      std::string_view t = line.text;
      if (starts_with(t, "diff --git ")) {
        AUTOLAND_TRY(start_git_file(line));
      } else if (starts_with(t, "diff ")) {
        finish_file();
        current_ = FileChange{};
        current_started_by_header_ = true;
        current_is_git_ = false;
        ++i_;
      } else if (starts_with(t, "--- ") && i_ + 1 < lines_.size() && starts_with(lines_[i_ + 1].text, "+++ ")) {
        AUTOLAND_TRY(take_old_new(line, lines_[i_ + 1]));
        i_ += 2;
      } else if (starts_with(t, "@@ ")) {
        if (!current_) return invalid_input("hunk without a file header" + at_line(line.number));
        AUTOLAND_TRY(parse_hunk());
      } else if (current_ && current_is_git_ && current_->hunks == 0) {
        AUTOLAND_TRY(git_extended_header(line));
      } else if (current_ && starts_with(t, "Binary files ") && util::ifind(t, " differ") != std::string_view::npos) {
        current_->binary = true;
        ++i_;
      } else {
        AUTOLAND_TRY(check_nul(line));
        ++i_;  // noise between files: "Index:", "=====", a mail signature, ...
      }
    }
    finish_file();
    return std::move(files_);
  }

 private:
  Status check_nul(const Line& line) {
    if (line.text.find('\0') != std::string_view::npos) {
      return invalid_input("NUL byte outside a binary section" + at_line(line.number));
    }
    return {};
  }

  std::string where() const {
    if (!current_) return "";
    const std::string& p = current_->path.empty() ? pending_old_ : current_->path;
    return p.empty() ? "" : " in " + util::printable(p);
  }

  Status start_git_file(const Line& line) {
    finish_file();
    current_ = FileChange{};
    current_started_by_header_ = true;
    current_is_git_ = true;
    std::string old_path, new_path;
    if (!split_git_paths(line.text.substr(11), &old_path, &new_path)) {
      return invalid_input("cannot read the file names in 'diff --git' header" + at_line(line.number));
    }
    pending_old_ = old_path;
    current_->path = new_path;
    ++i_;
    return {};
  }

  Status git_extended_header(const Line& line) {
    std::string_view t = line.text;
    auto value = [&](std::string_view key) { return t.substr(key.size()); };
    if (starts_with(t, "new file mode ")) {
      current_->kind = FileChangeKind::add;
      current_->new_mode = std::string(util::trim(value("new file mode ")));
    } else if (starts_with(t, "deleted file mode ")) {
      current_->kind = FileChangeKind::remove;
      current_->old_mode = std::string(util::trim(value("deleted file mode ")));
    } else if (starts_with(t, "old mode ")) {
      current_->old_mode = std::string(util::trim(value("old mode ")));
    } else if (starts_with(t, "new mode ")) {
      current_->new_mode = std::string(util::trim(value("new mode ")));
    } else if (starts_with(t, "rename from ")) {
      current_->kind = FileChangeKind::rename;
      pending_old_ = read_path(value("rename from "));
    } else if (starts_with(t, "rename to ")) {
      current_->kind = FileChangeKind::rename;
      current_->path = read_path(value("rename to "));
    } else if (starts_with(t, "copy from ")) {
      current_->kind = FileChangeKind::copy;
      pending_old_ = read_path(value("copy from "));
    } else if (starts_with(t, "copy to ")) {
      current_->kind = FileChangeKind::copy;
      current_->path = read_path(value("copy to "));
    } else if (starts_with(t, "GIT binary patch")) {
      current_->binary = true;
      ++i_;
      skip_binary_blocks();
      return {};
    } else if (starts_with(t, "Binary files ")) {
      current_->binary = true;
    } else if (starts_with(t, "similarity index ") || starts_with(t, "dissimilarity index ") ||
               starts_with(t, "index ")) {
      // Informational.
    } else {
      AUTOLAND_TRY(check_nul(line));
    }
    ++i_;
    return {};
  }

  // "literal N" / "delta N" followed by base85 lines up to a blank line; git
  // writes a forward and a reverse block. NUL bytes are tolerated here only.
  void skip_binary_blocks() {
    while (i_ < lines_.size()) {
      std::string_view t = lines_[i_].text;
      if (starts_with(t, "literal ") || starts_with(t, "delta ")) {
        ++i_;
        while (i_ < lines_.size() && !lines_[i_].text.empty()) ++i_;
        if (i_ < lines_.size()) ++i_;  // the blank line
      } else {
        return;
      }
    }
  }

  Status take_old_new(const Line& minus, const Line& plus) {
    std::string old_raw = read_path(minus.text.substr(4));
    std::string new_raw = read_path(plus.text.substr(4));
    bool reuse = current_ && current_started_by_header_ && current_->hunks == 0 && !have_old_new_;
    if (!reuse) {
      finish_file();
      current_ = FileChange{};
      current_started_by_header_ = false;
      current_is_git_ = false;
    }
    have_old_new_ = true;
    bool old_null = old_raw == "/dev/null";
    bool new_null = new_raw == "/dev/null";
    if (old_null && new_null) return invalid_input("both sides are /dev/null" + at_line(minus.number));
    // hg and git write a/ and b/; otherwise strip one leading component the way
    // `hg import` (-p1) does when both names have one.
    auto strip = [&](const std::string& path, char side) {
      std::string stripped = strip_prefix(path, side);
      if (stripped != path) return stripped;
      bool both_prefixed = (old_null || old_raw.find('/') != std::string::npos) &&
                           (new_null || new_raw.find('/') != std::string::npos) && !current_is_git_;
      size_t slash = path.find('/');
      if (both_prefixed && slash != std::string::npos && slash > 0) return path.substr(slash + 1);
      return path;
    };
    std::string old_path = old_null ? "" : strip(old_raw, 'a');
    std::string new_path = new_null ? "" : strip(new_raw, 'b');
    if (old_null) {
      current_->kind = FileChangeKind::add;
      current_->path = new_path;
    } else if (new_null) {
      current_->kind = FileChangeKind::remove;
      current_->path = old_path;
      pending_old_ = old_path;
    } else {
      if (current_->kind != FileChangeKind::rename && current_->kind != FileChangeKind::copy) {
        current_->path = new_path;
        pending_old_ = old_path;
      }
    }
    return {};
  }

  static bool parse_range(std::string_view s, uint64_t* start, uint64_t* count) {
    size_t comma = s.find(',');
    auto first = util::parse_uint(s.substr(0, comma));
    if (!first) return false;
    *start = *first;
    *count = 1;
    if (comma != std::string_view::npos) {
      auto c = util::parse_uint(s.substr(comma + 1));
      if (!c) return false;
      *count = *c;
    }
    return true;
  }

  Status parse_hunk() {
    const Line& header = lines_[i_];
    std::string_view t = header.text;  // "@@ -a,b +c,d @@ context"
    size_t end = t.find(" @@", 3);
    uint64_t old_start = 0, old_count = 0, new_start = 0, new_count = 0;
    bool ok = end != std::string_view::npos;
    if (ok) {
      std::string_view ranges = t.substr(3, end - 3);
      size_t space = ranges.find(' ');
      ok = space != std::string_view::npos && ranges[0] == '-' && space + 1 < ranges.size() &&
           ranges[space + 1] == '+' && parse_range(ranges.substr(1, space - 1), &old_start, &old_count) &&
           parse_range(ranges.substr(space + 2), &new_start, &new_count);
    }
    if (!ok)
      return invalid_input("malformed hunk header '" + util::printable(t) + "'" + where() + at_line(header.number));
    ++current_->hunks;
    int hunk_number = current_->hunks;
    ++i_;
    while (old_count > 0 || new_count > 0) {
      if (i_ >= lines_.size()) {
        return invalid_input("hunk " + std::to_string(hunk_number) + where() + " is cut short at the end of the patch" +
                             " (" + std::to_string(old_count + new_count) + " lines missing)");
      }
      const Line& line = lines_[i_];
      AUTOLAND_TRY(check_nul(line));
      char c = line.text.empty() ? ' ' : line.text[0];
      if (c == ' ') {
        if (old_count == 0 || new_count == 0) return hunk_overrun(hunk_number, line);
        --old_count;
        --new_count;
      } else if (c == '-') {
        if (old_count == 0) return hunk_overrun(hunk_number, line);
        --old_count;
        ++current_->lines_removed;
      } else if (c == '+') {
        if (new_count == 0) return hunk_overrun(hunk_number, line);
        --new_count;
        ++current_->lines_added;
      } else if (c == '\\') {
        // "\ No newline at end of file"
      } else {
        return invalid_input("hunk " + std::to_string(hunk_number) + where() + " ends early: '" +
                             util::printable(line.text) + "' is not a diff line" + at_line(line.number));
      }
      ++i_;
    }
    while (i_ < lines_.size() && starts_with(lines_[i_].text, "\\ ")) ++i_;
    return {};
  }

  Status hunk_overrun(int hunk_number, const Line& line) {
    return invalid_input("hunk " + std::to_string(hunk_number) + where() + " has more lines than its header says" +
                         at_line(line.number));
  }

  void finish_file() {
    if (current_) {
      if (current_->kind == FileChangeKind::rename || current_->kind == FileChangeKind::copy) {
        current_->old_path = pending_old_;
      } else if (current_->kind == FileChangeKind::remove && current_->path.empty()) {
        current_->path = pending_old_;
      } else if (current_->kind == FileChangeKind::remove) {
        current_->path = pending_old_.empty() ? current_->path : pending_old_;
      }
      if (!current_->path.empty() || !current_->old_path.empty()) files_.push_back(std::move(*current_));
    }
    current_.reset();
    pending_old_.clear();
    have_old_new_ = false;
  }

  const std::vector<Line>& lines_;
  size_t i_;
  std::optional<FileChange> current_;
  bool current_started_by_header_ = false;
  bool current_is_git_ = false;
  bool have_old_new_ = false;
  std::string pending_old_;
  std::vector<FileChange> files_;
};

size_t first_diff_line(const std::vector<Line>& lines, size_t from) {
  for (size_t i = from; i < lines.size(); ++i) {
    std::string_view t = lines[i].text;
    if (is_diff_start(t)) return i;
    if (starts_with(t, "--- ") && i + 1 < lines.size() && starts_with(lines[i + 1].text, "+++ ")) return i;
  }
  return lines.size();
}

Status parse_hg_header(const std::vector<Line>& lines, size_t* pos, Patch* patch) {
  size_t i = *pos + 1;  // after "# HG changeset patch"
  for (; i < lines.size() && starts_with(lines[i].text, "#"); ++i) {
    std::string_view t = lines[i].text;
    if (starts_with(t, "# User ")) {
      patch->author = std::string(util::trim(t.substr(7)));
    } else if (starts_with(t, "# Date ")) {
      patch->date = std::string(util::trim(t.substr(7)));
    } else if (starts_with(t, "# Node ID ")) {
      patch->node = std::string(util::trim(t.substr(10)));
    } else if (starts_with(t, "# Parent ")) {
      if (!patch->parent.empty()) {
        return invalid_input("the patch is a merge (two '# Parent' lines); autoland lands single changesets" +
                             at_line(lines[i].number));
      }
      patch->parent = std::string(util::trim(t.substr(9)));
    } else if (starts_with(t, "# Branch ")) {
      patch->branch = std::string(util::trim(t.substr(9)));
    }
  }
  size_t diff = first_diff_line(lines, i);
  std::vector<std::string_view> message;
  for (size_t k = i; k < diff; ++k) message.push_back(lines[k].text);
  patch->message = join_message(message);
  *pos = diff;
  return {};
}

void parse_mail_header(const std::vector<Line>& lines, size_t* pos, Patch* patch) {
  size_t i = *pos;
  if (starts_with(lines[i].text, "From ")) ++i;  // mbox separator
  std::string subject;
  std::string* last = nullptr;
  for (; i < lines.size() && !lines[i].text.empty(); ++i) {
    std::string_view t = lines[i].text;
    if ((t[0] == ' ' || t[0] == '\t') && last) {  // folded header line
      *last += ' ';
      last->append(util::trim(t));
      continue;
    }
    last = nullptr;
    if (util::istarts_with(t, "From:")) {
      patch->author = std::string(util::trim(t.substr(5)));
      last = &patch->author;
    } else if (util::istarts_with(t, "Date:")) {
      patch->date = std::string(util::trim(t.substr(5)));
      last = &patch->date;
    } else if (util::istarts_with(t, "Subject:")) {
      subject = std::string(util::trim(t.substr(8)));
      last = &subject;
    }
  }
  patch->author = decode_mime_words(patch->author);
  std::string summary(strip_patch_prefix(decode_mime_words(subject)));
  // The body runs to the "---" before the diffstat, or to the diff itself.
  std::vector<std::string_view> body;
  size_t k = i;
  for (; k < lines.size(); ++k) {
    std::string_view t = lines[k].text;
    if (t == "---" || is_diff_start(t)) break;
    body.push_back(t);
  }
  std::string rest = join_message(body);
  patch->message = rest.empty() ? summary : summary + "\n\n" + rest;
  *pos = first_diff_line(lines, k);
}

}  // namespace

std::string_view to_string(PatchFormat f) {
  switch (f) {
    case PatchFormat::hg_export: return "hg-export";
    case PatchFormat::git_format_patch: return "git-format-patch";
    case PatchFormat::plain_diff: return "diff";
  }
  return "?";
}

std::string_view to_string(FileChangeKind k) {
  switch (k) {
    case FileChangeKind::modify: return "modify";
    case FileChangeKind::add: return "add";
    case FileChangeKind::remove: return "remove";
    case FileChangeKind::rename: return "rename";
    case FileChangeKind::copy: return "copy";
  }
  return "?";
}

std::string Patch::summary() const {
  size_t nl = message.find('\n');
  return message.substr(0, nl);
}

Status check_patch_path(std::string_view path) {
  std::string shown = "'" + util::printable(path) + "'";
  if (path.empty()) return invalid_input("a file name is empty");
  if (path[0] == '/' || path[0] == '\\' || (path.size() > 1 && path[1] == ':')) {
    return invalid_input("absolute path " + shown + " (paths must be relative to the repository root)");
  }
  std::string normalized(path);
  for (char& c : normalized) {
    if (c == '\\') c = '/';
  }
  auto parts = util::split(normalized, '/');
  for (std::string_view part : parts) {
    if (part == "..") return invalid_input("path " + shown + " climbs out of the repository with '..'");
    if (util::iequals(part, ".hg") || util::iequals(part, ".git")) {
      return invalid_input("path " + shown + " touches version-control metadata (.hg/ or .git/)");
    }
  }
  if (util::iequals(parts.back(), ".hgrc")) {
    return invalid_input("path " + shown + " edits an .hgrc (repository configuration is off limits)");
  }
  return {};
}

Result<Patch> parse_patch(std::string_view text, const PatchLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return invalid_input("the patch is " + std::to_string(text.size()) + " bytes, over the limit of " +
                         std::to_string(limits.max_bytes));
  }
  if (util::trim(text).empty()) return invalid_input("the patch is empty");

  std::vector<Line> lines = split_numbered(text);
  // A changeset header can only stand at the start of a line outside hunks
  // (hunk lines begin with ' ', '+' or '-'), so counting them is exact.
  size_t headers = 0;
  for (const Line& line : lines) {
    std::string_view t = line.text;
    if (starts_with(t, "# HG changeset patch") ||
        (starts_with(t, "From ") && t.find(" Mon Sep 17 00:00:00 2001") != std::string_view::npos)) {
      ++headers;
    }
  }
  if (headers > 1) {
    return invalid_input("the attachment holds " + std::to_string(headers) +
                         " changesets; attach each patch separately (autoland lands them in order)");
  }
  size_t pos = 0;
  while (pos < lines.size() && util::trim(lines[pos].text).empty()) ++pos;

  Patch patch;
  std::string_view first = lines[pos].text;
  if (starts_with(first, "# HG changeset patch")) {
    patch.format = PatchFormat::hg_export;
    AUTOLAND_TRY(parse_hg_header(lines, &pos, &patch));
  } else if ((starts_with(first, "From ") && first.find("Mon Sep 17 00:00:00 2001") != std::string_view::npos) ||
             util::istarts_with(first, "From:")) {
    patch.format = PatchFormat::git_format_patch;
    parse_mail_header(lines, &pos, &patch);
  } else {
    patch.format = PatchFormat::plain_diff;
    size_t diff = first_diff_line(lines, pos);
    std::vector<std::string_view> preamble;
    for (size_t k = pos; k < diff; ++k) preamble.push_back(lines[k].text);
    patch.message = join_message(preamble);
    pos = diff;
  }
  for (size_t k = 0; k < pos && k < lines.size(); ++k) {
    if (lines[k].text.find('\0') != std::string_view::npos) {
      return invalid_input("NUL byte in the patch header" + at_line(lines[k].number));
    }
  }

  DiffParser diff(lines, pos);
  auto files = diff.parse();
  if (!files) return files.error();
  patch.files = std::move(*files);
  if (patch.files.empty() && patch.format == PatchFormat::plain_diff) {
    return invalid_input("no diff found: expected 'diff', or '---' and '+++' lines");
  }
  for (const FileChange& f : patch.files) {
    AUTOLAND_TRY(check_patch_path(f.path));
    if (!f.old_path.empty()) AUTOLAND_TRY(check_patch_path(f.old_path));
  }
  return patch;
}

std::string strip_nick(std::string_view real_name) {
  std::string_view s = util::trim(real_name);
  // Bugzilla convention: "Jane Doe [:jdoe]" or "Jane Doe (:jdoe)", possibly
  // followed by more like "[:jdoe] (PTO until May)"; cut from the first one.
  for (std::string_view marker : {std::string_view("[:"), std::string_view("(:")}) {
    size_t at = s.find(marker);
    if (at != std::string_view::npos) s = util::trim(s.substr(0, at));
  }
  return std::string(s);
}

std::string synthesized_user(const SynthesizedHeaderInput& in) {
  std::string name = strip_nick(in.creator_name);
  if (name.empty()) name = in.creator_email;
  return name + " <" + in.creator_email + ">";
}

std::string synthesized_message(const SynthesizedHeaderInput& in) {
  std::string description(util::trim(in.description));
  for (char& c : description) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return "Bug " + std::to_string(in.bug_id) + " - " + description;
}

std::string synthesize_hg_header(const SynthesizedHeaderInput& in) {
  return "# HG changeset patch\n# User " + synthesized_user(in) + "\n# Date " + std::to_string(in.date) + " 0\n" +
         synthesized_message(in) + "\n";
}

}  // namespace autoland
