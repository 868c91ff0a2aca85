// autoland ldap check EMAIL [--level N]: who the directory says a Bugzilla
// account is and its commit level; exit 1 when the level is below N (or the
// person is unknown), so scripts can ask "may this person land on trunk?".
#include <iostream>

#include "app/directory_factory.h"
#include "cli/command.h"

namespace autoland::cli {

void register_ldap_command(CLI::App& app, Invocation& inv) {
  auto* ldap = app.add_subcommand("ldap", "Ask the directory (LDAP) about people");
  ldap->require_subcommand(1);
  auto email = std::make_shared<std::string>();
  auto level = std::make_shared<int>(-1);
  auto* check = ldap->add_subcommand("check", "Print a Bugzilla account's commit level; exit 1 when below --level");
  check->add_option("email", *email, "The Bugzilla email")->required();
  check->add_option("--level", *level, "The level needed (0 to 3)")->check(CLI::Range(0, 3));
  check->callback([&inv, email, level] {
    inv.action = [&inv, email, level] {
      auto config = inv.load_config();
      if (!config) return fail(config.error());
      auto directory = open_directory(*config);
      if (!directory) return fail(directory.error());
      auto person = (*directory)->find_by_bugzilla_email(*email);
      if (!person) {
        if (person.error().kind == ErrorKind::not_found) {
          std::cout << *email << ": not in the directory (level 0)\n";
          return kExitFailed;
        }
        return fail(person.error());
      }
      std::cout << *email << ": level " << person->level << " (directory entry " << person->account << ")\n";
      if (*level >= 0 && person->level < *level) {
        std::cout << "below level " << *level << "\n";
        return kExitFailed;
      }
      return kExitOk;
    };
  });
}

}  // namespace autoland::cli
