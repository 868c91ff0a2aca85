// autoland sandbox: the whole cycle on this machine, with nobody touching a
// terminal. Under a temp dir (or --dir) it makes local hg remotes (try,
// mozilla-central, mozilla-inbound) holding a tiny project, starts the
// sandbox Bugzilla with a bug tagged for each scenario, a local CI runner and
// a file directory of people (sandbox only), and runs autoland's components
// in this process. It prints each bug's progress as it happens, then a
// summary table, and exits 0 only if every bug reached its expected end.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/process/subprocess.h"
#include "cli/command.h"
#include "cli/wiring.h"
#include "sandbox/bugzilla/bugzilla_server.h"
#include "util/log.h"
#include "util/strings.h"

namespace autoland::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

struct Scenario {
  BugId bug;
  std::string title;
  std::string whiteboard;
  std::string file, content, message;  // the patch: `file` gets `content`
  bool reviewed;
  std::string requester;
  std::string expected;  // the patchset's end, or "refused" (the request never became one)
};

std::vector<Scenario> scenarios() {
  const std::string dana = "dana@example.org";
  return {
      {1, "try only, green", "[autoland-try]", "b.txt", "b\n", "Bug 1 - Add b", false, dana, "reported"},
      {2, "try, then inbound: green", "[autoland-mozilla-inbound]", "c.txt", "c\n", "Bug 2 - Add c r=rita", true,
       dana, "landed"},
      {3, "try, red", "[autoland-try]", "FAIL", "x\n", "Bug 3 - Break the tests", false, dana, "failed"},
      {4, "inbound red after landing", "[autoland-mozilla-inbound]", "FAIL_ON_TRUNK", "x\n",
       "Bug 4 - Break trunk only r=rita", true, dana, "backed_out"},
      {5, "intermittent, passes on rerun", "[autoland-try]", "FLAKY", "5\n", "Bug 5 - Be flaky", false, dana,
       "reported"},
      {6, "no review for inbound", "[autoland-mozilla-inbound]", "d.txt", "d\n", "Bug 6 - Add d", false, dana,
       "rejected"},
      {7, "unknown branch", "[autoland-nosuch]", "e.txt", "e\n", "Bug 7 - Add e", false, dana, "refused"},
      {8, "malformed tag", "[autoland-try:abc]", "f.txt", "f\n", "Bug 8 - Add f", false, dana, "refused"},
      {9, "requester below level 3", "[autoland-mozilla-inbound]", "g.txt", "g\n", "Bug 9 - Add g r=rita", true,
       "junior@example.org", "rejected"},
  };
}

