#include "sandbox/cycle/setup.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "api/api_auth.h"
#include "app/config_writer.h"
#include "core/comments.h"
#include "sandbox/cycle/oracle.h"
#include "sandbox/cycle/scenarios.h"
#include "util/log.h"
#include "util/ports.h"

namespace autoland::sandbox::cycle {

namespace fs = std::filesystem;

Result<Setup> set_up(const CycleOptions& args) {
  util::set_log_level(util::LogLevel::warn);
  restart_clock();
  set_bulk_scenarios(args.bulk);
  Setup w;
  w.dir = args.dir;
  if (w.dir.empty()) {
    char tmpl[] = "/tmp/autoland-sandbox-XXXXXX";
    if (!::mkdtemp(tmpl)) return internal_error("cannot make a temp dir");
    w.dir = tmpl;
    // mkdtemp's 0700 would keep out the servers that run under their own
    // accounts (PostgreSQL as postgres): they may pass through, not list.
    std::error_code ec;
    fs::permissions(w.dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec, ec);
  }
  fs::create_directories(w.dir / "marks");
  std::cout << "autoland sandbox in " << w.dir.string() << std::endl;
  AUTOLAND_TRY_ASSIGN(auto patches, make_repositories(w.dir));
  AUTOLAND_TRY_ASSIGN(w.server, sandbox::BugzillaServer::start(seed(patches), {}));
  AUTOLAND_TRY_ASSIGN(w.people, start_directory(w.dir));
  // The API, with a sheriff token made for this run (only its hash is in the config).
  const int api_port = util::unused_local_port();
  w.token = api::random_token();
  AUTOLAND_TRY_ASSIGN(w.config, sandbox_config(w.dir, w.server->url(), w.people, api_port, api::sha256_hex(w.token)));
  w.api_url = "http://127.0.0.1:" + std::to_string(api_port);
  // dana asks for every bulk bug at once: more than one person's usual share.
  w.config.max_requests_per_requester = std::max(w.config.max_requests_per_requester, args.bulk + 20);
  return w;
}

Status write_config(const Setup& w) {
  AUTOLAND_TRY(write(w.dir / "autoland.toml", to_toml(w.config)));
  return write(w.dir / "api-token", w.token + "\n");
}

bool summarize(Monitor& monitor, Setup& w, const std::string& ending) {
  bool all_ok = true;
  std::printf("\n%-4s %-34s %-11s %-11s %-14s %-14s %s\n", "bug", "scenario", "expected", "outcome", "try", "landed",
              "comments");
  int bulk_ok = 0, bulk = 0;
  for (const Scenario& s : scenarios()) {
    std::string got = monitor.outcome(s.bug);
    bool ok = got == s.expected;
    all_ok = all_ok && ok;
    if (is_bulk(s)) {
      ++bulk;
      bulk_ok += ok;
      if (ok) continue;  // only the bulk bugs that went wrong get a line
    }
    int comments = 0;
    for (const sandbox::PostedComment& c : w.server->comments(s.bug)) comments += find_dedup_marker(c.text).has_value();
    const PatchSet* ps = monitor.patchset(s.bug);
    std::printf("%-4llu %-34s %-11s %-11s %-14s %-14s %d%s\n", static_cast<unsigned long long>(s.bug), s.title.c_str(),
                s.expected.c_str(), got.c_str(), ps ? short_rev(ps->try_revision).c_str() : "-",
                ps ? short_rev(ps->landing_revision).c_str() : "-", comments, ok ? "" : "   <-- not as expected");
    if (!ok && ps) std::printf("     why: %s\n", ps->state_reason.c_str());
  }
  if (bulk > 0) std::printf("and %d bulk bugs: %d at their expected end\n", bulk, bulk_ok);
  int comments_total = 0;
  std::vector<std::string> problems = check_exactly_once(w.dir, *w.server, &comments_total);
  for (const std::string& p : problems) std::printf("exactly once: %s\n", p.c_str());
  if (problems.empty()) {
    std::printf(
        "\nexactly once: %d comments on %zu bugs, no event twice; one try push per try run; "
        "each landing and backout once on mozilla-inbound\n",
        comments_total, scenarios().size());
  }
  all_ok = all_ok && problems.empty();
  std::printf("%s in %.1fs%s\n", all_ok ? "every bug reached its expected end" : "SOME BUGS DID NOT END AS EXPECTED",
              seconds_since_start(), ending.c_str());
  std::fflush(stdout);
  return all_ok;
}

}  // namespace autoland::sandbox::cycle
