// Directory: who a Bugzilla account is and what commit level it holds (the
// seed's LDAPTool). Implementations: adapters/directory/ldap (libldap), and
// adapters/directory/file (a JSON file; for the sandbox and tests only).
//
// Errors: not_found when nobody has that Bugzilla email; transient when the
// directory cannot be asked (down, timeout): callers wait and ask again,
// they never take "unknown" for "allowed".
#pragma once

#include <string>

#include "util/result.h"

namespace autoland {

struct Person {
  std::string account;         // the directory's name for them (e.g. their LDAP mail or uid)
  std::string bugzilla_email;  // the Bugzilla login the directory records for them
  int level = 0;               // commit level, 0 (none) to 3
};

class Directory {
 public:
  virtual ~Directory() = default;
  virtual Result<Person> find_by_bugzilla_email(const std::string& email) = 0;
};

}  // namespace autoland
