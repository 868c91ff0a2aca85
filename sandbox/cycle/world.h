// The sandbox's world: local hg remotes (try, mozilla-inbound,
// mozilla-central) holding a tiny project with one patch per scenario, the
// sandbox Bugzilla's seed, a directory of people (a throwaway slapd when
// installed, else a file), and autoland's config for all of it.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "core/model.h"
#include "sandbox/ldap/throwaway_slapd.h"
#include "util/result.h"

namespace autoland::sandbox::cycle {

// `hg ARGS...` in the one hg environment; its stdout, or an error naming the command.
Result<std::string> hg(std::vector<std::string> args);
Status write(const std::filesystem::path& p, const std::string& text);

// The remotes under `dir` and one patch per scenario (an hg export on the base), by bug.
Result<std::map<BugId, std::string>> make_repositories(const std::filesystem::path& dir);

// The sandbox Bugzilla's seed (users, the bugs with their attachments, tags and flags).
std::string seed(const std::map<BugId, std::string>& patches);

// Who may land where: a throwaway slapd when Debian's is installed, else a
// file (sandbox only).
struct People {
  std::unique_ptr<sandbox::ThrowawaySlapd> slapd;
  LdapConfig ldap;             // set when slapd runs
  std::string directory_file;  // else this file
  std::string description;     // for the banner
};
Result<People> start_directory(const std::filesystem::path& dir);

// autoland's config for this world, built field by field and checked by
// every rule a config file is (it is written with to_toml for the
// `autoland run` children and for --keep-running's users).
Result<Config> sandbox_config(const std::filesystem::path& dir, const std::string& bugzilla_url, const People& people,
                              int api_port, const std::string& token_hash);

}  // namespace autoland::sandbox::cycle
