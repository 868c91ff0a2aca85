#include "adapters/ci/buildbot/buildbot_ci.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "adapters/http/json_call.h"
#include "util/log.h"
#include "util/mutex.h"
#include "util/strings.h"

namespace autoland {

namespace {

using json = nlohmann::json;

constexpr int kPushPage = 100;
// Change ids are read again this far back: on a PostgreSQL or MySQL master a
// lower id can commit after a higher one, and a push must not be skipped.
constexpr int64_t kCursorOverlap = 50;

// buildbot's result codes in the core's vocabulary.
JobResult result_of(int code) {
  switch (code) {
    case 0: return JobResult::success;
    case 1: return JobResult::warnings;
    case 2: return JobResult::failure;
    case 3: return JobResult::success;  // skipped: nothing ran, nothing failed
    case 4: return JobResult::exception;
    case 5: return JobResult::retry;
    case 6: return JobResult::usercancel;
    default: return JobResult::exception;  // a code newer than 3.x: look at it, do not pass it
  }
}

bool failed(int code) { return code == 1 || code == 2 || code == 4; }

bool has_int(const json& j, const char* key) { return j.is_object() && j.contains(key) && j[key].is_number_integer(); }

}  // namespace

namespace {

struct Api {
  const BuildbotOptions& options;
  const std::string& link_url;
  HttpTransport& transport;
  std::atomic<uint64_t>& requests;

  Result<json> call(const std::string& method, const std::string& path, const std::string& body = "") {
    HttpRequest request;
    request.method = method;
    request.url = options.url + "/api/v2" + path;
    request.timeout_ms = options.timeout_ms;
    request.headers = {{"Accept", "application/json"}};
    if (!body.empty()) {
      request.headers.emplace_back("Content-Type", "application/json");
      request.body = body;
    }
    ++requests;
    auto answer = call_json(transport, request, "buildbot at " + link_url, path);
    // Every path asked for exists on a buildbot 3.x master (an unknown
    // revision is an empty list): a 404 means the URL is wrong.
    if (!answer && answer.error().kind == ErrorKind::not_found) {
      return invalid_input(answer.error().message + " (is ci.buildbot.url the master's web root?)");
    }
    return answer;
  }

  // The list under `key` of a collection answer.
  Result<json> list(const std::string& path, const char* key) {
    AUTOLAND_TRY_ASSIGN(auto answer, call("GET", path));
    return json_list(answer, key, "buildbot", path);
  }
};

// Keyed by build id (the order builds started in) or by request id.
using ById = std::map<int64_t, json>;

// Started builds of the push's changes, rebuilds included (they share the
// sourcestamp).
Result<ById> builds_of_changes(Api& api, const std::vector<int64_t>& changes) {
  ById builds;
  for (int64_t change : changes) {
    AUTOLAND_TRY_ASSIGN(auto list, api.list("/changes/" + std::to_string(change) + "/builds", "builds"));
    for (json& b : list) {
      if (!has_int(b, "buildid")) continue;
      const int64_t id = b["buildid"].get<int64_t>();  // before the move: the right side goes first
      builds[id] = std::move(b);
    }
  }
  return builds;
}

// A request that has no build of its own: waiting, cancelled, or ended
// without running here.
CiJob job_of_request(int64_t brid, const json& r, std::string name, const std::string& link_url,
                     const std::string& revision) {
  CiJob job;
  job.id = "request-" + std::to_string(brid);
  job.name = std::move(name);
  job.url = link_url + "/#/buildrequests/" + std::to_string(brid);
  if (!json_bool(r, "complete", false)) return job;  // not claimed, or its build not created yet: coming
  job.state = JobState::completed;
  int code = static_cast<int>(json_int(r, "results", 2));
  if (code == 6) {
    job.result = JobResult::usercancel;
  } else {
    // Ended without running here: buildbot collapsed it into another
    // push's request (collapseRequests must be off for autoland's
    // builders). Nothing proves this push, so it is no success.
    LOG_WARN("ci", "buildbot ended request " + std::to_string(brid) + " (" + job.name + ") of " + revision +
                       " without a build (result " + std::to_string(code) + "): set c['collapseRequests'] = False");
    job.result = JobResult::busted;
  }
  return job;
}

}  // namespace

// What the master has told us, kept between passes: one request at a time
// (under mu) keeps these caches simple.
struct BuildbotCi::State {
  Mutex mu;
  std::atomic<uint64_t> requests{0};
  std::string link_url;  // options.url without credentials; set once, before any request
  std::map<std::string, std::vector<int64_t>> changes_of GUARDED_BY(mu);  // "branch/revision" -> change ids
  std::map<std::string, std::set<int64_t>> buildsets_of GUARDED_BY(mu);   // "branch/revision" -> buildset ids
  std::map<int64_t, std::vector<json>> finished_requests GUARDED_BY(mu);  // a complete buildset's never change
  std::map<int64_t, int64_t> buildset_of_request GUARDED_BY(mu);
  std::map<int64_t, std::string> builder_names GUARDED_BY(mu);
  std::map<int64_t, std::string> failed_log_urls GUARDED_BY(mu);                     // completed builds never change
  std::vector<std::pair<int64_t, std::set<std::string>>> incomplete GUARDED_BY(mu);  // in progress, their revisions
  std::optional<std::chrono::steady_clock::time_point> incomplete_at GUARDED_BY(mu);

