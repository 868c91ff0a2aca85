#include "adapters/directory/file/file_directory.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/strings.h"

namespace autoland {

Result<std::unique_ptr<FileDirectory>> FileDirectory::open(const std::string& path) {
  std::ifstream in(path);
  if (!in) return invalid_input("cannot read the directory file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return from_json(text.str(), path);
}

Result<std::unique_ptr<FileDirectory>> FileDirectory::from_json(const std::string& text, const std::string& source) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("people") || !doc["people"].is_array()) {
    return invalid_input(source + ": a directory file is {\"people\": [...]}");
  }
  std::unique_ptr<FileDirectory> dir(new FileDirectory());
  size_t n = 0;
  for (const auto& p : doc["people"]) {
    ++n;
    if (!p.is_object() || !p.contains("bugzilla_email") || !p["bugzilla_email"].is_string() || !p.contains("level") ||
        !p["level"].is_number_integer()) {
      return invalid_input(source + ": person " + std::to_string(n) + " needs a bugzilla_email and a level");
    }
    Person person;
    person.bugzilla_email = p["bugzilla_email"].get<std::string>();
    person.account = p.value("account", person.bugzilla_email);
    person.level = p["level"].get<int>();
    if (person.level < 0 || person.level > 3) {
      return invalid_input(source + ": person " + person.bugzilla_email + " has level " + std::to_string(person.level) +
                           " (0 to 3)");
    }
    dir->by_email_[util::to_lower(person.bugzilla_email)] = person;
  }
  return dir;
}

Result<Person> FileDirectory::find_by_bugzilla_email(const std::string& email) {
  auto it = by_email_.find(util::to_lower(email));
  if (it == by_email_.end()) return not_found("nobody in the directory has the Bugzilla email " + email);
  return it->second;
}

}  // namespace autoland
