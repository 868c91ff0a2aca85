#include "sandbox/cycle/world.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "adapters/process/hg_environment.h"
#include "adapters/process/subprocess.h"
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
  auto r = run_program(o);
  if (!r) return r.error();
  if (r->exit_code != 0) return internal_error("hg " + args.front() + " failed: " + r->err);
  return r->out;
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
    fs::path wc = dir / "work" / ("bug-" + std::to_string(s.bug));
    SANDBOX_TRY_HG({"clone", "-q", central.string(), wc.string()});
    AUTOLAND_TRY(write(wc / s.file, s.content));
    SANDBOX_TRY_HG({"commit", "-R", wc.string(), "-A", "-m", s.message, "-u", "Dana Developer <dana@example.org>"});
    auto exported = hg({"export", "-R", wc.string(), "-r", "tip"});
    if (!exported) return exported.error();
    patches[s.bug] = *exported;
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
    out.toml = "[ldap]\nurl = \"" + (*slapd)->url() + "\"\nbind_dn = \"" + sandbox::ThrowawaySlapd::kBindDn +
               "\"\nbind_password = \"" + (*slapd)->bind_password() + "\"\npeople_base = \"" +
               sandbox::ThrowawaySlapd::kPeopleBase + "\"\n";
    for (int level = 1; level <= 3; ++level) {
      out.toml +=
          "level_" + std::to_string(level) + "_group = \"" + sandbox::ThrowawaySlapd::level_group(level) + "\"\n";
    }
    out.toml += "cache_seconds = 5\n";
    out.description = "slapd (LDAP) at " + (*slapd)->url();
    out.slapd = std::move(*slapd);
    return out;
  }
  AUTOLAND_TRY(write(dir / "people.json", R"({"people": [
    {"bugzilla_email": "dana@example.org", "level": 3},
    {"bugzilla_email": "rita@example.org", "level": 3},
    {"bugzilla_email": "junior@example.org", "level": 1}]})"));
  out.toml = "[directory]\nfile = \"" + (dir / "people.json").string() + "\"\n";
  out.description = "a file directory (sandbox only: slapd is not installed)";
  return out;
}

std::string config_toml(const fs::path& dir, const std::string& bugzilla_url, const std::string& directory_toml,
                        int api_port, const std::string& token_hash) {
  const std::string d = dir.string();
  const std::string flaky = "if [ -f FLAKY ]; then m=" + d +
                            "/marks/flaky-$(cat FLAKY); [ -f $m ] || { touch $m; "
                            "echo 'TEST-UNEXPECTED-FAIL (intermittent)'; exit 1; }; fi";
  return "[store]\nurl = \"sqlite://" + d +
         "/autoland.db\"\n"
         "[log]\nlevel = \"warn\"\n"
         "[bugzilla]\nurl = \"" +
         bugzilla_url +
         "\"\napi_key = \"sandbox-bot-key\"\nbot_login = \"autoland-bot@example.org\"\n"
         "timeout_seconds = 5\n"
         "[queue]\ngrace_period_seconds = 2\n"
         "[vcs]\ncache_dir = \"" +
         d +
         "/cache\"\n"
         "[results]\ninterval_seconds = 1\n"
         "[run]\ntrigger_interval_seconds = 1\nqueue_interval_seconds = 1\ncommenter_interval_seconds = 1\n"
         // A post here takes milliseconds: a comment claimed by a killed run waits 10 s, not 5 minutes
         // (the lease must outlast bugzilla.timeout_seconds).
         "[commenter]\nlease_seconds = 10\n"
         "[api]\nlisten = \"127.0.0.1:" +
         std::to_string(api_port) +
         "\"\n"
         "[[api.tokens]]\nname = \"sandbox-sheriff\"\nrole = \"sheriff\"\nsha256 = \"" +
         token_hash + "\"\n" + directory_toml + "[ci.local]\nstate_dir = \"" + d +
         "/ci\"\nworkers = 2\n"
         "[[ci.local.jobs]]\nbranch = \"try\"\nname = \"build\"\ncommand = [\"sh\", \"-c\", \"test -f README\"]\nbuild "
         "= true\n"
         "[[ci.local.jobs]]\nbranch = \"try\"\nname = \"tests\"\ncommand = [\"sh\", \"-c\", \"test ! -f FAIL\"]\n"
         "[[ci.local.jobs]]\nbranch = \"try\"\nname = \"flaky-tests\"\ncommand = [\"sh\", \"-c\", " +
         json(flaky).dump() +
         "]\n"
         "[[ci.local.jobs]]\nbranch = \"mozilla-inbound\"\nname = \"build\"\ncommand = [\"sh\", \"-c\", \"test -f "
         "README && test ! -f FAIL_ON_TRUNK\"]\nbuild = true\n"
         "[[ci.local.jobs]]\nbranch = \"mozilla-central\"\nname = \"build\"\ncommand = [\"sh\", \"-c\", \"test -f "
         "README\"]\nbuild = true\n"
         "[[branches]]\nname = \"try\"\nrepo_url = \"" +
         d +
         "/try\"\nrequired_level = 1\nthreshold = 4\n"
         "default_try_syntax = \"try: -b do -p linux64 -u all\"\n"
         "[[branches]]\nname = \"mozilla-inbound\"\nrepo_url = \"" +
         d +
         "/mozilla-inbound\"\npretest_branch = \"try\"\n"
         "required_level = 3\nthreshold = 2\nmax_retriggers = 1\n"
         "[[branches]]\nname = \"mozilla-central\"\nrepo_url = \"" +
         d +
         "/mozilla-central\"\npretest_branch = \"try\"\n"
         "required_level = 3\n";
}

}  // namespace autoland::sandbox::cycle
