#include "sandbox/cycle/world.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "adapters/process/hg_environment.h"
#include "adapters/process/subprocess.h"
#include "app/config_writer.h"
#include "sandbox/cycle/scenarios.h"
#include "util/strings.h"

namespace autoland::sandbox::cycle {

namespace fs = std::filesystem;
using nlohmann::json;

Result<std::string> hg(std::vector<std::string> args) {
  SpawnOptions o;
  o.argv = {"hg"};
  for (auto& a : args) o.argv.push_back(a);
  o.env_set = hg_environment();
  AUTOLAND_TRY_ASSIGN(auto r, run_program(o));
  if (r.exit_code != 0) return internal_error("hg " + args.front() + " failed: " + r.err);
  return r.out;
}

Status write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  return out ? Status{} : internal_error("cannot write " + p.string());
}

#define SANDBOX_TRY_HG(...)     \
  do {                          \
    auto r_ = hg(__VA_ARGS__);  \
    if (!r_) return r_.error(); \
  } while (0)

// Bug 1's export ("Add b": a new file b.txt holding "b") rewritten to add
// the bulk scenario's own file, with its message and no node id.
std::string bulk_patch(const std::string& bug1, const Scenario& s) {
  std::string out;
  for (std::string_view line : util::split(bug1, '\n')) {
    std::string l(line);
    if (l.rfind("# Node ID ", 0) == 0) continue;
    if (l == "Bug 1 - Add b") l = s.message;
    // hg's own diff lines: "diff -r P -r N b.txt" and "+++ b/b.txt<TAB>date".
    if (l.rfind("diff ", 0) == 0 && l.size() > 6 && l.compare(l.size() - 6, 6, " b.txt") == 0) {
      l = l.substr(0, l.size() - 5) + s.file;
    }
    if (l.rfind("+++ b/b.txt", 0) == 0) l = "+++ b/" + s.file + l.substr(11);
    if (l == "+b") l = "+" + s.content.substr(0, s.content.size() - 1);
    out += l + "\n";
  }
  while (out.size() >= 2 && out.compare(out.size() - 2, 2, "\n\n") == 0) out.pop_back();
  return out;
}

// The remotes and one patch per scenario (an hg export on the base).
Result<std::map<BugId, std::string>> make_repositories(const fs::path& dir) {
  const fs::path central = dir / "mozilla-central";
  SANDBOX_TRY_HG({"init", central.string()});
  AUTOLAND_TRY(write(central / "README", "A tiny project for the autoland sandbox.\n"));
  SANDBOX_TRY_HG(
      {"commit", "-R", central.string(), "-A", "-m", "Initial import", "-u", "Sandbox <sandbox@example.org>"});
  SANDBOX_TRY_HG({"clone", "-q", central.string(), (dir / "mozilla-inbound").string()});
  SANDBOX_TRY_HG({"clone", "-q", central.string(), (dir / "try").string()});
  // try keeps every push as a draft head on top of trunk's public changesets.
  AUTOLAND_TRY(write(dir / "try" / ".hg" / "hgrc", "[phases]\npublish = False\n"));
  std::map<BugId, std::string> patches;
  std::vector<Scenario> all = scenarios();
  all.push_back(spare());
  for (const Scenario& s : all) {
    if (is_bulk(s)) {
      // Bug 1's export, made another file's: thousands of hg runs saved.
      patches[s.bug] = bulk_patch(patches.at(1), s);
      continue;
    }
    fs::path wc = dir / "work" / ("bug-" + std::to_string(s.bug));
    SANDBOX_TRY_HG({"clone", "-q", central.string(), wc.string()});
    AUTOLAND_TRY(write(wc / s.file, s.content));
    SANDBOX_TRY_HG({"commit", "-R", wc.string(), "-A", "-m", s.message, "-u", "Dana Developer <dana@example.org>"});
    AUTOLAND_TRY_ASSIGN(auto exported, hg({"export", "-R", wc.string(), "-r", "tip"}));
    patches[s.bug] = exported;
  }
  return patches;
}

std::string seed(const std::map<BugId, std::string>& patches) {
  json bugs = json::array();
  std::vector<Scenario> all = scenarios();
  all.push_back(spare());
  for (const Scenario& s : all) {
    json flags = json::array();
    if (s.reviewed) flags.push_back({{"name", "review"}, {"status", "+"}, {"setter", "rita@example.org"}});
    bugs.push_back({{"id", s.bug},
                    {"summary", s.title},
                    {"creator", "dana@example.org"},
                    {"whiteboard", s.whiteboard},
                    {"whiteboard_set_by", s.requester},
                    {"attachments",
                     {{{"id", s.bug * 10},
                       {"summary", s.message},
                       {"data", patches.at(s.bug)},
                       {"is_patch", true},
                       {"creator", "dana@example.org"},
                       {"flags", flags}}}}});
  }
  json users = {{{"email", "autoland-bot@example.org"},
                 {"real_name", "Autoland Bot"},
                 {"api_key", "sandbox-bot-key"},
                 {"groups", {"editbugs"}}},
                {{"email", "dana@example.org"},
                 {"real_name", "Dana Developer [:dana]"},
                 {"api_key", "sandbox-dana-key"},
                 {"groups", {"editbugs"}}},
                {{"email", "rita@example.org"},
                 {"real_name", "Rita Reviewer [:rita]"},
                 {"api_key", "sandbox-rita-key"},
                 {"groups", {"editbugs"}}},
                {{"email", "junior@example.org"},
                 {"real_name", "Jo Junior"},
                 {"api_key", "sandbox-junior-key"},
                 {"groups", {"editbugs"}}}};
  return json{{"keywords", {"checkin-needed"}}, {"users", users}, {"bugs", bugs}}.dump();
}

