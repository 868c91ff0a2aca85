// autoland sandbox: the whole cycle on this machine, with nobody touching a
// terminal. Under a temp dir (or --dir) it makes local hg remotes (try,
// mozilla-central, mozilla-inbound) holding a tiny project, starts the
// sandbox Bugzilla with a bug tagged for each scenario, a local CI runner and
// a directory of people (a throwaway slapd when installed, else a file), and
// runs autoland's components in this process, or with --crash-rounds N as
// `autoland run` child processes killed N times at random moments. It prints
// each bug's progress as it happens, then a summary table, checks that every
// comment, push and landing happened exactly once, and exits 0 only if every
// bug reached its expected end.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "adapters/process/hg_environment.h"
#include "adapters/process/subprocess.h"
#include "api/api_auth.h"
#include "app/run_components.h"
#include "app/store_factory.h"
#include "cli/command.h"
#include "cli/wiring.h"
#include "core/comments.h"
#include "sandbox/bugzilla/bugzilla_server.h"
#include "sandbox/ldap/throwaway_slapd.h"
#include "util/log.h"
#include "util/ports.h"
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
  int comments;          // what the bug must have heard, once each
  bool try_push;         // pushed to try once
  bool lands;            // lands on mozilla-inbound once
  enum class Act { none, make_private, take_back } act = Act::none;
};

// Not a scenario: a reviewed patch on an untagged bug, for a newcomer to
// land with `autoland ctl bug request` (or a tag) under --keep-running.
Scenario spare() {
  return {12,   "spare: yours to land", "", "j.txt", "j\n", "Bug 12 - Add j r=rita",
          true, "dana@example.org",     "", 0,       false, false};
}

std::vector<Scenario> scenarios() {
  const std::string dana = "dana@example.org";
  using A = Scenario::Act;
  return {
      {1, "try only, green", "[autoland-try]", "b.txt", "b\n", "Bug 1 - Add b", false, dana, "reported", 1, true,
       false},
      // No r= in the message: the landing gets r=rita from the flag.
      {2, "try, then inbound: green", "[autoland-mozilla-inbound]", "c.txt", "c\n", "Bug 2 - Add c", true, dana,
       "landed", 2, true, true},
      {3, "try, red", "[autoland-try]", "FAIL", "x\n", "Bug 3 - Break the tests", false, dana, "failed", 1, true,
       false},
      {4, "inbound red after landing", "[autoland-mozilla-inbound]", "FAIL_ON_TRUNK", "x\n",
       "Bug 4 - Break trunk only r=rita", true, dana, "backed_out", 2, true, true},
      {5, "intermittent, passes on rerun", "[autoland-try]", "FLAKY", "5\n", "Bug 5 - Be flaky", false, dana,
       "reported", 1, true, false},
      {6, "no review for inbound", "[autoland-mozilla-inbound]", "d.txt", "d\n", "Bug 6 - Add d", false, dana,
       "rejected", 1, false, false},
      {7, "unknown branch", "[autoland-nosuch]", "e.txt", "e\n", "Bug 7 - Add e", false, dana, "refused", 1, false,
       false},
      {8, "malformed tag", "[autoland-try:abc]", "f.txt", "f\n", "Bug 8 - Add f", false, dana, "refused", 1, false,
       false},
      {9, "requester below level 3", "[autoland-mozilla-inbound]", "g.txt", "g\n", "Bug 9 - Add g r=rita", true,
       "junior@example.org", "rejected", 1, false, false},
      // Made private (to "security", which the bot is not in) once on try:
      // its results cannot be posted and nothing lands.
      {10, "bug made private mid-run", "[autoland-mozilla-inbound]", "h.txt", "h\n", "Bug 10 - Add h r=rita", true,
       dana, "failed", 0, true, false, A::make_private},
      // Dana takes the marker off during the grace period.
      {11, "taken back in the grace period", "[autoland-try]", "i.txt", "i\n", "Bug 11 - Add i", false, dana,
       "cancelled", 1, false, false, A::take_back},
  };
}

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

