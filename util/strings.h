// Small string helpers shared by the parsers. No domain words here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace autoland::util {

// Spaces, tabs, CR and LF.
bool is_space(char c);
std::string_view trim(std::string_view s);
std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
// Lower-case hex digits only, and at least one: how hg and git write a changeset id.
bool is_hex(std::string_view s);
bool istarts_with(std::string_view s, std::string_view prefix);
// Index of the first case-insensitive occurrence of `needle` at or after `from`,
// or npos.
size_t ifind(std::string_view haystack, std::string_view needle, size_t from = 0);

// Splits on '\n'; a trailing '\r' on each line is dropped (Windows line endings).
// A final line without '\n' is kept; a trailing '\n' yields no empty last line.
std::vector<std::string_view> split_lines(std::string_view text);
std::vector<std::string_view> split_lines(std::string&& text) = delete;
// Splits on `sep`, keeping empty parts. The parts point into `s`, so a
// temporary string is refused at compile time.
std::vector<std::string_view> split(std::string_view s, char sep);
std::vector<std::string_view> split(std::string&& s, char sep) = delete;
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// A decimal number made only of digits (no sign, no spaces) that fits in
// uint64_t; nullopt otherwise.
std::optional<uint64_t> parse_uint(std::string_view s);

// `url` with credentials hidden: "https://user:pw@host/x?api_key=k&a=1" ->
// "https://REDACTED@host/x?api_key=REDACTED&a=1". Query parameters whose name
// holds "key", "token", "password" or "secret" are hidden.
std::string redact_url(std::string_view url);
// `url` without its user:password@ (for links shown to people).
std::string strip_url_credentials(std::string_view url);

// Escapes for inclusion in a one-line human message: control bytes become \xNN.
std::string printable(std::string_view s, size_t max_len = 80);

}  // namespace autoland::util