  // The change(s) of the push, through the sourcestamp: buildbot filters
  // sourcestamps by revision in SQL, while /changes?revision= reads every
  // change there is (a second each on a master with a few hundred).
  Result<std::vector<int64_t>> changes_of_push(Api& api, const std::string& branch, const std::string& revision)
      REQUIRES(mu) {
    const std::string key = branch + "/" + revision;
    auto known = changes_of.find(key);
    if (known != changes_of.end()) return known->second;
    AUTOLAND_TRY_ASSIGN(auto stamps, api.list("/sourcestamps?revision=" + revision, "sourcestamps"));
    std::vector<int64_t> on_branch, any;
    for (const json& stamp : stamps) {
      if (!has_int(stamp, "ssid")) continue;
      AUTOLAND_TRY_ASSIGN(
          auto found,
          api.list("/sourcestamps/" + std::to_string(stamp["ssid"].get<int64_t>()) + "/changes", "changes"));
      for (const json& c : found) {
        if (!has_int(c, "changeid")) continue;
        any.push_back(c["changeid"].get<int64_t>());
        if (json_string(stamp, "project") == branch) on_branch.push_back(c["changeid"].get<int64_t>());
      }
    }
    if (any.empty()) return not_found("buildbot has no change for revision " + revision + " (yet)");
    // Only the branch's own change is remembered: another project's may be
    // all there is until the branch's own arrives.
    if (on_branch.empty()) return any;
    changes_of[key] = on_branch;
    return on_branch;
  }

  // Buildsets in progress, one snapshot for every revision of a pass
  // (taken again once older than ttl): their requests are the jobs that have
  // not started (or just started). Returns the push's buildsets so far.
  Result<std::set<int64_t>*> buildsets_of_push(Api& api, const std::string& branch, const std::string& revision,
                                               std::chrono::milliseconds ttl) REQUIRES(mu) {
    auto now = std::chrono::steady_clock::now();
    if (!incomplete_at || now - *incomplete_at > ttl) {
      AUTOLAND_TRY_ASSIGN(auto sets, api.list("/buildsets?complete=false", "buildsets"));
      incomplete.clear();
      for (const json& set : sets) {
        if (!has_int(set, "bsid")) continue;
        std::set<std::string> revisions;
        if (set.contains("sourcestamps") && set["sourcestamps"].is_array()) {
          for (const json& ss : set["sourcestamps"]) revisions.insert(json_string(ss, "revision"));
        }
        incomplete.emplace_back(set["bsid"].get<int64_t>(), std::move(revisions));
      }
      incomplete_at = now;
    }
    std::set<int64_t>& buildsets = buildsets_of[branch + "/" + revision];
    for (const auto& [bsid, revisions] : incomplete) {
      if (revisions.count(revision)) buildsets.insert(bsid);
    }
    return &buildsets;
  }

