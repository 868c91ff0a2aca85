#include "core/try_syntax.h"

#include <algorithm>
#include <cctype>

#include "util/strings.h"

namespace autoland {
namespace {

constexpr uint32_t kMaxRebuild = 20;
constexpr uint64_t kMaxBugzillaId = 2147483647;  // Bugzilla ids are SQL integers

// Shell-like words: spaces separate, '...' and "..." group (no escapes).
Result<std::vector<std::string>> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\'' || c == '"') {
      size_t close = text.find(c, i + 1);
      if (close == std::string_view::npos) {
        return invalid_input(std::string("unclosed quote ") + c + " in try syntax");
      }
      word.append(text.substr(i + 1, close - i - 1));
      in_word = true;
      i = close;
    } else if (util::is_space(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

enum class Option { build, platform, unittests, talos, post_to_bug, post_to_bugzilla, notify, no_retry, rebuild };

struct OptionName {
  std::string_view short_name;  // "" when none
  std::string_view long_name;
  Option option;
  bool takes_value;
};

constexpr OptionName kOptions[] = {
    {"-b", "--build", Option::build, true},           {"-p", "--platform", Option::platform, true},
    {"-u", "--unittests", Option::unittests, true},   {"-t", "--talos", Option::talos, true},
    {"", "--post-to-bug", Option::post_to_bug, true}, {"", "--post-to-bugzilla", Option::post_to_bugzilla, true},
    {"-n", "--notify", Option::notify, false},        {"", "--no-retry", Option::no_retry, false},
    {"", "--rebuild", Option::rebuild, true},
};

const OptionName* find_option(std::string_view flag) {
  for (const OptionName& o : kOptions) {
    if (flag == o.short_name || flag == o.long_name) return &o;
  }
  return nullptr;
}

// A list value: "linux,win64", possibly continued over words by a trailing
// comma ("linux, win64"), which is how people type it.
// A platform, test or suite name as real ones are written ("linux64-asan",
// "web-platform-tests-e10s", "mochitest-1[x64,Windows 10]"). Anything else,
// a colon above all, is almost always an attachment id typed after the try
// syntax instead of in the tag.
Status check_name(std::string_view item, std::string_view flag) {
  size_t open = item.find('[');
  std::string_view name = item.substr(0, open);
  std::string_view restriction = open == std::string_view::npos ? "" : item.substr(open + 1, item.size() - open - 2);
  auto ok = [](std::string_view s, bool spaces) {
    for (char c : s) {
      bool good = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-' || c == '+' || (spaces && (c == ' ' || c == ','));
      if (!good) return false;
    }
    return true;
  };
  bool well_formed = !name.empty() && std::isalnum(static_cast<unsigned char>(name[0])) && ok(name, false) &&
                     (open == std::string_view::npos || (item.back() == ']' && ok(restriction, true)));
  if (!well_formed) {
    return invalid_input("'" + util::printable(item, 60) + "' after " + std::string(flag) +
                         " is not a platform, test or suite name (they start with a letter or digit and hold "
                         "letters, digits, '.', '_', '-' and '+'); an attachment id goes in the tag, before the try "
                         "syntax: [autoland-try:ID]");
  }
  return {};
}

Result<std::vector<std::string>> take_list(const std::vector<std::string>& words, size_t& i, std::string first,
                                           std::string_view flag) {
  std::string value = std::move(first);
  while (!value.empty() && value.back() == ',' && i + 1 < words.size() && words[i + 1].rfind('-', 0) != 0) {
    value += words[++i];
  }
  // Split at commas outside a "[...]" restriction: "mochitest-1[x64,Windows 10]".
  std::vector<std::string> parts(1);
  int depth = 0;
  for (char c : value) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (depth < 0 || depth > 1) {
      return invalid_input("unbalanced '[' or ']' in '" + util::printable(value) + "' after " + std::string(flag));
    }
    if (c == ',' && depth == 0) {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  if (depth != 0)
    return invalid_input("'[' without its ']' in '" + util::printable(value) + "' after " + std::string(flag));
  std::vector<std::string> items;
  for (const std::string& part : parts) {
    std::string_view item = util::trim(part);
    if (item.empty()) {
      return invalid_input("empty name in the list '" + util::printable(value) + "' after " + std::string(flag));
    }
    AUTOLAND_TRY(check_name(item, flag));
    items.emplace_back(item);
  }
  return items;
}

Result<std::vector<uint64_t>> parse_bug_list(std::string_view value, std::string_view flag) {
  std::vector<uint64_t> bugs;
  for (std::string_view part : util::split(value, ',')) {
    std::string_view item = util::trim(part);
    auto bug = util::parse_uint(item);
    if (!bug || *bug == 0 || *bug > kMaxBugzillaId) {
      return invalid_input("'" + util::printable(item) + "' after " + std::string(flag) + " is not a bug number");
    }
    if (std::find(bugs.begin(), bugs.end(), *bug) == bugs.end()) bugs.push_back(*bug);
  }
  return bugs;
}

}  // namespace

bool TrySyntax::operator==(const TrySyntax& o) const {
  return build == o.build && platforms == o.platforms && unittests == o.unittests && talos == o.talos &&
         post_to_bugs == o.post_to_bugs && notify == o.notify && no_retry == o.no_retry && rebuild == o.rebuild;
}

Result<TrySyntax> parse_try_syntax(std::string_view text) {
  text = util::trim(text);
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return invalid_input("try syntax holds a control character (a line break?); write it on one line");
    }
  }
  if (util::istarts_with(text, "try:")) text = util::trim(text.substr(4));
  AUTOLAND_TRY_ASSIGN(auto split, split_words(text));
  const std::vector<std::string>& words = split;

  TrySyntax out;
  std::vector<Option> seen;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word.empty() || word[0] != '-') {
      return invalid_input("unexpected '" + util::printable(word) +
                           "' in try syntax (values go after an option such as -p)");
    }
    std::string flag = word;
    std::optional<std::string> attached;
    if (word.rfind("--", 0) == 0) {
      size_t eq = word.find('=');
      if (eq != std::string::npos) {
        flag = word.substr(0, eq);
        attached = word.substr(eq + 1);
      }
    } else if (word.size() > 2) {
      flag = word.substr(0, 2);  // "-bdo" is "-b do"
      attached = word.substr(2);
    }
    const OptionName* option = find_option(flag);
    if (!option) return invalid_input("unknown try option '" + util::printable(word) + "'");
    if (std::find(seen.begin(), seen.end(), option->option) != seen.end()) {
      return invalid_input("try option " + flag + " is given twice");
    }
    seen.push_back(option->option);

