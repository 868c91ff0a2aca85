#include "adapters/vcs/hg/type_change.h"

#include <cstddef>
#include <optional>
#include <vector>

namespace autoland {
namespace {

// Lines with their line ends, so that the bytes of the rest stay as they are.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    end = end == std::string_view::npos ? text.size() : end + 1;
    lines.push_back(text.substr(at, end - at));
    at = end;
  }
  return lines;
}

std::string_view bare(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

bool starts(std::string_view line, std::string_view prefix) { return line.substr(0, prefix.size()) == prefix; }

// One file's diff of a deletion or a creation: its mode and hunk lines.
struct WholeFile {
  std::string mode;
  std::vector<std::string_view> body;  // '-' or '+' lines and "\ No newline" notes
  size_t lines = 0;                    // of content
  bool binary = false;
};

// `section`: the lines of one "diff --git" block. `deleted`: which kind to read.
std::optional<WholeFile> read_whole_file(const std::vector<std::string_view>& section, bool deleted) {
  const std::string_view mode_line = deleted ? "deleted file mode " : "new file mode ";
  if (section.size() < 2 || !starts(section[1], mode_line)) return std::nullopt;
  WholeFile f;
  f.mode = std::string(bare(section[1]).substr(mode_line.size()));
  size_t i = 2;
  if (i < section.size() && starts(section[i], "index ")) ++i;
  if (i == section.size()) return f;  // an empty file
  if (starts(section[i], "GIT binary patch") || starts(section[i], "Binary files")) {
    f.binary = true;
    return f;
  }
  if (i + 2 >= section.size() || !starts(section[i], "--- ") || !starts(section[i + 1], "+++ ") ||
      !starts(section[i + 2], "@@ ")) {
    return std::nullopt;
  }
  const char sign = deleted ? '-' : '+';
  for (i += 3; i < section.size(); ++i) {
    std::string_view line = section[i];
    if (!line.empty() && line[0] == sign) {
      ++f.lines;
    } else if (!starts(line, "\\ ")) {
      return std::nullopt;  // anything else: not a whole-file diff
    }
    f.body.push_back(line);
  }
  return f;
}

std::string range(char sign, size_t lines) {
  if (lines == 0) return std::string(1, sign) + "0,0";
  if (lines == 1) return std::string(1, sign) + "1";
  return std::string(1, sign) + "1," + std::to_string(lines);
}

}  // namespace

Result<JoinedDiff> join_type_changes(std::string_view diff) {
  JoinedDiff joined;
  std::vector<std::string_view> lines = lines_of(diff);
  // Split at "diff --git" lines; what comes before the first stays as it is.
  std::vector<std::vector<std::string_view>> sections;
  std::string& out = joined.diff;
  for (std::string_view line : lines) {
    if (starts(line, "diff --git ")) {
      sections.emplace_back();
    } else if (sections.empty()) {
      out += line;
      continue;
    }
    sections.back().push_back(line);
  }
  for (size_t s = 0; s < sections.size(); ++s) {
    const auto& here = sections[s];
    if (s + 1 < sections.size() && bare(here[0]) == bare(sections[s + 1][0])) {
      auto gone = read_whole_file(here, true);
      auto made = read_whole_file(sections[s + 1], false);
      if (gone && made && gone->mode != made->mode && (gone->mode == "120000") != (made->mode == "120000")) {
        // "diff --git a/P b/P": the same P twice.
        std::string header(bare(here[0]));
        const size_t name_size = (header.size() - std::string_view("diff --git a/ b/").size()) / 2;
        std::string path = header.substr(header.size() - name_size);
        if (gone->binary || made->binary) {
          return invalid_input("'" + path + "' changes type (a file becomes a symbolic link, or back) with binary " +
                               "content, which Mercurial cannot apply as git writes it: attach an hg export of the "
                               "change instead");
        }
        const std::string_view eol = here[0].size() > 1 && here[0][here[0].size() - 2] == '\r' ? "\r\n" : "\n";
        out += header + std::string(eol);
        if (gone->mode != made->mode) {
          out += "old mode " + gone->mode + std::string(eol) + "new mode " + made->mode + std::string(eol);
        }
        if (gone->lines + made->lines > 0) {
          out += "--- a/" + path + std::string(eol) + "+++ b/" + path + std::string(eol);
          out += "@@ " + range('-', gone->lines) + " " + range('+', made->lines) + " @@" + std::string(eol);
          for (std::string_view line : gone->body) out += line;
          for (std::string_view line : made->body) out += line;
        }
        TypeChange change{path, ""};
        for (size_t k = 0; k < made->body.size(); ++k) {
          std::string_view line = made->body[k];
          if (starts(line, "\\ ")) continue;
          std::string_view content = line.substr(1);
          bool last_without_newline = k + 1 < made->body.size() && starts(made->body[k + 1], "\\ ");
          if (last_without_newline && !content.empty() && content.back() == '\n') content.remove_suffix(1);
          change.content += content;
        }
        joined.changes.push_back(std::move(change));
        ++s;
        continue;
      }
    }
    for (std::string_view line : here) out += line;
  }
  return joined;
}

}  // namespace autoland