  // The requests of one buildset; a buildset whose requests are all
  // complete is never asked for again.
  Result<std::vector<json>> requests_of_buildset(Api& api, int64_t bsid) REQUIRES(mu) {
    auto done = finished_requests.find(bsid);
    if (done != finished_requests.end()) return done->second;
    AUTOLAND_TRY_ASSIGN(auto list, api.list("/buildrequests?buildsetid=" + std::to_string(bsid), "buildrequests"));
    std::vector<json> requests(list.begin(), list.end());
    bool all_done = !requests.empty();
    for (const json& r : requests) {
      if (has_int(r, "buildrequestid")) buildset_of_request[r["buildrequestid"].get<int64_t>()] = bsid;
      all_done = all_done && json_bool(r, "complete", false);
    }
    if (all_done) finished_requests[bsid] = requests;
    return requests;
  }

  // Every request of the push's buildsets: one that ended without a build
  // (cancelled before it started, or collapsed into another push's) is a
  // job too, and one claimed but without a build yet is pending. A build
  // whose buildset was never seen in progress (it ran between two looks)
  // adds its buildset to `buildsets`.
  Result<ById> requests_of_push(Api& api, std::set<int64_t>& buildsets, const ById& builds) REQUIRES(mu) {
    ById requests;
    auto add = [&](const std::vector<json>& list) {
      for (const json& r : list) {
        if (has_int(r, "buildrequestid")) requests[r["buildrequestid"].get<int64_t>()] = r;
      }
    };
    for (int64_t bsid : std::set<int64_t>(buildsets)) {
      AUTOLAND_TRY_ASSIGN(auto list, requests_of_buildset(api, bsid));
      add(list);
    }
    for (const auto& [id, b] : builds) {
      if (!has_int(b, "buildrequestid")) continue;
      int64_t brid = b["buildrequestid"].get<int64_t>();
      if (requests.count(brid)) continue;
      auto bsid = buildset_of_request.find(brid);
      if (bsid == buildset_of_request.end()) {
        const std::string path = "/buildrequests/" + std::to_string(brid);
        AUTOLAND_TRY_ASSIGN(auto r, api.call("GET", path));
        AUTOLAND_TRY_ASSIGN(auto list, json_list(r, "buildrequests", "buildbot", path));
        if (list.empty() || !has_int(list[0], "buildsetid")) continue;
        bsid = buildset_of_request.emplace(brid, list[0]["buildsetid"].get<int64_t>()).first;
      }
      buildsets.insert(bsid->second);
      AUTOLAND_TRY_ASSIGN(auto list, requests_of_buildset(api, bsid->second));
      add(list);
    }
    return requests;
  }

  // Builder names, asked for again when a builder is new to us.
  Status learn_builder_names(Api& api, const ById& builds, const ById& requests) REQUIRES(mu) {
    std::set<int64_t> builders;
    for (const auto& [id, b] : builds) builders.insert(json_int(b, "builderid", -1));
    for (const auto& [id, r] : requests) builders.insert(json_int(r, "builderid", -1));
    if (std::all_of(builders.begin(), builders.end(),
                    [&](int64_t b) REQUIRES(mu) { return builder_names.count(b) > 0; })) {
      return {};
    }
    AUTOLAND_TRY_ASSIGN(auto list, api.list("/builders", "builders"));
    for (const json& b : list) builder_names[json_int(b, "builderid", -1)] = json_string(b, "name");
    return {};
  }

  std::string builder_name(int64_t id) REQUIRES(mu) {
    auto it = builder_names.find(id);
    return it != builder_names.end() ? it->second : "builder-" + std::to_string(id);
  }