// Who may land where: a throwaway slapd when Debian's is installed, else a
// file (sandbox only).
struct People {
  std::unique_ptr<sandbox::ThrowawaySlapd> slapd;
  std::string toml;         // the config's [ldap] or [directory] part
  std::string description;  // for the banner
};

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

struct Args {
  std::string dir;
  bool keep_running = false;
  int timeout_seconds = 300;
  int crash_rounds = 0;
};

std::string short_rev(const std::string& r) { return r.empty() ? "-" : r.substr(0, 12); }

std::mutex g_print;
SteadyClock::time_point g_start;

void say(const std::string& line) {
  std::lock_guard lock(g_print);
  char stamp[16];
  std::snprintf(stamp, sizeof stamp, "%5.1fs  ", std::chrono::duration<double>(SteadyClock::now() - g_start).count());
  std::cout << stamp << line << std::endl;
}

// Watches the store and the sandbox Bugzilla: a line whenever a bug's request
// moves, and the scenarios' own moves (taking a request back, making a bug
// private) at their moment.
class Monitor {
 public:
  Monitor(Store& store, sandbox::BugzillaServer& server) : store_(store), server_(server) {}

  // True once every bug has reached its end and no comment waits.
  bool tick() {
    auto all = store_.find_patchsets({});
    if (!all) return false;
    for (const PatchSet& ps : *all) last_[ps.bug_id] = ps;
    bool done = true;
    for (const Scenario& s : scenarios()) {
      act(s);
      std::string now;
      auto it = last_.find(s.bug);
      if (it != last_.end()) {
        const PatchSet& ps = it->second;
        now = std::string(to_string(ps.state)) +
              (ps.stage == Stage::landing && !is_terminal(ps.state) ? " (landing)" : "");
        if (is_terminal(ps.state)) outcome_[s.bug] = std::string(to_string(ps.state));
      } else {
        // A refused request leaves no patchset, only its comment.
        for (const sandbox::PostedComment& c : server_.comments(s.bug)) {
          if (c.text.find("Autoland: Step") != std::string::npos) now = outcome_[s.bug] = "refused";
        }
      }
      if (!now.empty() && seen_[s.bug] != now) {
        seen_[s.bug] = now;
        char line[160];
        std::snprintf(line, sizeof line, "bug %-2llu %-34s %s", static_cast<unsigned long long>(s.bug), s.title.c_str(),
                      now.c_str());
        say(line);
      }
      if (!outcome_.count(s.bug)) done = false;
    }
    auto pending = store_.due_comments(std::numeric_limits<UnixTime>::max() / 2, 1);
    return done && pending && pending->empty();
  }

  std::string outcome(BugId bug) const {
    auto it = outcome_.find(bug);
    return it == outcome_.end() ? "(unfinished)" : it->second;
  }
  const PatchSet* patchset(BugId bug) const {
    auto it = last_.find(bug);
    return it == last_.end() ? nullptr : &it->second;
  }

 private:
  void act(const Scenario& s) {
    if (s.act == Scenario::Act::none || acted_.count(s.bug)) return;
    auto it = last_.find(s.bug);
    if (it == last_.end()) return;
    if (s.act == Scenario::Act::take_back) {
      // As soon as it is queued, well inside the grace period.
      if (server_.set_whiteboard(s.bug, "", s.requester).ok()) {
        acted_.insert(s.bug);
        say("bug " + std::to_string(s.bug) + "  " + s.requester + " takes the request back (clears the whiteboard)");
      }
    } else if (s.act == Scenario::Act::make_private && !it->second.try_revision.empty()) {
      if (server_.set_groups(s.bug, {"security"}, "rita@example.org").ok()) {
        acted_.insert(s.bug);
        say("bug " + std::to_string(s.bug) + "  made private (security group) while its try run goes on");
      }
    }
  }

