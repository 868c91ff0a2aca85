#include <charconv>

#include "adapters/store/sql/connection.h"

namespace autoland::sql {

int64_t Value::integer() const {
  if (const auto* i = std::get_if<int64_t>(&value_)) return *i;
  if (const auto* s = std::get_if<std::string>(&value_)) {
    int64_t out = 0;
    std::from_chars(s->data(), s->data() + s->size(), out);
    return out;
  }
  return 0;
}

std::optional<int64_t> Value::optional_integer() const {
  if (is_null()) return std::nullopt;
  return integer();
}

std::string Value::text() const {
  if (const auto* s = std::get_if<std::string>(&value_)) return *s;
  if (const auto* i = std::get_if<int64_t>(&value_)) return std::to_string(*i);
  return {};
}

namespace {

// The length of the UTF-8 sequence at `i`, or 0 when it is not one (overlong
// forms, surrogates and code points above U+10FFFF are not).
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = byte(i);
  if (b == 0) return 0;
  if (b < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

bool is_storable(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t n = utf8_sequence(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace

std::string storable_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t n = utf8_sequence(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  return out;
}

Result<Outcome> Connection::run(std::string_view sql, const std::vector<Value>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].is_null() || params[i].is_integer()) continue;
    if (is_storable(params[i].text())) continue;
    std::vector<Value> fixed = params;
    for (Value& v : fixed) {
      if (!v.is_null() && !v.is_integer()) v = Value(storable_text(v.text()));
    }
    return execute(sql, fixed);
  }
  return execute(sql, params);
}

}  // namespace autoland::sql
