// The Directory over LDAP (libldap; the seed's LDAPTool).
//
// A person is found by their Bugzilla email in `email_attribute` (e.g.
// bugzillaEmail) under `people_base`; failing that, by `fallback_attribute`
// (e.g. mail), and then only when the entry records no other Bugzilla email
// (its bugzillaEmail, when set, must match). The commit level is the highest
// N whose group (`level_groups[N-1]`, a DN) holds them: with memberUid the
// group lists the value of the person's `member_value_attribute` (mail or
// uid); with member (groupOfNames) it lists the person's DN.
//
// Each lookup binds afresh (simple bind, the password never logged) and
// answers are kept `cache_seconds`. A server that cannot be reached or does
// not answer in time is a transient error: callers wait, never "allowed".
// Thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "ports/directory.h"
#include "util/mutex.h"

namespace autoland {

struct LdapOptions {
  std::string url;  // ldap://host:389 or ldaps://host
  std::string bind_dn;
  std::string bind_password;
  std::string people_base;
  std::string email_attribute = "bugzillaEmail";
  std::string fallback_attribute = "mail";
  std::array<std::string, 3> level_groups;  // DNs of the level 1, 2 and 3 groups
  std::string member_attribute = "memberUid";
  std::string member_value_attribute = "mail";
  int timeout_seconds = 10;
  int cache_seconds = 60;
};

class LdapDirectory final : public Directory {
 public:
  explicit LdapDirectory(LdapOptions options);
  ~LdapDirectory() override;
  Result<Person> find_by_bugzilla_email(const std::string& email) override;

 private:
  Result<Person> look_up(const std::string& email);
  LdapOptions options_;
  Mutex mu_;
  struct Cached {
    Result<Person> answer;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, Cached> cache_ GUARDED_BY(mu_);
};

// RFC 4515: `value` safe inside a search filter.
std::string escape_ldap_filter(const std::string& value);

}  // namespace autoland
