#include "util/strings.h"

#include <limits>

namespace autoland::util {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

size_t ifind(std::string_view haystack, std::string_view needle, size_t from) {
  if (needle.empty()) return from <= haystack.size() ? from : std::string_view::npos;
  for (size_t i = from; i + needle.size() <= haystack.size(); ++i) {
    if (iequals(haystack.substr(i, needle.size()), needle)) return i;
  }
  return std::string_view::npos;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::optional<uint64_t> parse_uint(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

namespace {

// Where the credentials of a URL end (its userinfo's '@'), npos when it has
// none; `host` is where its authority starts. A password holding '/', '?'
// or '#' unescaped ends the authority early for a parser, not for a
// reader: a later '@' after a ':' is taken too (over-taking an odd URL is
// the safe side).
size_t credentials_end(std::string_view url, size_t host) {
  size_t path = url.find_first_of("/?#", host);
  size_t at = url.rfind('@', path == std::string_view::npos ? url.size() : path);
  if (at != std::string_view::npos && at >= host) return at;
  size_t last_at = url.rfind('@');
  size_t colon = url.find(':', host);
  if (last_at != std::string_view::npos && last_at > host && colon != std::string_view::npos && colon < last_at) {
    return last_at;
  }
  return std::string_view::npos;
}

}  // namespace

std::string strip_url_credentials(std::string_view url) {
  std::string out(url);
  size_t scheme = out.find("://");
  if (scheme == std::string::npos) return out;
  size_t at = credentials_end(out, scheme + 3);
  if (at == std::string::npos) return out;
  return out.substr(0, scheme + 3) + out.substr(at + 1);
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t at = credentials_end(out, scheme + 3);
    if (at != std::string::npos) out.replace(scheme + 3, at - scheme - 3, "REDACTED");
  }
  size_t query = out.find('?');
  if (query == std::string::npos) return out;
  std::string result = out.substr(0, query + 1);
  size_t end = out.find('#', query);
  std::string fragment = end == std::string::npos ? "" : out.substr(end);
  std::string params = out.substr(query + 1, end == std::string::npos ? std::string::npos : end - query - 1);
  bool first = true;
  for (std::string_view param : split(params, '&')) {
    if (!first) result += '&';
    first = false;
    size_t eq = param.find('=');
    std::string name = to_lower(param.substr(0, eq));
    bool secret = name.find("key") != std::string::npos || name.find("token") != std::string::npos ||
                  name.find("password") != std::string::npos || name.find("secret") != std::string::npos;
    if (secret && eq != std::string_view::npos) {
      result.append(param.substr(0, eq + 1));
      result += "REDACTED";
    } else {
      result.append(param);
    }
  }
  return result + fragment;
}

std::string printable(std::string_view s, size_t max_len) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (out.size() >= max_len) {
      out += "...";
      break;
    }
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

bool is_hex(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace autoland::util