Result<People> start_directory(const fs::path& dir) {
  People out;
  if (sandbox::ThrowawaySlapd::installed()) {
    auto slapd = sandbox::ThrowawaySlapd::start((dir / "ldap").string(), 0,
                                                {{"dana@example.org", "dana@example.org", 3},
                                                 {"rita@example.org", "rita@example.org", 3},
                                                 {"junior@example.org", "junior@example.org", 1}});
    if (!slapd) return Error{slapd.error().kind, "the sandbox's slapd: " + slapd.error().message};
    out.ldap.url = (*slapd)->url();
    out.ldap.bind_dn = sandbox::ThrowawaySlapd::kBindDn;
    out.ldap.bind_password = (*slapd)->bind_password();
    out.ldap.people_base = sandbox::ThrowawaySlapd::kPeopleBase;
    for (int level = 1; level <= 3; ++level)
      out.ldap.level_groups[level - 1] = sandbox::ThrowawaySlapd::level_group(level);
    out.ldap.cache_seconds = 5;
    out.description = "slapd (LDAP) at " + (*slapd)->url();
    out.slapd = std::move(*slapd);
    return out;
  }
  AUTOLAND_TRY(write(dir / "people.json", R"({"people": [
    {"bugzilla_email": "dana@example.org", "level": 3},
    {"bugzilla_email": "rita@example.org", "level": 3},
    {"bugzilla_email": "junior@example.org", "level": 1}]})"));
  out.directory_file = (dir / "people.json").string();
  out.description = "a file directory (sandbox only: slapd is not installed)";
  return out;
}

Result<Config> sandbox_config(const fs::path& dir, const std::string& bugzilla_url, const People& people, int api_port,
                              const std::string& token_hash) {
  const std::string d = dir.string();
  // The defaults, then what differs here, field by field: a misspelt key
  // does not compile, and the file written from it is read back (below).
  auto defaults = parse_config("", "sandbox defaults", [](const std::string&) { return std::optional<std::string>(); });
  if (!defaults) return defaults.error();
  Config c = std::move(*defaults);
  c.store_url = "sqlite://" + d + "/autoland.db";
  c.log_level = "warn";
  c.bugzilla.url = bugzilla_url;
  c.bugzilla.api_key = "sandbox-bot-key";
  c.bugzilla.bot_login = "autoland-bot@example.org";
  c.bugzilla.timeout_seconds = 5;
  c.grace_period_seconds = 2;
  c.vcs_cache_dir = d + "/cache";
  c.results_interval_seconds = 1;
  c.run_trigger_interval_seconds = 1;
  c.run_queue_interval_seconds = 1;
  c.run_commenter_interval_seconds = 1;
  // A post here takes milliseconds: a comment claimed by a killed run waits
  // 10 s, not 5 minutes (the lease must outlast bugzilla.timeout_seconds).
  c.commenter_lease_seconds = 10;
  c.api.listen = "127.0.0.1:" + std::to_string(api_port);
  c.api.tokens = {{"sandbox-sheriff", "sheriff", token_hash}};
  c.ldap = people.ldap;
  c.directory_file = people.directory_file;
  const std::string flaky = "if [ -f FLAKY ]; then m=" + d +
                            "/marks/flaky-$(cat FLAKY); [ -f $m ] || { touch $m; "
                            "echo 'TEST-UNEXPECTED-FAIL (intermittent)'; exit 1; }; fi";
  c.local_ci.state_dir = d + "/ci";
  c.local_ci.workers = 2;
  c.local_ci.jobs = {
      {"try", "build", {"sh", "-c", "test -f README"}, 600, true},
      {"try", "tests", {"sh", "-c", "test ! -f FAIL"}, 600, false},
      {"try", "flaky-tests", {"sh", "-c", flaky}, 600, false},
      {"mozilla-inbound", "build", {"sh", "-c", "test -f README && test ! -f FAIL_ON_TRUNK"}, 600, true},
      // Bug 14 breaks another job than bug 4: two culprits in one window on
      // one job need test pushes of chosen landings, not built yet.
      {"mozilla-inbound", "tests", {"sh", "-c", "test ! -f BREAKS_TRUNK_TESTS"}, 600, false},
      {"mozilla-central", "build", {"sh", "-c", "test -f README"}, 600, true},
  };
  Branch try_branch;
  try_branch.name = "try";
  try_branch.repo_url = d + "/try";
  try_branch.required_level = 1;
  try_branch.threshold = 4;
  try_branch.default_try_syntax = "try: -b do -p linux64 -u all";
  Branch inbound;
  inbound.name = "mozilla-inbound";
  inbound.repo_url = d + "/mozilla-inbound";
  inbound.pretest_branch = "try";
  inbound.required_level = 3;
  // Pipelined: up to three landings in flight, each on top of the one
  // before; a landing on top of bug 4's or bug 14's (which break trunk) is
  // red too, and the culprit finder keeps it (it passes on the backout).
  inbound.threshold = 3;
  inbound.landing_strategy = LandingStrategy::pipelined;
  inbound.max_retriggers = 1;
  Branch central;
  central.name = "mozilla-central";
  central.repo_url = d + "/mozilla-central";
  central.pretest_branch = "try";
  central.required_level = 3;
  c.branches = {try_branch, inbound, central};

  // Held to every rule of the key table and build(): read back from the
  // text the `autoland run` children will read.
  auto checked =
      parse_config(to_toml(c), "sandbox config", [](const std::string&) { return std::optional<std::string>(); });
  if (!checked) return Error{checked.error().kind, "the sandbox's own config is refused: " + checked.error().message};
  return c;
}

}  // namespace autoland::sandbox::cycle
