#include "app/directory_factory.h"

#include "adapters/directory/file/file_directory.h"
#include "adapters/directory/ldap/ldap_directory.h"

namespace autoland {

Result<std::unique_ptr<Directory>> open_directory(const Config& config) {
  if (!config.ldap.url.empty()) {
    LdapOptions o;
    o.url = config.ldap.url;
    o.bind_dn = config.ldap.bind_dn;
    o.bind_password = config.ldap.bind_password;
    o.people_base = config.ldap.people_base;
    o.email_attribute = config.ldap.email_attribute;
    o.fallback_attribute = config.ldap.fallback_attribute;
    for (int i = 0; i < 3; ++i) o.level_groups[i] = config.ldap.level_groups[i];
    o.member_attribute = config.ldap.member_attribute;
    o.member_value_attribute = config.ldap.member_value_attribute;
    o.timeout_seconds = config.ldap.timeout_seconds;
    o.cache_seconds = config.ldap.cache_seconds;
    return std::unique_ptr<Directory>(std::make_unique<LdapDirectory>(std::move(o)));
  }
  if (!config.directory_file.empty()) {
    AUTOLAND_TRY_ASSIGN(auto file, FileDirectory::open(config.directory_file));
    return std::unique_ptr<Directory>(std::move(file));
  }
  return invalid_input("no directory is configured: set ldap.url (or, in a sandbox, directory.file)");
}

}  // namespace autoland