    std::string value;
    if (option->takes_value) {
      if (attached) {
        value = *attached;
      } else if (i + 1 < words.size() && !(words[i + 1].size() > 1 && words[i + 1][0] == '-')) {
        value = words[++i];
      } else {
        return invalid_input("try option " + flag + " needs a value");
      }
      if (util::trim(value).empty()) return invalid_input("try option " + flag + " needs a value");
    } else if (attached) {
      return invalid_input("try option " + flag + " takes no value (got '" + util::printable(*attached) + "')");
    }

    switch (option->option) {
      case Option::build: {
        std::string b = util::to_lower(value);
        if (b != "d" && b != "o" && b != "do" && b != "od") {
          return invalid_input("-b takes d, o, do or od, not '" + util::printable(value) + "'");
        }
        out.build = b;
        break;
      }
      case Option::platform:
      case Option::unittests:
      case Option::talos: {
        AUTOLAND_TRY_ASSIGN(auto list, take_list(words, i, value, flag));
        auto& target = option->option == Option::platform    ? out.platforms
                       : option->option == Option::unittests ? out.unittests
                                                             : out.talos;
        target = std::move(list);
        break;
      }
      case Option::post_to_bug: {
        AUTOLAND_TRY_ASSIGN(auto bugs, parse_bug_list(value, flag));
        for (uint64_t bug : bugs) {
          if (std::find(out.post_to_bugs.begin(), out.post_to_bugs.end(), bug) == out.post_to_bugs.end()) {
            out.post_to_bugs.push_back(bug);
          }
        }
        break;
      }
      case Option::post_to_bugzilla: {
        // "--post-to-bugzilla Bug 123", as autoland itself writes it.
        if (util::iequals(value, "bug")) {
          if (i + 1 >= words.size()) return invalid_input("--post-to-bugzilla Bug needs a bug number");
          value = words[++i];
        }
        AUTOLAND_TRY_ASSIGN(auto bugs, parse_bug_list(value, flag));
        for (uint64_t bug : bugs) {
          if (std::find(out.post_to_bugs.begin(), out.post_to_bugs.end(), bug) == out.post_to_bugs.end()) {
            out.post_to_bugs.push_back(bug);
          }
        }
        break;
      }
      case Option::notify: out.notify = true; break;
      case Option::no_retry: out.no_retry = true; break;
      case Option::rebuild: {
        auto n = util::parse_uint(util::trim(value));
        if (!n || *n < 1 || *n > kMaxRebuild) {
          return invalid_input("--rebuild takes a number from 1 to " + std::to_string(kMaxRebuild) + ", not '" +
                               util::printable(value) + "'");
        }
        out.rebuild = static_cast<uint32_t>(*n);
        break;
      }
    }
  }
  return out;
}

