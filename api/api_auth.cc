#include "api/api_auth.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>

namespace autoland::api {

std::string_view to_string(Role role) {
  switch (role) {
    case Role::reader: return "reader";
    case Role::sheriff: return "sheriff";
    case Role::admin: return "admin";
  }
  return "reader";
}

Result<Role> parse_role(std::string_view text) {
  if (text == "reader") return Role::reader;
  if (text == "sheriff") return Role::sheriff;
  if (text == "admin") return Role::admin;
  return invalid_input("role '" + std::string(text) + "' is not one of reader, sheriff, admin");
}

namespace {

std::string hex(const unsigned char* data, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

// Compares without stopping at the first difference.
bool same(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest, &n, EVP_sha256(), nullptr);
  return hex(digest, n);
}

std::string random_token() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // Never hand out a guessable token.
    std::fprintf(stderr, "autoland: the system has no randomness for a token\n");
    std::abort();
  }
  return hex(bytes, sizeof bytes);
}

std::optional<Caller> TokenAuth::identify(std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() <= kBearer.size() || authorization.substr(0, kBearer.size()) != kBearer) return std::nullopt;
  std::string_view token = authorization.substr(kBearer.size());
  // RFC 6750's b64token, whole: anything after it (a NUL, a space, junk)
  // makes a different token, never the one before it.
  for (char c : token) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
    if (!ok) return std::nullopt;
  }
  std::string digest = sha256_hex(token);
  for (const ApiToken& t : tokens_) {
    if (same(digest, t.sha256)) return Caller{t.name, t.role, true};
  }
  return std::nullopt;
}

}  // namespace autoland::api
