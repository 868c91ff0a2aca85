// A Directory read from a JSON file, for the sandbox and tests only (a real
// deployment uses LDAP): {"people": [{"account": "dana", "bugzilla_email":
// "dev@example.org", "level": 3}, ...]}. Emails match case-insensitively.
// The file is read once, when opened.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "ports/directory.h"

namespace autoland {

class FileDirectory final : public Directory {
 public:
  static Result<std::unique_ptr<FileDirectory>> open(const std::string& path);
  static Result<std::unique_ptr<FileDirectory>> from_json(const std::string& text, const std::string& source);
  Result<Person> find_by_bugzilla_email(const std::string& email) override;

 private:
  std::map<std::string, Person> by_email_;  // lowercased email
};

}  // namespace autoland