Result<std::string> hg(std::vector<std::string> args) {
  SpawnOptions o;
  o.argv = {"hg"};
  for (auto& a : args) o.argv.push_back(a);
  o.env_set = {{"HGPLAIN", "1"}};
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

#define SANDBOX_TRY_HG(...)              \
  do {                                   \
    auto r_ = hg(__VA_ARGS__);           \
    if (!r_) return r_.error();          \
  } while (0)

// The remotes and one patch per scenario (an hg export on the base).
Result<std::map<BugId, std::string>> make_repositories(const fs::path& dir) {
  const fs::path central = dir / "mozilla-central";
  SANDBOX_TRY_HG({"init", central.string()});
  AUTOLAND_TRY(write(central / "README", "A tiny project for the autoland sandbox.\n"));
  SANDBOX_TRY_HG({"commit", "-R", central.string(), "-A", "-m", "Initial import", "-u", "Sandbox <sandbox@example.org>"});
  SANDBOX_TRY_HG({"clone", "-q", central.string(), (dir / "mozilla-inbound").string()});
  SANDBOX_TRY_HG({"clone", "-q", central.string(), (dir / "try").string()});
  // try keeps every push as a draft head on top of trunk's public changesets.
  AUTOLAND_TRY(write(dir / "try" / ".hg" / "hgrc", "[phases]\npublish = False\n"));
  std::map<BugId, std::string> patches;
  for (const Scenario& s : scenarios()) {
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
  for (const Scenario& s : scenarios()) {
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
  json users = {
      {{"email", "autoland-bot@example.org"}, {"real_name", "Autoland Bot"}, {"api_key", "sandbox-bot-key"},
       {"groups", {"editbugs"}}},
      {{"email", "dana@example.org"}, {"real_name", "Dana Developer [:dana]"}, {"api_key", "sandbox-dana-key"},
       {"groups", {"editbugs"}}},
      {{"email", "rita@example.org"}, {"real_name", "Rita Reviewer [:rita]"}, {"api_key", "sandbox-rita-key"},
       {"groups", {"editbugs"}}},
      {{"email", "junior@example.org"}, {"real_name", "Jo Junior"}, {"api_key", "sandbox-junior-key"},
       {"groups", {"editbugs"}}}};
  return json{{"keywords", {"checkin-needed"}}, {"users", users}, {"bugs", bugs}}.dump();
}

std::string config_toml(const fs::path& dir, const std::string& bugzilla_url) {
  const std::string d = dir.string();
  const std::string flaky = "if [ -f FLAKY ]; then m=" + d + "/marks/flaky-$(cat FLAKY); [ -f $m ] || { touch $m; "
                            "echo 'TEST-UNEXPECTED-FAIL (intermittent)'; exit 1; }; fi";
  return "[store]\nurl = \"sqlite://" + d + "/autoland.db\"\n"
         "[log]\nlevel = \"warn\"\n"
         "[bugzilla]\nurl = \"" + bugzilla_url + "\"\napi_key = \"sandbox-bot-key\"\nbot_login = \"autoland-bot@example.org\"\n"
         "[queue]\ngrace_period_seconds = 1\n"
         "[vcs]\ncache_dir = \"" + d + "/cache\"\n"
         "[results]\ninterval_seconds = 1\n"
         "[run]\ntrigger_interval_seconds = 1\nqueue_interval_seconds = 1\ncommenter_interval_seconds = 1\n"
         "[directory]\nfile = \"" + d + "/people.json\"\n"
         "[ci.local]\nstate_dir = \"" + d + "/ci\"\nworkers = 2\n"
         "[[ci.local.jobs]]\nbranch = \"try\"\nname = \"build\"\ncommand = [\"sh\", \"-c\", \"test -f README\"]\nbuild = true\n"
         "[[ci.local.jobs]]\nbranch = \"try\"\nname = \"tests\"\ncommand = [\"sh\", \"-c\", \"test ! -f FAIL\"]\n"
         "[[ci.local.jobs]]\nbranch = \"try\"\nname = \"flaky-tests\"\ncommand = [\"sh\", \"-c\", " + json(flaky).dump() + "]\n"
         "[[ci.local.jobs]]\nbranch = \"mozilla-inbound\"\nname = \"build\"\ncommand = [\"sh\", \"-c\", \"test -f README && test ! -f FAIL_ON_TRUNK\"]\nbuild = true\n"
         "[[ci.local.jobs]]\nbranch = \"mozilla-central\"\nname = \"build\"\ncommand = [\"sh\", \"-c\", \"test -f README\"]\nbuild = true\n"
         "[[branches]]\nname = \"try\"\nrepo_url = \"" + d + "/try\"\nrequired_level = 1\nthreshold = 4\n"
         "default_try_syntax = \"try: -b do -p linux64 -u all\"\n"
         "[[branches]]\nname = \"mozilla-inbound\"\nrepo_url = \"" + d + "/mozilla-inbound\"\npretest_branch = \"try\"\n"
         "required_level = 3\nthreshold = 2\nmax_retriggers = 1\n"
         "[[branches]]\nname = \"mozilla-central\"\nrepo_url = \"" + d + "/mozilla-central\"\npretest_branch = \"try\"\n"
         "required_level = 3\n";
}

struct Args {
  std::string dir;
  bool keep_running = false;
  int timeout_seconds = 300;
};

std::string short_rev(const std::string& r) { return r.empty() ? "-" : r.substr(0, 12); }

int run_sandbox(const Args& args) {
  util::set_log_level(util::LogLevel::warn);
  fs::path dir = args.dir;
  if (dir.empty()) {
    char tmpl[] = "/tmp/autoland-sandbox-XXXXXX";
    if (!::mkdtemp(tmpl)) return fail("cannot make a temp dir");
    dir = tmpl;
  }
  fs::create_directories(dir / "marks");
  std::cout << "autoland sandbox in " << dir.string() << std::endl;
  auto patches = make_repositories(dir);
  if (!patches) return fail(patches.error());
  auto server = sandbox::BugzillaServer::start(seed(*patches), {});
  if (!server) return fail(server.error());
  if (Status s = write(dir / "people.json", R"({"people": [
    {"bugzilla_email": "dana@example.org", "level": 3},
    {"bugzilla_email": "rita@example.org", "level": 3},
    {"bugzilla_email": "junior@example.org", "level": 1}]})");
      !s.ok()) {
    return fail(s.error());
  }
  if (Status s = write(dir / "autoland.toml", config_toml(dir, (*server)->url())); !s.ok()) return fail(s.error());
  std::cout << "Bugzilla (sandbox) at " << (*server)->url() << "; hg remotes try, mozilla-inbound, mozilla-central; "
            << "local CI; " << scenarios().size() << " bugs tagged" << std::endl;

  Invocation inv;
  inv.options.config_path = (dir / "autoland.toml").string();
  auto w = wire(inv);
  if (!w) return fail(w.error());
  Wiring& wiring = **w;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::thread components([&wiring] { run_components(wiring, g_stop); });

  // Progress: a line whenever a bug's request moves.
  const auto start = SteadyClock::now();
  std::map<BugId, std::string> seen, outcome;
  std::map<BugId, PatchSet> last;
  auto elapsed = [&] {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%5.1fs",
                  std::chrono::duration<double>(SteadyClock::now() - start).count());
    return std::string(buf);
  };
  bool done = false;
  while (!g_stop && !done) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    auto all = wiring.store->find_patchsets({});
    if (!all) continue;
    for (const PatchSet& ps : *all) last[ps.bug_id] = ps;
    done = true;
    for (const Scenario& s : scenarios()) {
      std::string now;
      auto it = last.find(s.bug);
      if (it != last.end()) {
        const PatchSet& ps = it->second;
        now = std::string(to_string(ps.state)) + (ps.stage == Stage::landing && !is_terminal(ps.state) ? " (landing)" : "");
        if (is_terminal(ps.state)) outcome[s.bug] = std::string(to_string(ps.state));
      } else {
        // A refused request leaves no patchset, only its comment.
        for (const sandbox::PostedComment& c : (*server)->comments(s.bug)) {
          if (c.text.find("Autoland: Step") != std::string::npos) now = outcome[s.bug] = "refused";
        }
      }
      if (!now.empty() && seen[s.bug] != now) {
        seen[s.bug] = now;
        std::printf("%s  bug %-2llu %-34s %s\n", elapsed().c_str(), static_cast<unsigned long long>(s.bug),
                    s.title.c_str(), now.c_str());
        std::fflush(stdout);
      }
      if (!outcome.count(s.bug)) done = false;
    }
    auto pending = wiring.store->due_comments(wiring.clock.now() + 100000, 1);
    if (done && pending && !pending->empty()) done = false;  // comments still to post
    if (SteadyClock::now() - start > std::chrono::seconds(args.timeout_seconds)) break;
  }

  // The summary.
  bool all_ok = true;
  std::printf("\n%-4s %-34s %-11s %-11s %-14s %-14s %s\n", "bug", "scenario", "expected", "outcome", "try",
              "landed", "comments");
  for (const Scenario& s : scenarios()) {
    std::string got = outcome.count(s.bug) ? outcome[s.bug] : "(unfinished)";
    bool ok = got == s.expected;
    all_ok = all_ok && ok;
    int comments = 0;
    for (const sandbox::PostedComment& c : (*server)->comments(s.bug)) {
      comments += c.text.find("autoland-dedup:") != std::string::npos;
    }
    const PatchSet* ps = last.count(s.bug) ? &last[s.bug] : nullptr;
    std::printf("%-4llu %-34s %-11s %-11s %-14s %-14s %d%s\n", static_cast<unsigned long long>(s.bug), s.title.c_str(),
                s.expected.c_str(), got.c_str(), ps ? short_rev(ps->try_revision).c_str() : "-",
                ps ? short_rev(ps->landing_revision).c_str() : "-", comments, ok ? "" : "   <-- not as expected");
  }
  std::printf("\n%s in %s\n", all_ok ? "every bug reached its expected end" : "SOME BUGS DID NOT END AS EXPECTED",
              elapsed().c_str());
  std::fflush(stdout);

  if (args.keep_running && !g_stop) {
    std::cout << "\nStill running (Ctrl-C stops it): Bugzilla at " << (*server)->url()
              << " (API key sandbox-dana-key for dana@example.org); tag a bug and watch it go; config "
              << (dir / "autoland.toml").string() << std::endl;
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  g_stop = true;
  components.join();
  if (args.dir.empty() && all_ok) fs::remove_all(dir);
  return all_ok ? kExitOk : kExitFailed;
}

}  // namespace

void register_sandbox_cycle(CLI::App* sandbox, Invocation& inv) {
  auto args = std::make_shared<Args>();
  sandbox->add_option("--dir", args->dir, "Where to put everything (default: a temp dir, removed after a good run)");
  sandbox->add_flag("--keep-running", args->keep_running, "Stay up after the scenarios, to play with");
  sandbox->add_option("--timeout", args->timeout_seconds, "Give up on the scenarios after this many seconds")
      ->capture_default_str();
  sandbox->callback([&inv, args, sandbox] {
    if (!sandbox->get_subcommands().empty()) return;  // `sandbox bugzilla` and the like
    inv.action = [args] { return run_sandbox(*args); };
  });
}

}  // namespace autoland::cli
