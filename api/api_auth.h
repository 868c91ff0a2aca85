// Who may call the API: bearer tokens listed in the config by their SHA-256
// (so the config never holds a usable token), each with a name (it goes in
// the audit log) and a role. Tokens themselves are never logged or stored.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace autoland::api {

enum class Role { reader = 1, sheriff = 2, admin = 3 };
std::string_view to_string(Role role);
Result<Role> parse_role(std::string_view text);

struct ApiToken {
  std::string name;
  Role role = Role::reader;
  std::string sha256;  // lowercase hex of the token
};

// Lowercase hex SHA-256 (OpenSSL).
std::string sha256_hex(std::string_view data);

// A fresh random token (32 bytes, hex) for the sandbox and `autoland api token`.
std::string random_token();

struct Caller {
  std::string name;  // "" when anonymous
  Role role = Role::reader;
  bool authenticated = false;
};

class TokenAuth {
 public:
  explicit TokenAuth(std::vector<ApiToken> tokens) : tokens_(std::move(tokens)) {}
  // From an Authorization header ("Bearer <token>"); nullopt = no or unknown token.
  std::optional<Caller> identify(std::string_view authorization) const;
  bool empty() const { return tokens_.empty(); }

 private:
  std::vector<ApiToken> tokens_;
};

}  // namespace autoland::api
