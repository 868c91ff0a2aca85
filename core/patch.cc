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

// An unquoted name after "---"/"+++" in a non-git diff, read the way
// Mercurial's parsefilename does: up to the first tab, or else the first space.
std::string read_plain_diff_name(std::string_view s) {
  size_t cut = s.find('\t');
  if (cut == std::string_view::npos) cut = s.find(' ');
  return std::string(s.substr(0, cut));
}

// A name in a git diff ("---", "+++", "rename from", ...): C-quoted, or the
// rest of the line up to a tab (git adds one after names holding spaces);
// trailing spaces are part of the name, as git and hg read it.
// nullopt for a quoted name that does not parse.
std::optional<std::string> read_git_name(std::string_view s) {
  if (!s.empty() && s[0] == '"') return unquote_c(s, nullptr);
  size_t tab = s.find('\t');
  if (tab != std::string_view::npos) s = s.substr(0, tab);
  return std::string(s);
}

std::string strip_prefix(const std::string& path, char side) {
  if (path.size() > 2 && path[0] == side && path[1] == '/') return path.substr(2);
  return path;
}

// The two names of a `diff --git` line. Unquoted names are split at the last
// " b/", as Mercurial's `diff --git a/(.*) b/(.*)` does; the ---/+++ and
// rename lines must then agree with it, or the patch is refused.
bool split_git_paths(std::string_view rest, std::string* old_path, std::string* new_path) {
  if (!rest.empty() && rest[0] == '"') {
    size_t used = 0;
    auto first = unquote_c(rest, &used);
    if (!first || used >= rest.size() || rest[used] != ' ') return false;
    auto second = read_git_name(rest.substr(used + 1));
    if (!second) return false;
    *old_path = strip_prefix(*first, 'a');
    *new_path = strip_prefix(*second, 'b');
    return first->rfind("a/", 0) == 0 && second->rfind("b/", 0) == 0;
  }
  if (!starts_with(rest, "a/")) return false;
  size_t quoted = rest.find(" \"b/");
  if (quoted != std::string_view::npos) {
    auto second = read_git_name(rest.substr(quoted + 1));
    if (!second) return false;
    *old_path = std::string(rest.substr(2, quoted - 2));
    *new_path = strip_prefix(*second, 'b');
    return true;
  }
  size_t split = rest.rfind(" b/");
  if (split == std::string_view::npos || split < 2) return false;
  *old_path = std::string(rest.substr(2, split - 2));
  *new_path = std::string(rest.substr(split + 3));
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

// Lines that start a file's diff in every form (Mercurial's `diffre` without
// its "---"/"***" pairs, which is_file_pair and the hidden-diff check cover).
bool is_hg_diff_start(std::string_view t) {
  return starts_with(t, "diff -") || starts_with(t, "diff\t-") || starts_with(t, "Index: ") ||
         starts_with(t, "Index:\t") || starts_with(t, "RCS file: ") || starts_with(t, "retrieving revision ");
}

bool is_name_line(std::string_view t, std::string_view marker) {
  return t.size() > 3 && starts_with(t, marker) && (t[3] == ' ' || t[3] == '\t');
}

bool is_file_pair(const std::vector<Line>& lines, size_t i) {
  return is_name_line(lines[i].text, "---") && i + 1 < lines.size() && is_name_line(lines[i + 1].text, "+++");
}

// The first line that starts a file's diff, from `from`.
size_t first_diff_line(const std::vector<Line>& lines, size_t from) {
  for (size_t i = from; i < lines.size(); ++i) {
    if (is_hg_diff_start(lines[i].text) || starts_with(lines[i].text, "diff --git ") || is_file_pair(lines, i)) {
      return i;
    }
  }
  return lines.size();
}

// `hg import` and `git apply` apply every diff they find in what they are
// given, including one inside a commit message. autoland gives them only the
// diff part, and refuses a patch whose other part holds what either would
// read as a file's diff: hg takes any line starting "---" followed by one
// starting "+++" (no space needed), and a context diff's "***", "---";
// git needs "--- ", "+++ ", "@@ -", which hg's rule covers.
// A message line "---" alone, or "--- text" without a "+++" line after it, is
// no diff to either and lands as written.
Status check_no_diff_before(const std::vector<Line>& lines, size_t from, size_t to) {
  auto text = [&](size_t k) { return k < lines.size() ? lines[k].text : std::string_view(); };
  for (size_t k = from; k < to; ++k) {
    std::string_view t = lines[k].text;
    bool unified = starts_with(t, "---") && starts_with(text(k + 1), "+++");
    // hg takes "***" then "---" for a context diff's header even when no
    // "***************" follows (and then skips the unified diff after it).
    bool context = starts_with(t, "***") && starts_with(text(k + 1), "---");
    if (unified || context || starts_with(t, "diff --git ")) {
      return invalid_input("'" + util::printable(t, 40) + "'" + at_line(lines[k].number) +
                           " in the commit message reads as the start of a diff: hg and git would apply it, but it is "
                           "not part of the change autoland checks; move it into the diff or indent it");
    }
  }
  return {};
}

// Words that hg or git act on at the start of a line in a git diff (a file's
// extended header, a binary hunk). Outside the place they belong they are
// refused rather than skipped, so that no tool reads more than autoland did.
bool is_git_keyword_line(std::string_view t) {
  for (std::string_view k : {"GIT binary patch", "literal ", "delta ", "rename from ", "rename to ", "copy from ",
                             "copy to ", "deleted file", "new file mode ", "new mode ", "old mode ",
                             "similarity index ", "dissimilarity index ", "rename old ", "rename new "}) {
    if (starts_with(t, k)) return true;
  }
  return false;
}

// "diff -r 1a2b -r 3c4d dir/file.c" -> "dir/file.c" (hg's non-git diff line).
std::string name_after_diff_options(std::string_view t) {
  t = t.substr(5);
  while (true) {
    t = util::trim(t);
    if (!starts_with(t, "-")) break;
    bool takes_value = starts_with(t, "-r ") || starts_with(t, "-r\t");
    size_t space = t.find_first_of(" \t");
    if (space == std::string_view::npos) return "";
    t = util::trim(t.substr(space));
    if (takes_value) {
      space = t.find_first_of(" \t");
      if (space == std::string_view::npos) return "";
      t = t.substr(space);
    }
  }
  return std::string(t);
}

constexpr std::string_view kSymlinkMode = "120000";

struct FileEntry {
  FileChange change;
  bool git = false;
  size_t line = 0;         // where the entry starts
  std::string header_old;  // diff --git names, a/ b/ stripped
  std::string header_new;
  std::optional<std::string> copy_from, copy_to;  // rename/copy from/to
  bool have_names = false;                        // saw ---/+++
  std::string minus, plus;                        // their names, "" for /dev/null
  bool minus_null = false, plus_null = false;
  // A git header's extended lines follow its "diff --git" line without a
  // break: git stops reading them at the first other line (hg reads on).
  bool header_open = false;
};

class DiffParser {
 public:
  DiffParser(const std::vector<Line>& lines, size_t start, bool for_hg) : lines_(lines), i_(start), for_hg_(for_hg) {}

  Result<std::vector<FileChange>> parse() {
    while (i_ < lines_.size()) {
      const Line& line = lines_[i_];
      std::string_view t = line.text;
      AUTOLAND_TRY(check_nul(line));
      if (starts_with(t, "diff --git ")) {
        AUTOLAND_TRY(start_entry(line, true));
        current_->header_open = true;
        AUTOLAND_TRY(check_quoting(line));
        std::string old_path, new_path;
        if (!split_git_paths(t.substr(11), &old_path, &new_path)) {
          return invalid_input("cannot read the file names in this 'diff --git' line" + at_line(line.number));
        }
        current_->header_old = old_path;
        current_->header_new = new_path;
        ++i_;
      } else if (starts_with(t, "diff -") || starts_with(t, "diff\t-")) {
        AUTOLAND_TRY(start_entry(line, false));
        current_->header_new = name_after_diff_options(t);
        ++i_;
      } else if (is_file_pair(lines_, i_)) {
        if (!current_ || current_->have_names || current_->change.hunks > 0) {
          AUTOLAND_TRY(start_entry(line, false));
        }
        AUTOLAND_TRY(take_names(line, lines_[i_ + 1]));
        i_ += 2;
      } else if (starts_with(t, "@@ ")) {
        if (!current_ || !current_->have_names) {
          return invalid_input("hunk without '---' and '+++' lines naming its file" + at_line(line.number));
        }
        AUTOLAND_TRY(parse_hunk());
      } else if (current_ && current_->git && current_->header_open && current_->change.hunks == 0 &&
                 !current_->have_names && git_extended_header(line)) {
        // consumed
      } else if (current_ && (starts_with(t, "Binary files ") || starts_with(t, "Binary file "))) {
        // git's "... differ", hg's "... has changed": the new content is not
        // in the patch. hg import drops such a change, git apply refuses it.
        return invalid_input("the patch does not carry the new content of the binary file" + where() +
                             "; make it with `hg export --git` or `git format-patch --binary`" + at_line(line.number));
      } else if (starts_with(t, "***")) {
        // hg takes any "***" line before a "---" line for a context diff's
        // header, and then skips the unified diff that follows.
        return invalid_input("'" + util::printable(t, 40) + "' reads as a context diff's header; context diffs are " +
                             "not supported, attach a unified diff (diff -u, hg diff, git diff)" +
                             at_line(line.number));
      } else if (t == "-- " || t.empty()) {  // NOLINT(bugprone-branch-clone): before the stray-line test on '-'
        if (current_) current_->header_open = false;
        ++i_;  // a mail signature's separator, or a blank line between files
      } else if (t[0] == '+' || t[0] == '-' || t[0] == ' ' || t[0] == '@' || t[0] == '\\') {
        return invalid_input("stray diff line '" + util::printable(t, 40) + "' outside any hunk" + where() +
                             at_line(line.number));
      } else if (is_git_keyword_line(t)) {
        return invalid_input("'" + util::printable(t, 40) + "' stands outside the header of a 'diff --git' file" +
                             where() + " (hg and git read it differently)" + at_line(line.number));
      } else {
        if (current_) current_->header_open = false;
        ++i_;  // noise between files: "Index:", "=====", a signature's version line, ...
      }
    }
    AUTOLAND_TRY(finish_entry());
    AUTOLAND_TRY(header_error_);
    return std::move(files_);
  }

  // Every name the patch mentions, for the safety check: Mercurial and git may
  // read a different one of them than we report.
  const std::vector<std::string>& mentioned() const { return mentioned_; }

 private:
  Status check_quoting(const Line& line) {
    if (!for_hg_ || line.text.find('"') == std::string_view::npos) return {};
    return invalid_input(
        "git quoted a file name here (it does so for non-ASCII and special characters), and "
        "Mercurial would read the quotes and escapes as part of the name; make the patch with `git -c "
        "core.quotepath=false format-patch`, or with hg export" +
        at_line(line.number));
  }

  Status check_nul(const Line& line) {
    if (line.text.find('\0') != std::string_view::npos) {
      return invalid_input("NUL byte outside a binary section" + at_line(line.number));
    }
    return {};
  }

  std::string where() const {
    if (!current_) return "";
    std::string p = !current_->change.path.empty() ? current_->change.path
                    : !current_->plus.empty()      ? current_->plus
                    : !current_->minus.empty()     ? current_->minus
                                                   : current_->header_new;
    return p.empty() ? "" : " in " + util::printable(p);
  }

  Status start_entry(const Line& line, bool git) {
    AUTOLAND_TRY(finish_entry());
    current_ = FileEntry{};
    current_->git = git;
    current_->line = line.number;
    return {};
  }

  bool git_extended_header(const Line& line) {
    std::string_view t = line.text;
    FileChange& c = current_->change;
    auto value = [&](std::string_view key) { return std::string(util::trim(t.substr(key.size()))); };
    // "rename from NAME" and the like: the whole rest of the line, tabs
    // included, as git and hg read it (only "---"/"+++" end a name at a tab).
    auto name = [&](std::string_view key) {
      std::string_view rest = t.substr(key.size());
      return rest.empty() || rest[0] != '"' ? std::string(rest) : unquote_c(rest, nullptr).value_or("");
    };
    // Only modes both tools read alike: a file, an executable, a link (a
    // gitlink, 160000, would be a submodule).
    auto mode = [&](std::string_view key) {
      std::string m = value(key);
      if (m != "100644" && m != "100755" && m != kSymlinkMode && header_error_.ok()) {
        header_error_ = invalid_input("'" + util::printable(t, 40) +
                                      "' gives a mode autoland does not land (a file "
                                      "is 100644 or 100755, a link 120000)" +
                                      at_line(line.number));
      }
      return m;
    };
    if (starts_with(t, "new file mode ")) {
      c.kind = FileChangeKind::add;
      c.new_mode = mode("new file mode ");
      c.symlink = c.new_mode == kSymlinkMode;
    } else if (starts_with(t, "deleted file mode ")) {
      c.kind = FileChangeKind::remove;
      c.old_mode = mode("deleted file mode ");
    } else if (starts_with(t, "old mode ")) {
      c.old_mode = mode("old mode ");
    } else if (starts_with(t, "new mode ")) {
      c.new_mode = mode("new mode ");
      c.symlink = c.new_mode == kSymlinkMode;
    } else if (starts_with(t, "index ")) {
      // "index 1a2b..3c4d 120000": a link whose target changes, mode kept.
      std::string_view rest = util::trim(t);
      c.symlink |= rest.size() > 7 && rest.substr(rest.size() - 7) == " 120000";
    } else if (starts_with(t, "rename from ") || starts_with(t, "copy from ") || starts_with(t, "rename to ") ||
               starts_with(t, "copy to ")) {
      if (Status quoted = check_quoting(line); !quoted.ok()) header_error_ = quoted;
      // hg keeps the first of "copy" and "rename" and the last name; git
      // the last of each: one of each line, of one kind, or refused.
      bool rename = starts_with(t, "rename");
      bool from = starts_with(t, "rename from ") || starts_with(t, "copy from ");
      FileChangeKind kind = rename ? FileChangeKind::rename : FileChangeKind::copy;
      std::optional<std::string>& slot = from ? current_->copy_from : current_->copy_to;
      bool mixed = (current_->copy_from || current_->copy_to) && c.kind != kind;
      if (mixed || slot) {
        header_error_ = invalid_input("'" + util::printable(t, 40) + "' " +
                                      (mixed ? "mixes a copy and a rename" : "repeats a line") +
                                      " in one file's header" + at_line(line.number));
      }
      c.kind = kind;
      slot = name(rename ? (from ? "rename from " : "rename to ") : (from ? "copy from " : "copy to "));
    } else if (starts_with(t, "GIT binary patch")) {
      c.binary = true;
      ++i_;
      if (Status read = skip_binary_blocks(); !read.ok() && header_error_.ok()) header_error_ = read;
      return true;
    } else if (starts_with(t, "similarity index ") || starts_with(t, "dissimilarity index ")) {
      // Informational.
    } else {
      return false;
    }
    ++i_;
    return true;
  }

  // "literal N" / "delta N" followed by base85 lines up to a blank line; git
  // writes a forward and a reverse block. NUL bytes are tolerated here only.
  // Each data line is a length character (A-Z: 1-26 bytes, a-z: 27-52)
  // and five base85 characters per four bytes; hg reads by those lengths,
  // so a line of another shape is refused rather than read past.
  Status skip_binary_blocks() {
    while (i_ < lines_.size()) {
      std::string_view t = lines_[i_].text;
      if (!starts_with(t, "literal ") && !starts_with(t, "delta ")) return {};
      ++i_;
      for (; i_ < lines_.size() && !lines_[i_].text.empty(); ++i_) {
        std::string_view data = lines_[i_].text;
        char c = data[0];
        size_t bytes = c >= 'A' && c <= 'Z' ? c - 'A' + 1 : c >= 'a' && c <= 'z' ? c - 'a' + 27 : 0;
        if (bytes == 0 || data.size() != 1 + (bytes + 3) / 4 * 5) {
          return invalid_input("malformed binary data" + where() + at_line(lines_[i_].number));
        }
      }
      if (i_ >= lines_.size()) return invalid_input("binary data" + where() + " does not end with a blank line");
      ++i_;  // the blank line
    }
    return {};
  }

  Status take_names(const Line& minus, const Line& plus) {
    FileEntry& e = *current_;
    AUTOLAND_TRY(check_nul(plus));  // the loop checked `minus`; `plus` is read ahead
    AUTOLAND_TRY(check_quoting(minus));
    AUTOLAND_TRY(check_quoting(plus));
    std::string_view m = minus.text.substr(4);
    std::string_view p = plus.text.substr(4);
    if (!e.git) {
      // Without a tab after it, hg ends a name at its first space and git
      // at the end of the line (diff, hg and git all write the tab).
      for (const Line* line : {&minus, &plus}) {
        std::string_view rest = line->text.substr(4);
        if (!rest.empty() && rest[0] == '"') {
          return invalid_input("the file name in '" + util::printable(line->text, 60) +
                               "' is quoted: git unquotes it and hg does not; name it without quotes" +
                               at_line(line->number));
        }
        if (rest.find('\t') == std::string_view::npos && rest.find(' ') != std::string_view::npos) {
          return invalid_input("the file name in '" + util::printable(line->text, 60) +
                               "' holds a space but no tab follows it, so hg and git would read different names" +
                               at_line(line->number));
        }
      }
    }
    // git reads a git diff's names up to a tab; Mercurial, here as anywhere,
    // up to a tab or else the first space.
    bool git_rule = e.git && !for_hg_;
    std::optional<std::string> old_raw = git_rule ? read_git_name(m) : std::optional(read_plain_diff_name(m));
    std::optional<std::string> new_raw = git_rule ? read_git_name(p) : std::optional(read_plain_diff_name(p));
    if (!old_raw || !new_raw) return invalid_input("cannot read the file names" + at_line(minus.number));
    e.have_names = true;
    e.minus_null = *old_raw == "/dev/null";
    e.plus_null = *new_raw == "/dev/null";
    if (e.minus_null && e.plus_null) return invalid_input("both sides are /dev/null" + at_line(minus.number));
    if (e.git) {
      // git takes /dev/null for "no file" only with the header's mode line
      // ("new file mode", "deleted file mode"); without it, a file of that
      // name, where hg sees a new or deleted file.
      if ((e.minus_null && e.change.kind != FileChangeKind::add) ||
          (e.plus_null && e.change.kind != FileChangeKind::remove)) {
        return invalid_input("'" + util::printable(e.minus_null ? minus.text : plus.text, 60) +
                             "' in a 'diff --git' file " + "without its '" +
                             (e.minus_null ? "new file mode" : "deleted file mode") +
                             "' line: git and hg read it differently" + at_line(minus.number));
      }
      e.minus = e.minus_null ? "" : strip_prefix(*old_raw, 'a');
      e.plus = e.plus_null ? "" : strip_prefix(*new_raw, 'b');
      return {};
    }
    // hg strips exactly one leading folder (-p1) and refuses a name without
    // one; git guesses its strip level once, from the first file, and keeps
    // it for all: names without a folder would be read differently.
    for (const std::string* raw : {&*old_raw, &*new_raw}) {
      if (*raw != "/dev/null" && raw->find('/') == std::string::npos) {
        return invalid_input("'" + util::printable(*raw) + "' has no leading folder: name the files a/PATH and b/PATH" +
                             at_line(minus.number));
      }
    }
    // hg and git write a/ and b/; otherwise strip one leading component the
    // way `hg import` (-p1) does when both names have one.
    bool both_nested = (e.minus_null || old_raw->find('/') != std::string::npos) &&
                       (e.plus_null || new_raw->find('/') != std::string::npos);
    auto strip = [&](const std::string& path, char side) {
      std::string stripped = strip_prefix(path, side);
      if (stripped != path) return stripped;
      size_t slash = path.find('/');
      if (both_nested && slash != std::string::npos && slash > 0) return path.substr(slash + 1);
      return path;
    };
    e.minus = e.minus_null ? "" : strip(*old_raw, 'a');
    e.plus = e.plus_null ? "" : strip(*new_raw, 'b');
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
      ok = space != std::string_view::npos && !ranges.empty() && ranges[0] == '-' && space + 1 < ranges.size() &&
           ranges[space + 1] == '+' && parse_range(ranges.substr(1, space - 1), &old_start, &old_count) &&
           parse_range(ranges.substr(space + 2), &new_start, &new_count);
    }
    if (!ok) {
      return invalid_input("malformed hunk header '" + util::printable(t) + "'" + where() + at_line(header.number));
    }
    FileChange& c = current_->change;
    ++c.hunks;
    int hunk_number = c.hunks;
    ++i_;
    while (old_count > 0 || new_count > 0) {
      if (i_ >= lines_.size()) {
        return invalid_input("hunk " + std::to_string(hunk_number) + where() + " is cut short at the end of the patch" +
                             " (" + std::to_string(old_count + new_count) + " lines missing)");
      }
      const Line& line = lines_[i_];
      AUTOLAND_TRY(check_nul(line));
      char ch = line.text.empty() ? ' ' : line.text[0];
      if (ch == ' ') {
        if (old_count == 0 || new_count == 0) return hunk_overrun(hunk_number, line);
        --old_count;
        --new_count;
      } else if (ch == '-') {
        if (old_count == 0) return hunk_overrun(hunk_number, line);
        --old_count;
        ++c.lines_removed;
      } else if (ch == '+') {
        if (new_count == 0) return hunk_overrun(hunk_number, line);
        --new_count;
        ++c.lines_added;
        if (c.symlink) {
          if (c.lines_added > 1) {
            return invalid_input("the symbolic link" + where() + " gets more than one line as its target" +
                                 at_line(line.number));
          }
          c.link_target = std::string(line.text.substr(1));
        }
      } else if (ch == '\\') {
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

  // Settles the entry's names and kind; refuses names that disagree.
  Status finish_entry() {
    if (!current_) return {};
    FileEntry e = std::move(*current_);
    current_.reset();
    FileChange& c = e.change;
    std::string at = at_line(e.line);
    // Names with nothing after them: hg and git write nothing, so autoland
    // must not list (and check, and report) a file for them either.
    if (e.have_names && c.hunks == 0 && !c.binary) {
      return invalid_input("'---' and '+++' name " + util::printable(!e.plus.empty() ? e.plus : e.minus) +
                           " but no hunk follows" + at);
    }
    if (e.git) {
      std::string old_name = e.copy_from.value_or(e.header_old);
      std::string new_name = e.copy_to.value_or(e.header_new);
      for (const std::string& n : {e.header_old, e.header_new, old_name, new_name, e.minus, e.plus}) {
        if (!n.empty()) mentioned_.push_back(n);
      }
      bool renamed = c.kind == FileChangeKind::rename || c.kind == FileChangeKind::copy;
      if (renamed && (!e.copy_from || !e.copy_to)) {
        return invalid_input("a rename or copy needs both its 'from' and 'to' lines" + at);
      }
      if (!renamed && e.header_old != e.header_new) {
        return invalid_input("the 'diff --git' line names two files ('" + util::printable(e.header_old) + "', '" +
                             util::printable(e.header_new) + "') without a rename or copy" + at);
      }
      if (e.have_names) {
        if (e.minus_null) {
          c.kind = FileChangeKind::add;
        } else if (e.minus != old_name) {
          return invalid_input("'---' names '" + util::printable(e.minus) + "' but the diff header names '" +
                               util::printable(old_name) + "'" + at);
        }
        if (e.plus_null) {
          c.kind = FileChangeKind::remove;
        } else if (e.plus != new_name) {
          return invalid_input("'+++' names '" + util::printable(e.plus) + "' but the diff header names '" +
                               util::printable(new_name) + "'" + at);
        }
      }
      c.path = c.kind == FileChangeKind::remove ? old_name : new_name;
      if (renamed) c.old_path = old_name;
      // hg lists such an entry as changed, git skips it.
      if (c.kind == FileChangeKind::modify && c.hunks == 0 && !c.binary && c.new_mode.empty()) {
        return invalid_input("the 'diff --git' entry for '" + util::printable(c.path) + "' changes nothing" + at);
      }
    } else {
      if (!e.have_names) {
        // hg's "Binary file x has changed": no content, named on the diff line.
        if (!c.binary || e.header_new.empty()) {
          return invalid_input("a file's diff has no '---' and '+++' lines naming it" + at);
        }
        mentioned_.push_back(e.header_new);
        c.path = e.header_new;
        files_.push_back(std::move(c));
        return {};
      }
      for (const std::string& n : {e.minus, e.plus}) {
        if (!n.empty()) mentioned_.push_back(n);
      }
      if (e.minus_null) {
        c.kind = FileChangeKind::add;
        c.path = e.plus;
      } else if (e.plus_null) {
        c.kind = FileChangeKind::remove;
        c.path = e.minus;
      } else if (e.minus != e.plus) {
        // hg picks whichever of the two exists, git guesses from their
        // shapes: the file written would not be the one reported.
        return invalid_input("'---' names '" + util::printable(e.minus) + "' and '+++' names '" +
                             util::printable(e.plus) +
                             "': a plain diff must name the same file on both (as a/PATH and b/PATH)" + at);
      } else {
        c.path = e.plus;
      }
    }
    if (c.path.empty()) return invalid_input("a file in the patch has an empty name" + at);
    files_.push_back(std::move(c));
    return {};
  }

  const std::vector<Line>& lines_;
  size_t i_;
  bool for_hg_;
  Status header_error_;  // a header line read differently by hg and git
  std::optional<FileEntry> current_;
  std::vector<FileChange> files_;
  std::vector<std::string> mentioned_;
};

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
  // The message runs to the first line of a file's diff (hg export writes it
  // verbatim; nothing in it can start a diff, see check_no_diff_before).
  size_t diff = first_diff_line(lines, i);
  std::vector<std::string_view> message;
  for (size_t k = i; k < diff; ++k) message.push_back(lines[k].text);
  patch->message = join_message(message);
  *pos = diff;
  return {};
}

// `"Name S. Surname" <a@b>` -> `Name S. Surname <a@b>`: the display name as
// git wrote it (RFC 5322 quoting and RFC 2047 encoded words undone, one
// space before the address), which is what `git am` commits.
std::string mail_author(std::string_view raw) {
  std::string decoded = decode_mime_words(raw);
  std::string_view s = util::trim(decoded);
  size_t lt = s.rfind('<');
  if (lt == std::string_view::npos || s.back() != '>') return std::string(s);
  std::string_view name = util::trim(s.substr(0, lt));
  std::string_view address = s.substr(lt);
  std::string plain;
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
    for (size_t k = 1; k + 1 < name.size(); ++k) {
      if (name[k] == '\\' && k + 2 < name.size()) ++k;
      plain += name[k];
    }
  } else {
    plain = std::string(name);
  }
  return plain.empty() ? std::string(address) : plain + " " + std::string(address);
}

// A mail body `git am` and `hg import` would decode (quoted-printable, base64)
// or split (multipart) is not what autoland reads: refuse it.
Status check_mail_encoding(const std::string& transfer_encoding, const std::string& content_type) {
  std::string cte = util::to_lower(util::trim(transfer_encoding));
  if (!cte.empty() && cte != "7bit" && cte != "8bit" && cte != "binary") {
    return invalid_input("the mail's body is " + util::printable(cte, 40) +
                         " encoded; attach the output of git format-patch as it is");
  }
  std::string type = util::to_lower(util::trim(content_type));
  if (!type.empty() && type.rfind("text/plain", 0) != 0) {
    return invalid_input("the mail is " + util::printable(type, 40) +
                         "; attach the output of git format-patch (text/plain) as it is");
  }
  return {};
}

Status parse_mail_header(const std::vector<Line>& lines, size_t* pos, Patch* patch) {
  size_t i = *pos;
  if (starts_with(lines[i].text, "From ")) ++i;  // mbox separator
  std::string subject, transfer_encoding, content_type;
  std::string* last = nullptr;
  for (; i < lines.size() && !lines[i].text.empty(); ++i) {
    std::string_view t = lines[i].text;
    if ((t[0] == ' ' || t[0] == '\t') && last) {  // folded header line
      *last += ' ';
      last->append(util::trim(t));
      continue;
    }
    last = nullptr;
    auto take = [&](std::string_view name, std::string* into) {
      if (!util::istarts_with(t, name)) return false;
      *into = std::string(util::trim(t.substr(name.size())));
      last = into;
      return true;
    };
    (void)(take("From:", &patch->author) || take("Date:", &patch->date) || take("Subject:", &subject) ||
           take("Content-Transfer-Encoding:", &transfer_encoding) || take("Content-Type:", &content_type));
  }
  AUTOLAND_TRY(check_mail_encoding(transfer_encoding, content_type));
  patch->author = mail_author(patch->author);
  std::string summary(strip_patch_prefix(decode_mime_words(subject)));
  // The body runs to the "---" that git writes before the diffstat: the last
  // such line before the diff, so that a "---" line of the message stays in it.
  size_t diff = first_diff_line(lines, i);
  size_t body_end = diff;
  for (size_t k = i; k < diff; ++k) {
    if (util::trim(lines[k].text) == "---" && starts_with(lines[k].text, "---")) body_end = k;
  }
  std::vector<std::string_view> body;
  for (size_t k = i; k < body_end; ++k) body.push_back(lines[k].text);
  std::string rest = join_message(body);
  patch->message = rest.empty() ? summary : summary + "\n\n" + rest;
  *pos = diff;
  return {};
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

namespace {

// Code points that HFS+ ignores in names, so ".g\u200Cit" is ".git" there.
constexpr std::string_view kIgnorable[] = {
    "\u200B", "\u200C", "\u200D", "\u200E", "\u200F", "\u202A", "\u202B", "\u202C", "\u202D",
    "\u202E", "\u206A", "\u206B", "\u206C", "\u206D", "\u206E", "\u206F", "\uFEFF",
};

// A path component as case-insensitive, HFS+ and Windows filesystems see it:
// lower case, ignorable code points dropped, trailing dots and spaces dropped.
std::string fold_component(std::string_view part) {
  std::string out;
  for (size_t i = 0; i < part.size();) {
    bool skipped = false;
    // Every ignorable code point is encoded starting with 0xE2 or 0xEF.
    unsigned char lead = static_cast<unsigned char>(part[i]);
    if (lead != 0xE2 && lead != 0xEF) {
      out += part[i++];
      continue;
    }
    for (std::string_view ig : kIgnorable) {
      if (part.substr(i, ig.size()) == ig) {
        i += ig.size();
        skipped = true;
        break;
      }
    }
    if (!skipped) out += part[i++];
  }
  out = util::to_lower(out);
  while (!out.empty() && (out.back() == '.' || out.back() == ' ')) out.pop_back();
  return out;
}

// Windows 8.3 short names of ".git" and ".hg": "GIT~1", "HG~1", "HG8B6C~2".
bool is_short_name_alias(std::string_view folded) {
  size_t tilde = folded.find('~');
  if (tilde == std::string_view::npos || tilde + 1 >= folded.size()) return false;
  std::string_view base = folded.substr(0, tilde);
  if (base != "git" && base != "hg" && base != "hg8b6c") return false;
  for (char c : folded.substr(tilde + 1)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::string fold_path(std::string_view path) {
  std::string out;
  bool first = true;
  for (std::string_view part : util::split(path, '/')) {
    if (!first) out += '/';
    first = false;
    out += fold_component(part);
  }
  return out;
}

bool is_inside(std::string_view path, std::string_view folder) {
  std::string p = fold_path(path), f = fold_path(folder);
  return p.size() > f.size() && p.compare(0, f.size(), f) == 0 && p[f.size()] == '/';
}

Status check_patch_path(std::string_view path) {
  std::string shown = "'" + util::printable(path) + "'";
  if (path.empty()) return invalid_input("a file name is empty");
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7f) return invalid_input("path " + shown + " contains a control character");
  }
  // hg drops a name's trailing spaces where git keeps them: the two would
  // write different files.
  if (path.back() == ' ') {
    return invalid_input("path " + shown + " ends in a space, which Mercurial and git read differently");
  }
  if (path[0] == '/' || path[0] == '\\' || (path.size() > 1 && path[1] == ':')) {
    return invalid_input("absolute path " + shown + " (paths must be relative to the repository root)");
  }
  std::string normalized(path);
  for (char& c : normalized) {
    if (c == '\\') c = '/';
  }
  auto parts = util::split(normalized, '/');
  for (std::string_view part : parts) {
    if (part.empty()) return invalid_input("path " + shown + " has an empty component ('//' or a trailing '/')");
    if (part == "..") return invalid_input("path " + shown + " climbs out of the repository with '..'");
    std::string folded = fold_component(part);
    if (folded == ".hg" || folded == ".git" || is_short_name_alias(folded)) {
      return invalid_input("path " + shown + " touches version-control metadata (.hg/ or .git/)");
    }
  }
  std::string last = fold_component(parts.back());
  if (last == ".hgrc") {
    return invalid_input("path " + shown + " edits an .hgrc (repository configuration is off limits)");
  }
  if (last == ".hgsub" || last == ".hgsubstate" || last == ".gitmodules") {
    return invalid_input("path " + shown + " edits subrepository configuration, which autoland does not land");
  }
  return {};
}

namespace {

// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::optional<int64_t> parse_int(std::string_view s) {
  bool negative = !s.empty() && s[0] == '-';
  if (negative || (!s.empty() && s[0] == '+')) s.remove_prefix(1);
  auto v = util::parse_uint(s);
  if (!v || *v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return negative ? -static_cast<int64_t>(*v) : static_cast<int64_t>(*v);
}

// "Tue, 14 Nov 2023 22:13:20 +0100" (the weekday and the seconds optional).
std::optional<PatchDate> parse_rfc2822_date(std::string_view text) {
  std::vector<std::string_view> f;
  for (std::string_view part : util::split(text, ' ')) {
    if (!part.empty()) f.push_back(part);
  }
  if (!f.empty() && f[0].size() >= 3 && f[0].back() == ',') f.erase(f.begin());
  if (f.size() != 5) return std::nullopt;
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  unsigned month = 0;
  for (unsigned m = 0; m < 12; ++m) {
    if (util::iequals(f[1], kMonths[m])) month = m + 1;
  }
  auto day = util::parse_uint(f[0]);
  auto year = util::parse_uint(f[2]);
  auto clock = util::split(f[3], ':');
  if (!month || !day || *day < 1 || *day > 31 || !year || *year < 1970 || *year > 9999 || clock.size() < 2 ||
      clock.size() > 3) {
    return std::nullopt;
  }
  auto hour = util::parse_uint(clock[0]);
  auto minute = util::parse_uint(clock[1]);
  auto second = clock.size() == 3 ? util::parse_uint(clock[2]) : std::optional<uint64_t>(0);
  if (!hour || *hour > 23 || !minute || *minute > 59 || !second || *second > 60) return std::nullopt;
  int32_t offset = 0;
  std::string_view zone = f[4];
  if (zone.size() == 5 && (zone[0] == '+' || zone[0] == '-')) {
    auto hhmm = util::parse_uint(zone.substr(1));
    if (!hhmm || *hhmm % 100 > 59) return std::nullopt;
    offset = static_cast<int32_t>(*hhmm / 100 * 3600 + *hhmm % 100 * 60) * (zone[0] == '-' ? -1 : 1);
  } else if (!util::iequals(zone, "GMT") && !util::iequals(zone, "UT") && !util::iequals(zone, "UTC")) {
    return std::nullopt;
  }
  int64_t local = days_from_civil(static_cast<int64_t>(*year), month, static_cast<unsigned>(*day)) * 86400 +
                  static_cast<int64_t>(*hour * 3600 + *minute * 60 + *second);
  return PatchDate{local - offset, offset};
}

// Every link the patch makes must point somewhere safe, and no file of the
// patch may be written through one of them.
Status check_links_in(const std::vector<FileChange>& files) {
  std::vector<std::string> links;
  for (const FileChange& f : files) {
    if (!f.symlink || f.kind == FileChangeKind::remove) continue;
    if (f.lines_added > 0) {
      AUTOLAND_TRY(check_symlink_target(f.path, f.link_target));
    } else if (f.new_mode == kSymlinkMode) {
      return invalid_input("the symbolic link '" + util::printable(f.path) +
                           "' gets its target from the tree, not from the patch; put the target in the patch");
    }
    links.push_back(f.path);
  }
  for (const FileChange& f : files) {
    for (const std::string* path : {&f.path, &f.old_path}) {
      for (const std::string& link : links) {
        if (is_inside(*path, link)) {
          return invalid_input("'" + util::printable(*path) + "' is written through the symbolic link '" +
                               util::printable(link) + "' the patch makes");
        }
      }
    }
  }
  return {};
}

}  // namespace

std::optional<PatchDate> parse_patch_date(std::string_view text) {
  text = util::trim(text);
  auto fields = util::split(text, ' ');
  if (fields.size() == 2) {
    auto seconds = parse_int(fields[0]);
    auto west = parse_int(fields[1]);
    // hg keeps offsets within a day and a half; anything else is not a date.
    if (seconds && west && *west >= -50400 && *west <= 43200) {
      return PatchDate{*seconds, static_cast<int32_t>(-*west)};
    }
    return std::nullopt;
  }
  return parse_rfc2822_date(text);
}

std::string hg_date(const PatchDate& d) { return std::to_string(d.seconds) + " " + std::to_string(-d.offset_east); }

std::string git_date(const PatchDate& d) {
  int64_t off = d.offset_east < 0 ? -static_cast<int64_t>(d.offset_east) : d.offset_east;
  auto two = [](int64_t v) { return std::string(v < 10 ? "0" : "") + std::to_string(v); };
  return "@" + std::to_string(d.seconds) + " " + (d.offset_east < 0 ? "-" : "+") + two(off / 3600 % 100) +
         two(off % 3600 / 60);
}

Status check_symlink_target(std::string_view link_path, std::string_view target) {
  std::string shown = "the symbolic link '" + util::printable(link_path) + "' -> '" + util::printable(target) + "'";
  if (target.empty()) return invalid_input(shown + " has no target");
  for (unsigned char c : target) {
    if (c < 0x20 || c == 0x7f) return invalid_input(shown + ": its target contains a control character");
  }
  if (target[0] == '/' || target[0] == '\\' || target[0] == '~' || (target.size() > 1 && target[1] == ':')) {
    return invalid_input(shown + " points to an absolute path, outside the repository");
  }
  std::string normalized(target);
  for (char& c : normalized) {
    if (c == '\\') c = '/';
  }
  // Where the link stands: its folder's depth is how far up it may climb.
  std::vector<std::string_view> where = util::split(link_path, '/');
  where.pop_back();
  size_t depth = where.size();
  std::vector<std::string> resolved(where.begin(), where.end());
  bool going_down = false;
  for (std::string_view part : util::split(normalized, '/')) {
    if (part.empty()) return invalid_input(shown + " has an empty component ('//' or a trailing '/')");
    if (part == ".") continue;
    if (part == "..") {
      if (going_down) {
        return invalid_input(shown + " climbs with '..' after going down; write the target without the detour");
      }
      if (depth == 0) return invalid_input(shown + " points outside the repository");
      --depth;
      resolved.pop_back();
      continue;
    }
    going_down = true;
    resolved.emplace_back(part);
  }
  if (resolved.empty()) return {};  // the repository's root; nothing can be written through it (see check_committed)
  std::string inside = util::join(resolved, "/");
  Status safe = check_patch_path(inside);
  if (!safe.ok()) return invalid_input(shown + " points at '" + util::printable(inside) + "': " + safe.error().message);
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
    if (t.empty() || (t[0] != '#' && t[0] != 'F')) continue;
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
    AUTOLAND_TRY(parse_mail_header(lines, &pos, &patch));
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
  AUTOLAND_TRY(check_no_diff_before(lines, 0, pos));
  if (!patch.date.empty()) {
    patch.timestamp = parse_patch_date(patch.date);
    if (!patch.timestamp) {
      return invalid_input("cannot read the patch's date '" + util::printable(patch.date, 60) +
                           "' (expected '1700000000 0' or an RFC 2822 date)");
    }
  }
  if (pos < lines.size()) patch.diff = std::string(text.substr(lines[pos].text.data() - text.data()));

  DiffParser diff(lines, pos, limits.for_hg);
  AUTOLAND_TRY_ASSIGN(auto files, diff.parse());
  patch.files = std::move(files);
  if (patch.files.empty()) {
    return invalid_input(patch.format == PatchFormat::plain_diff
                             ? "no diff found: expected 'diff', or '---' and '+++' lines"
                             : "the patch changes no file");
  }
  for (const std::string& path : diff.mentioned()) AUTOLAND_TRY(check_patch_path(path));
  AUTOLAND_TRY(check_links_in(patch.files));
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

std::string nick_of(std::string_view real_name) {
  for (std::string_view marker : {std::string_view("[:"), std::string_view("(:")}) {
    size_t at = real_name.find(marker);
    if (at == std::string_view::npos) continue;
    std::string_view rest = real_name.substr(at + 2);
    size_t end = rest.find_first_of(marker[0] == '[' ? "] ,;" : ") ,;");
    std::string nick(util::trim(rest.substr(0, end)));
    if (!nick.empty()) return nick;
  }
  return "";
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

namespace {

// What git format-patch writes after its "-- " line: a version, then the end.
bool is_version_signature(std::string_view rest) {
  while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r')) rest.remove_suffix(1);
  if (rest.empty() || rest[0] < '0' || rest[0] > '9') return false;
  return rest.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-+ ") ==
         std::string_view::npos;
}

// "@@ -3 +3,2 @@ int main()" -> "@@ -3,1 +3,2 @@": git leaves out a count
// of 1 and adds the function's name, hg does neither.
std::string canonical_hunk_header(std::string_view line) {
  size_t end = line.find(" @@", 3);
  if (end == std::string_view::npos) return std::string(line);
  std::string out = "@@";
  for (std::string_view range : util::split(line.substr(3, end - 3), ' ')) {
    if (range.empty()) continue;
    out += ' ';
    out.append(range);
    if (range.find(',') == std::string_view::npos) out += ",1";
  }
  return out + " @@";
}

}  // namespace

std::string normalized_diff(std::string_view text) {
  std::string out;
  bool in_diff = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!in_diff && (line.rfind("diff ", 0) == 0 || line.rfind("--- ", 0) == 0)) in_diff = true;
    if (!in_diff || line.rfind("index ", 0) == 0) continue;
    // format-patch ends with "-- \n2.39.5\n": that signature is not part of
    // the change ("-- " elsewhere is a removed line "- ").
    if (line == "-- " && is_version_signature(text.substr(pos))) break;
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.rfind("@@ ", 0) == 0) {
      out += canonical_hunk_header(line);
    } else {
      out.append(line);
    }
    out += '\n';
  }
  return out;
}

}  // namespace autoland