  // The log of the first step that failed (what a developer opens first),
  // or `fallback` when that step has no log (a trigger, the worker's
  // preparation). A completed build's never changes, so it is kept.
  Result<std::string> failed_step_log(Api& api, int64_t build_id, const std::string& fallback) REQUIRES(mu) {
    auto cached = failed_log_urls.find(build_id);
    if (cached != failed_log_urls.end()) return cached->second;
    AUTOLAND_TRY_ASSIGN(auto steps, api.list("/builds/" + std::to_string(build_id) + "/steps", "steps"));
    std::string url = fallback;
    for (const json& s : steps) {
      if (!has_int(s, "results") || !failed(s["results"].get<int>()) || !has_int(s, "stepid")) continue;
      AUTOLAND_TRY_ASSIGN(auto logs,
                          api.list("/steps/" + std::to_string(s["stepid"].get<int64_t>()) + "/logs", "logs"));
      for (const json& l : logs) {
        if (has_int(l, "logid")) {
          url = link_url + "/api/v2/logs/" + std::to_string(l["logid"].get<int64_t>()) + "/raw";
          break;
        }
      }
      break;
    }
    failed_log_urls.emplace(build_id, url);
    return url;
  }

  Result<CiJob> job_of_build(Api& api, int64_t id, const json& b) REQUIRES(mu) {
    CiJob job;
    job.id = std::to_string(id);
    int64_t builder = json_int(b, "builderid", -1);
    job.name = builder_name(builder);
    job.url =
        link_url + "/#/builders/" + std::to_string(builder) + "/builds/" + std::to_string(json_int(b, "number", 0));
    job.started = json_int(b, "started_at", 0);
    if (!json_bool(b, "complete", false) || !has_int(b, "results")) {
      job.state = JobState::running;
      job.result = JobResult::running;
      return job;
    }
    int code = b["results"].get<int>();
    job.state = JobState::completed;
    job.result = result_of(code);
    job.finished = json_int(b, "complete_at", 0);
    if (failed(code)) {
      AUTOLAND_TRY_ASSIGN(job.log_url, failed_step_log(api, id, job.url));
    }
    return job;
  }
};

BuildbotCi::BuildbotCi(BuildbotOptions options, std::unique_ptr<HttpTransport> transport)
    : options_(std::move(options)), transport_(std::move(transport)), state_(std::make_unique<State>()) {
  while (!options_.url.empty() && options_.url.back() == '/') options_.url.pop_back();
  state_->link_url = util::strip_url_credentials(options_.url);
}

BuildbotCi::~BuildbotCi() = default;

BuildbotStats BuildbotCi::stats() const { return {state_->requests.load()}; }

Result<std::vector<CiJob>> BuildbotCi::jobs(const std::string& branch, const std::string& revision) {
  if (revision.empty() || revision.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return invalid_input("'" + revision + "' is not a revision (lowercase hex)");
  }
  return guard_json("buildbot", [&]() -> Result<std::vector<CiJob>> {
    State& st = *state_;
    MutexLock lock(st.mu);
    Api api{options_, st.link_url, *transport_, st.requests};
    AUTOLAND_TRY_ASSIGN(auto changes, st.changes_of_push(api, branch, revision));
    AUTOLAND_TRY_ASSIGN(
        std::set<int64_t> * buildsets,
        st.buildsets_of_push(api, branch, revision, std::chrono::milliseconds(options_.snapshot_ttl_ms)));
    AUTOLAND_TRY_ASSIGN(auto builds, builds_of_changes(api, changes));
    AUTOLAND_TRY_ASSIGN(auto requests, st.requests_of_push(api, *buildsets, builds));
    AUTOLAND_TRY(st.learn_builder_names(api, builds, requests));

    std::vector<CiJob> out;
    std::set<int64_t> built;
    for (const auto& [id, b] : builds) {
      built.insert(json_int(b, "buildrequestid", -1));
      AUTOLAND_TRY_ASSIGN(auto job, st.job_of_build(api, id, b));
      out.push_back(std::move(job));
    }
    for (const auto& [brid, r] : requests) {
      if (built.count(brid)) continue;
      out.push_back(job_of_request(brid, r, st.builder_name(json_int(r, "builderid", -1)), st.link_url, revision));
    }
    return out;
  });
}

Result<std::string> BuildbotCi::retrigger(const std::string& branch, const std::string& revision,
                                          const std::string& job_id) {
  (void)branch;
  return guard_json("buildbot", [&]() -> Result<std::string> {
    MutexLock lock(state_->mu);
    Api api{options_, state_->link_url, *transport_, state_->requests};
    if (!util::parse_uint(job_id)) {
      return invalid_input("buildbot job '" + job_id + "' of " + revision +
                           " did not run: there is nothing to rebuild");
    }
    json call = {{"jsonrpc", "2.0"}, {"method", "rebuild"}, {"id", 1}, {"params", json::object()}};
    auto answer = api.call("POST", "/builds/" + job_id, call.dump());
    // The new buildset must show in the next look, or the job would look
    // orange still and be rerun again.
    state_->incomplete_at.reset();
    if (!answer) return answer.error();
    if (!answer->is_object())
      return internal_error("buildbot's answer to a rebuild of build " + job_id + " is not an object");
    if (answer->contains("error")) {
      return invalid_input("buildbot refused to rebuild build " + job_id + " of " + revision + ": " +
                           (*answer)["error"].dump());
    }
    // {"result": [buildset id, {"builder id": request id}]}
    const json& result = (*answer)["result"];
    if (result.is_array() && result.size() == 2 && result[1].is_object() && !result[1].empty()) {
      const json& request = result[1].begin().value();
      if (request.is_number_integer()) return "request-" + std::to_string(request.get<int64_t>());
    }
    return internal_error("buildbot's answer to a rebuild of build " + job_id +
                          " names no build request: " + answer->dump().substr(0, 200));
  });
}

Result<CiPushPage> BuildbotCi::pushes_since(const std::string& branch, const std::string& cursor) {
  return guard_json("buildbot", [&]() -> Result<CiPushPage> {
    MutexLock lock(state_->mu);
    Api api{options_, state_->link_url, *transport_, state_->requests};
    CiPushPage page;
    if (cursor.empty()) {
      AUTOLAND_TRY_ASSIGN(auto newest, api.list("/changes?order=-changeid&limit=1", "changes"));
      page.next_cursor = newest.empty() ? "0" : std::to_string(json_int(newest[0], "changeid", 0));
      return page;
    }
    auto after = util::parse_uint(cursor);
    if (!after) return invalid_input("'" + cursor + "' is not a buildbot change cursor (a change id)");
    // Every project's changes, filtered here: the cursor moves past all of
    // them. Read from a little before the cursor (ids may commit out of
    // order); the caller's handling of a push is idempotent.
    int64_t from = std::max<int64_t>(0, static_cast<int64_t>(*after) - kCursorOverlap);
    AUTOLAND_TRY_ASSIGN(auto changes,
                        api.list("/changes?changeid__gt=" + std::to_string(from) +
                                     "&order=changeid&limit=" + std::to_string(kPushPage + kCursorOverlap),
                                 "changes"));
    page.next_cursor = cursor;
    // buildbot 3.7 answers a page in reverse (db/changes.py reverses it).
    std::vector<json> ordered(changes.begin(), changes.end());
    std::sort(ordered.begin(), ordered.end(),
              [](const json& a, const json& b) { return json_int(a, "changeid", -1) < json_int(b, "changeid", -1); });
    int64_t highest = static_cast<int64_t>(*after);
    for (const json& c : ordered) {
      int64_t id = json_int(c, "changeid", -1);
      if (id < 0) continue;
      highest = std::max(highest, id);
      if (json_string(c, "project") != branch) continue;
      page.pushes.push_back({json_string(c, "revision"), json_string(c, "author"), json_string(c, "comments"),
                             json_int(c, "when_timestamp", 0)});
    }
    page.next_cursor = std::to_string(highest);
    return page;
  });
}

std::unique_ptr<BuildbotCi> make_buildbot_ci(const std::string& url, int timeout_seconds) {
  BuildbotOptions options;
  options.url = url;
  options.timeout_ms = long{timeout_seconds} * 1000;
  return std::make_unique<BuildbotCi>(std::move(options), make_curl_transport({}));
}

}  // namespace autoland