  Store& store_;
  sandbox::BugzillaServer& server_;
  std::map<BugId, PatchSet> last_;
  std::map<BugId, std::string> seen_, outcome_;
  std::set<BugId> acted_;
};

// `hg log` first lines of a remote.
std::vector<std::string> summaries(const fs::path& repo) {
  std::vector<std::string> out;
  auto log = hg({"log", "-R", repo.string(), "-T", "{desc|firstline}\n"});
  if (!log) return out;
  for (std::string_view line : util::split(*log, '\n')) {
    if (!line.empty()) out.emplace_back(line);
  }
  return out;
}

int count_prefix(const std::vector<std::string>& lines, const std::string& prefix) {
  return static_cast<int>(
      std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.rfind(prefix, 0) == 0; }));
}

// Exactly once, counted where it happened: comments on the sandbox Bugzilla
// (each event once, as many as the scenario makes), pushes and landings
// with `hg log` on the remotes. Returns the problems found.
std::vector<std::string> check_exactly_once(const fs::path& dir, sandbox::BugzillaServer& server, int* comments_total) {
  std::vector<std::string> problems;
  const auto tried = summaries(dir / "try");
  const auto inbound = summaries(dir / "mozilla-inbound");
  const auto central = summaries(dir / "mozilla-central");
  *comments_total = 0;
  for (const Scenario& s : scenarios()) {
    const std::string bug = "bug " + std::to_string(s.bug);
    std::map<std::string, int> keys;
    int posted = 0;
    for (const sandbox::PostedComment& c : server.comments(s.bug)) {
      auto marker = find_dedup_marker(c.text);
      if (!marker) continue;
      const std::string& key = *marker;
      ++posted;
      if (++keys[key] == 2) problems.push_back(bug + ": the comment " + key + " was posted more than once");
    }
    *comments_total += posted;
    if (posted != s.comments) {
      problems.push_back(bug + ": " + std::to_string(posted) + " comments, expected " + std::to_string(s.comments));
    }
    const std::string prefix = "Bug " + std::to_string(s.bug) + " - ";
    int on_try = count_prefix(tried, prefix), landed = count_prefix(inbound, prefix);
    if (on_try != (s.try_push ? 1 : 0)) {
      problems.push_back(bug + ": " + std::to_string(on_try) + " copies on try, expected " + (s.try_push ? "1" : "0"));
    }
    if (landed != (s.lands ? 1 : 0)) {
      problems.push_back(bug + ": " + std::to_string(landed) + " copies on mozilla-inbound, expected " +
                         (s.lands ? "1" : "0"));
    }
    int backouts = 0;
    for (const std::string& l : inbound) {
      backouts += l.rfind("Backed out", 0) == 0 && l.find("(" + bug + ")") != std::string::npos;
    }
    int wanted_backouts = s.expected == "backed_out" ? 1 : 0;
    if (backouts != wanted_backouts) {
      problems.push_back(bug + ": " + std::to_string(backouts) + " backouts, expected " +
                         std::to_string(wanted_backouts));
    }
  }
  if (count_prefix(inbound, "Bug 2 - Add c r=rita") != 1) {
    problems.push_back("bug 2: the landed message did not get r=rita from the review flag");
  }
  if (central.size() != 1) problems.push_back("mozilla-central changed: nothing lands there in the sandbox");
  return problems;
}

// `autoland run` as a child process, its output appended to run.log.
Result<Subprocess> spawn_run(const fs::path& dir) {
  SpawnOptions o;
  o.argv = {"/proc/self/exe", "--config", (dir / "autoland.toml").string(), "run"};
  o.output_file = (dir / "run.log").string();
  return Subprocess::spawn(o);
}

