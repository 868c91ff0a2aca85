// The Directory port in memory: who holds which commit level. `down` makes
// every lookup a transient failure, as an unreachable LDAP server does.
#pragma once

#include <map>
#include <string>

#include "ports/directory.h"
#include "util/strings.h"

namespace autoland::fakes {

class FakeDirectory final : public Directory {
 public:
  void add(const std::string& email, int level) { people_[util::to_lower(email)] = {email, email, level}; }
  bool down = false;
  int lookups = 0;

  Result<Person> find_by_bugzilla_email(const std::string& email) override {
    ++lookups;
    if (down) return transient("the directory cannot be reached");
    auto it = people_.find(util::to_lower(email));
    if (it == people_.end()) return not_found("nobody in the directory has the Bugzilla email " + email);
    return it->second;
  }

 private:
  std::map<std::string, Person> people_;
};

}  // namespace autoland::fakes
