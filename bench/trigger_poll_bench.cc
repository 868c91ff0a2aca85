// The trigger's poll cost against the sandbox Bugzilla over real HTTP:
//  1. 10,000 tagged bugs (already queued), nothing new: requests and time;
//  2. 100 new requests among them: requests per new request and time.
// Baseline in the same run: a naive poller that searches without a cursor
// and fetches every tagged bug. Prints figures and ratios.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "adapters/bugzilla/bugzilla_client.h"
#include "app/store_factory.h"
#include "sandbox/bugzilla/bugzilla_server.h"
#include "services/trigger/trigger.h"
#include "util/log.h"

using namespace autoland;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

namespace {

double ms_since(Steady::time_point start) {
  return std::chrono::duration<double, std::milli>(Steady::now() - start).count();
}

}  // namespace

int main() {
  util::set_log_level(util::LogLevel::error);
  constexpr int kBugs = 10000, kNew = 100;
  json bugs = json::array();
  for (int b = 1; b <= kBugs; ++b) {
    std::string patch = "diff --git a/f" + std::to_string(b) + " b/f" + std::to_string(b) + "\n--- a/f" +
                        std::to_string(b) + "\n+++ b/f" + std::to_string(b) + "\n@@ -1 +1 @@\n-a\n+b\n";
    // Changed over the past weeks, one bug a minute.
    std::time_t t = 1'760'000'000 + 60 * static_cast<std::time_t>(b);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    bugs.push_back({{"id", b},
                    {"creation_time", when},
                    {"whiteboard", "[autoland-in-queue] [triaged]"},
                    {"attachments", json::array({{{"id", b}, {"summary", "fix"}, {"data", patch}}})}});
  }
  json seed = {{"users", json::array({{{"email", "bot@example.org"}, {"api_key", "k"}, {"groups", {"editbugs"}}},
                                      {{"email", "dev@example.org"}, {"api_key", "d"}}})},
               {"bugs", bugs}};
  auto server = sandbox::BugzillaServer::start(seed.dump(), {});
  if (!server) {
    std::fprintf(stderr, "sandbox: %s\n", server.error().message.c_str());
    return 1;
  }
  SystemClock clock;
  auto store = open_store("sqlite://:memory:", clock);
  Branch try_branch;
  try_branch.name = "try";
  try_branch.repo_url = "/r/try";
  try_branch.required_level = 1;
  try_branch.threshold = 1000;
  (void)(*store)->create_branch(try_branch, "bench");
  BugzillaOptions options;
  options.base_url = (*server)->url();
  options.api_key = "k";
  options.key_in_query = true;
  BugzillaClient client(options, make_curl_transport({}));
  Trigger trigger(**store, client, {});

  auto requests = [&] { return (*server)->stats().requests; };

  // Warm-up pass without a cursor: one search over all 10,000 bugs.
  uint64_t before = requests();
  auto start = Steady::now();
  auto first = trigger.poll_once();
  double first_ms = ms_since(start);
  uint64_t first_requests = requests() - before;

  // Nothing new since: the cursor keeps the search tiny.
  before = requests();
  start = Steady::now();
  auto idle = trigger.poll_once();
  double idle_ms = ms_since(start);
  uint64_t idle_requests = requests() - before;

  // Baseline: a naive poller reads every tagged bug each pass.
  before = requests();
  start = Steady::now();
  auto all = client.search({.whiteboard_substring = "[autoland-"});
  size_t fetched = 0;
  if (all) {
    for (const BugSummary& b : *all) fetched += client.get_bug(b.id).ok();
  }
  double naive_ms = ms_since(start);
  uint64_t naive_requests = requests() - before;

  // 100 developers tag their bugs.
  for (int i = 0; i < kNew; ++i) {
    BugId b = static_cast<BugId>(1 + i * (kBugs / kNew));
    (void)(*server)->set_whiteboard(b, "[triaged] [autoland-try]", "dev@example.org");
  }
  before = requests();
  start = Steady::now();
  auto fresh = trigger.poll_once();
  double fresh_ms = ms_since(start);
  uint64_t fresh_requests = requests() - before;

  if (!first || !idle || !fresh || !fresh->patchsets_created) {
    std::fprintf(stderr, "a poll failed\n");
    return 1;
  }
  std::printf("poll over %d tagged bugs, first pass (no cursor): %llu request(s), %.1f ms\n", kBugs,
              static_cast<unsigned long long>(first_requests), first_ms);
  std::printf("poll with nothing new: %llu request(s) (target 1), %.2f ms, %zu bugs in the answer\n",
              static_cast<unsigned long long>(idle_requests), idle_ms, idle->bugs_seen);
  std::printf("baseline naive poll (search + fetch every tagged bug): %llu requests, %.1f ms (%zu bugs)\n",
              static_cast<unsigned long long>(naive_requests), naive_ms, fetched);
  std::printf("idle poll vs naive: %.0fx fewer requests, %.0fx less time\n",
              static_cast<double>(naive_requests) / static_cast<double>(idle_requests), naive_ms / idle_ms);
  std::printf(
      "poll with %d new requests: %llu requests (%.2f per new request), %.1f ms (%.2f ms per request), %zu "
      "patchsets queued\n",
      kNew, static_cast<unsigned long long>(fresh_requests), static_cast<double>(fresh_requests) / kNew, fresh_ms,
      fresh_ms / kNew, fresh->patchsets_created);
  std::printf("at Bugzilla's ~0.4 s of CPU per request: idle poll %.1f s, naive %.0f s of server CPU\n",
              0.4 * static_cast<double>(idle_requests), 0.4 * static_cast<double>(naive_requests));
  return 0;
}