int run_sandbox(const Args& args) {
  util::set_log_level(util::LogLevel::warn);
  g_start = SteadyClock::now();
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
  auto people = start_directory(dir);
  if (!people) return fail(people.error());
  // The API, with a sheriff token made for this run (only its hash is in the config).
  const int api_port = util::unused_local_port();
  const std::string token = api::random_token();
  if (Status s = write(dir / "autoland.toml",
                       config_toml(dir, (*server)->url(), people->toml, api_port, api::sha256_hex(token)));
      !s.ok()) {
    return fail(s.error());
  }
  if (Status s = write(dir / "api-token", token + "\n"); !s.ok()) return fail(s.error());
  const std::string api_url = "http://127.0.0.1:" + std::to_string(api_port);
  std::cout << "Bugzilla (sandbox) at " << (*server)->url() << "; hg remotes try, mozilla-inbound, mozilla-central; "
            << "local CI; " << people->description << "; autoland API at " << api_url << "; " << scenarios().size()
            << " bugs tagged" << std::endl;

  Invocation inv;
  inv.options.config_path = (dir / "autoland.toml").string();
  {
    SystemClock clock;
    auto created = open_store("sqlite://" + (dir / "autoland.db").string(), clock, true, /*create=*/true);
    if (!created) return fail(created.error());  // as `autoland db init`
  }
  auto w = wire(inv);
  if (!w) return fail(w.error());
  Wiring& wiring = **w;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::atomic<bool> finished{false};   // the summary is out: stop the last child
  std::atomic<bool> all_ended{false};  // every bug has reached its end
  std::atomic<bool> last_child_up{false};
  std::atomic<int> kills_mid_run{0};  // kills while some bug was still on its way
  int final_exit = 0;
  std::printf("set up in %.1fs; from here on, times count from autoland's start\n",
              std::chrono::duration<double>(SteadyClock::now() - g_start).count());
  g_start = SteadyClock::now();
  std::thread components;
  if (args.crash_rounds <= 0) {
    components = std::thread([&wiring] {
      Status ran = run_components(wiring, g_stop);
      if (!ran.ok()) LOG_ERROR("sandbox", ran.error().message);
    });
  } else {
    // `autoland run` in a child process, killed with SIGKILL at random
    // moments and started again each time; then one that runs to the end
    // and is stopped with SIGTERM (it must drain and exit 0).
    std::cout << "autoland run as a child process, killed with SIGKILL " << args.crash_rounds
              << " times at random moments (log: " << (dir / "run.log").string() << ")" << std::endl;
    components = std::thread([&, rounds = args.crash_rounds] {
      std::mt19937 random(std::random_device{}());
      std::uniform_int_distribution<int> pause_ms(150, 1000);
      for (int k = 1; k <= rounds && !g_stop; ++k) {
        auto child = spawn_run(dir);
        if (!child) {
          say("cannot start autoland run: " + child.error().message);
          g_stop = true;
          return;
        }
        int ms = pause_ms(random);
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        child->kill_now();
        child->wait();
        if (!all_ended) ++kills_mid_run;
        say("kill -9 " + std::to_string(k) + "/" + std::to_string(rounds) + " after " + std::to_string(ms) + " ms");
      }
      if (g_stop) return;
      auto child = spawn_run(dir);
      if (!child) {
        say("cannot start autoland run: " + child.error().message);
        g_stop = true;
        return;
      }
      last_child_up = true;
      // At least a second up, so that SIGTERM finds its handler in place.
      std::this_thread::sleep_for(std::chrono::seconds(1));
      while (!finished && !g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ::kill(child->pid(), SIGTERM);
      final_exit = child->wait();
    });
  }

  Monitor monitor(*wiring.store, **server);
  bool done = false;
  while (!g_stop && !done) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    done = monitor.tick();
    if (done) all_ended = true;
    // With kills, it ends only when the last child runs (and is found idle).
    if (args.crash_rounds > 0) done = done && last_child_up;
    if (SteadyClock::now() - g_start > std::chrono::seconds(args.timeout_seconds)) break;
  }
  const double took = std::chrono::duration<double>(SteadyClock::now() - g_start).count();

  // The summary.
  bool all_ok = true;
  std::printf("\n%-4s %-34s %-11s %-11s %-14s %-14s %s\n", "bug", "scenario", "expected", "outcome", "try", "landed",
              "comments");
  for (const Scenario& s : scenarios()) {
    std::string got = monitor.outcome(s.bug);
    bool ok = got == s.expected;
    all_ok = all_ok && ok;
    int comments = 0;
    for (const sandbox::PostedComment& c : (*server)->comments(s.bug))
      comments += find_dedup_marker(c.text).has_value();
    const PatchSet* ps = monitor.patchset(s.bug);
    std::printf("%-4llu %-34s %-11s %-11s %-14s %-14s %d%s\n", static_cast<unsigned long long>(s.bug), s.title.c_str(),
                s.expected.c_str(), got.c_str(), ps ? short_rev(ps->try_revision).c_str() : "-",
                ps ? short_rev(ps->landing_revision).c_str() : "-", comments, ok ? "" : "   <-- not as expected");
    if (!ok && ps) std::printf("     why: %s\n", ps->state_reason.c_str());
  }
  int comments_total = 0;
  std::vector<std::string> problems = check_exactly_once(dir, **server, &comments_total);
  for (const std::string& p : problems) std::printf("exactly once: %s\n", p.c_str());
  if (problems.empty()) {
    std::printf(
        "\nexactly once: %d comments on %zu bugs, no event twice; one try push per try run; "
        "each landing and backout once on mozilla-inbound\n",
        comments_total, scenarios().size());
  }
  all_ok = all_ok && problems.empty();
  std::string kills;
  if (args.crash_rounds > 0) {
    kills = " with " + std::to_string(args.crash_rounds) + " kills (" + std::to_string(kills_mid_run.load()) +
            " of them before every bug had ended)";
  }
  std::printf("%s in %.1fs%s\n", all_ok ? "every bug reached its expected end" : "SOME BUGS DID NOT END AS EXPECTED",
              took, kills.c_str());
  std::fflush(stdout);

  if (args.keep_running && !g_stop) {
    std::error_code ec;
    std::string self = fs::read_symlink("/proc/self/exe", ec).string();
    if (ec) self = "autoland";
    std::cout << "\nStill running (Ctrl-C stops it).\n"
              << "  Bugzilla      " << (*server)->url() << "  (API key sandbox-dana-key acts as dana@example.org)\n"
              << "  autoland API  " << api_url << "  token " << token << "  (sheriff; also in "
              << (dir / "api-token").string() << ")\n"
              << "  config        " << (dir / "autoland.toml").string() << "\n\n"
              << "Try the kill switch on bug 12 (reviewed, not yet asked for):\n"
              << "  export AUTOLAND_URL=" << api_url << " AUTOLAND_TOKEN=" << token << "\n"
              << "  " << self << " ctl killswitch on\n"
              << "  " << self
              << " ctl bug request 12 --branch mozilla-inbound --patch 120 --requester dana@example.org\n"
              << "  " << self << " ctl queue                # it waits: nothing is pushed\n"
              << "  " << self << " ctl killswitch off       # it goes: try, then mozilla-inbound\n"
              << "  " << self << " ctl bug show 12\n"
              << std::endl;
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  finished = true;
  g_stop = true;
  components.join();
  if (args.crash_rounds > 0 && final_exit != 0) {
    std::printf("autoland run did not stop cleanly on SIGTERM (exit %d)\n", final_exit);
    all_ok = false;
  }
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
  sandbox
      ->add_option("--crash-rounds", args->crash_rounds,
                   "Run autoland as a child process and kill it with SIGKILL this many times at random moments")
      ->check(CLI::Range(0, 1000));
  sandbox->callback([&inv, args, sandbox] {
    if (!sandbox->get_subcommands().empty()) return;  // `sandbox bugzilla` and the like
    inv.action = [args] { return run_sandbox(*args); };
  });
}

}  // namespace autoland::cli