// Writes `value` as one word that split_words() reads back unchanged: quote
// characters and spaces are wrapped in the other kind of quote.
static std::string quote_word(const std::string& value) {
  if (value.empty()) return "\"\"";
  std::string out;
  for (char c : value) {
    if (c == '\'') {
      out += "\"'\"";
    } else if (c == '"') {
      out += "'\"'";
    } else if (util::is_space(c)) {
      out += '"';
      out += c;
      out += '"';
    } else {
      out += c;
    }
  }
  return out;
}

// " -p value", or " --platform=value" when the value itself starts with '-'.
static std::string option_with_value(std::string_view short_flag, std::string_view long_flag,
                                     const std::string& value) {
  if (!value.empty() && value[0] == '-') return " " + std::string(long_flag) + "=" + quote_word(value);
  return " " + std::string(short_flag) + " " + quote_word(value);
}

std::string format_try_syntax(const TrySyntax& s) {
  std::string out = "try:";
  if (!s.build.empty()) out += " -b " + s.build;
  if (!s.platforms.empty()) out += option_with_value("-p", "--platform", util::join(s.platforms, ","));
  if (!s.unittests.empty()) out += option_with_value("-u", "--unittests", util::join(s.unittests, ","));
  if (!s.talos.empty()) out += option_with_value("-t", "--talos", util::join(s.talos, ","));
  if (s.notify) out += " -n";
  if (s.no_retry) out += " --no-retry";
  if (s.rebuild) out += " --rebuild " + std::to_string(*s.rebuild);
  if (!s.post_to_bugs.empty()) {
    std::vector<std::string> bugs;
    for (uint64_t b : s.post_to_bugs) bugs.push_back(std::to_string(b));
    out += " --post-to-bug " + util::join(bugs, ",");
  }
  return out;
}

std::optional<std::string_view> find_try_syntax(std::string_view message) {
  size_t from = 0;
  while (true) {
    size_t at = util::ifind(message, "try:", from);
    if (at == std::string_view::npos) return std::nullopt;
    bool at_word_start = at == 0 || message[at - 1] == '\n' || message[at - 1] == ' ' || message[at - 1] == '\t';
    if (at_word_start) {
      size_t end = message.find('\n', at);
      std::string_view line = message.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
        line.remove_suffix(1);
      }
      return line;
    }
    from = at + 4;
  }
}

}  // namespace autoland
