#include "adapters/ci/buildbot/buildbot_ci.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "adapters/http/json_call.h"
#include "util/strings.h"

namespace autoland {

namespace {

using json = nlohmann::json;


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



}  // namespace

struct BuildbotCi::State {
  std::mutex mu;  // guards everything below (one request at a time keeps the caches simple)
  std::atomic<uint64_t> requests{0};
  std::map<std::string, std::vector<int64_t>> changes_of_revision;
  std::map<int64_t, std::string> builder_names;
  std::map<int64_t, std::set<std::string>> buildset_revisions;  // a buildset's sourcestamps never change
  std::map<int64_t, std::string> failed_log_urls;               // completed builds never change
  struct Unstarted {
    int64_t request = 0, buildset = 0, builder = 0;
  };
  std::vector<Unstarted> unstarted;
  std::optional<std::chrono::steady_clock::time_point> unstarted_at;
};

BuildbotCi::BuildbotCi(BuildbotOptions options, std::unique_ptr<HttpTransport> transport)
    : options_(std::move(options)), transport_(std::move(transport)), state_(std::make_unique<State>()) {
  while (!options_.url.empty() && options_.url.back() == '/') options_.url.pop_back();
}

BuildbotCi::~BuildbotCi() = default;

BuildbotStats BuildbotCi::stats() const { return {state_->requests.load()}; }

namespace {

struct Api {
  const BuildbotOptions& options;
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
    return call_json(transport, request, "buildbot at " + options.url, path);
  }

  // The list under `key` of a collection answer.
  Result<json> list(const std::string& path, const char* key) {
    auto answer = call("GET", path);
    if (!answer) return answer.error();
    return json_list(*answer, key, "buildbot", path);
  }
};

}  // namespace

Result<std::vector<CiJob>> BuildbotCi::jobs(const std::string& branch, const std::string& revision) {
  std::lock_guard lock(state_->mu);
  Api api{options_, *transport_, state_->requests};
  if (revision.empty() || revision.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return invalid_input("'" + revision + "' is not a revision (lowercase hex)");
  }

  // The change(s) of the push: found once, they never change. Through the
  // sourcestamp: buildbot filters sourcestamps by revision in SQL, while
  // /changes?revision= reads every change there is (a second each on a
  // master with a few hundred changes).
  auto known = state_->changes_of_revision.find(revision);
  if (known == state_->changes_of_revision.end()) {
    auto stamps = api.list("/sourcestamps?revision=" + revision, "sourcestamps");
    if (!stamps) return stamps.error();
    std::vector<int64_t> on_branch, any;
    for (const json& stamp : *stamps) {
      int64_t ssid = json_int(stamp, "ssid", -1);
      if (ssid < 0) continue;
      auto changes = api.list("/sourcestamps/" + std::to_string(ssid) + "/changes", "changes");
      if (!changes) return changes.error();
      for (const json& c : *changes) {
        int64_t id = json_int(c, "changeid", -1);
        if (id < 0) continue;
        any.push_back(id);
        if (json_string(stamp, "project") == branch) on_branch.push_back(id);
      }
    }
    if (any.empty()) return not_found("buildbot has no change for revision " + revision + " (yet)");
    known = state_->changes_of_revision.emplace(revision, on_branch.empty() ? any : on_branch).first;
  }

  // Started builds, rebuilds included (they share the sourcestamp).
  std::map<int64_t, json> builds;  // by build id: the order they started in
  for (int64_t change : known->second) {
    auto list = api.list("/changes/" + std::to_string(change) + "/builds", "builds");
    if (!list) return list.error();
    for (json& b : *list) {
      int64_t id = json_int(b, "buildid", -1);
      if (id >= 0) builds[id] = std::move(b);
    }
  }

  // Requests no worker has taken yet: one snapshot serves every revision of a pass.
  auto now = std::chrono::steady_clock::now();
  if (!state_->unstarted_at || now - *state_->unstarted_at > std::chrono::milliseconds(options_.snapshot_ttl_ms)) {
    auto requests = api.list("/buildrequests?claimed=false", "buildrequests");
    if (!requests) return requests.error();
    state_->unstarted.clear();
    for (const json& r : *requests) {
      if (r.value("complete", false)) continue;  // cancelled before it started
      state_->unstarted.push_back(
          {json_int(r, "buildrequestid", -1), json_int(r, "buildsetid", -1), json_int(r, "builderid", -1)});
    }
    state_->unstarted_at = now;
  }
  std::set<int64_t> started_requests;
  for (const auto& [id, b] : builds) started_requests.insert(json_int(b, "buildrequestid", -1));
  std::vector<State::Unstarted> waiting;
  for (const State::Unstarted& r : state_->unstarted) {
    if (started_requests.count(r.request)) continue;
    auto bs = state_->buildset_revisions.find(r.buildset);
    if (bs == state_->buildset_revisions.end()) {
      auto sets = api.list("/buildsets/" + std::to_string(r.buildset), "buildsets");
      if (!sets) return sets.error();
      std::set<std::string> revisions;
      for (const json& set : *sets) {
        for (const json& ss : set.value("sourcestamps", json::array())) revisions.insert(json_string(ss, "revision"));
      }
      bs = state_->buildset_revisions.emplace(r.buildset, std::move(revisions)).first;
    }
    if (bs->second.count(revision)) waiting.push_back(r);
  }

  // Builder names, refreshed when a builder is new to us.
  auto need_builders = [&] {
    for (const auto& [id, b] : builds) {
      if (!state_->builder_names.count(json_int(b, "builderid", -1))) return true;
    }
    for (const State::Unstarted& r : waiting) {
      if (!state_->builder_names.count(r.builder)) return true;
    }
    return false;
  };
  if (need_builders()) {
    auto builders = api.list("/builders", "builders");
    if (!builders) return builders.error();
    for (const json& b : *builders) state_->builder_names[json_int(b, "builderid", -1)] = json_string(b, "name");
  }
  auto builder_name = [&](int64_t id) {
    auto it = state_->builder_names.find(id);
    return it != state_->builder_names.end() ? it->second : "builder-" + std::to_string(id);
  };

  std::vector<CiJob> out;
  for (const auto& [id, b] : builds) {
    CiJob job;
    job.id = std::to_string(id);
    int64_t builder = json_int(b, "builderid", -1);
    job.name = builder_name(builder);
    job.url = options_.url + "/#/builders/" + std::to_string(builder) + "/builds/" + std::to_string(json_int(b, "number", 0));
    job.started = json_int(b, "started_at", 0);
    const bool complete = b.value("complete", false) && b.contains("results") && b["results"].is_number_integer();
    if (!complete) {
      job.state = JobState::running;
      job.result = JobResult::running;
    } else {
      int code = b["results"].get<int>();
      job.state = JobState::completed;
      job.result = result_of(code);
      job.finished = json_int(b, "complete_at", 0);
      if (failed(code)) {
        // The log of the first step that failed: what a developer opens first.
        auto cached = state_->failed_log_urls.find(id);
        if (cached == state_->failed_log_urls.end()) {
          auto steps = api.list("/builds/" + job.id + "/steps", "steps");
          if (!steps) return steps.error();
          std::string url = job.url;
          for (const json& s : *steps) {
            if (s.contains("results") && s["results"].is_number_integer() && failed(s["results"].get<int>())) {
              url = options_.url + "/api/v2/builds/" + job.id + "/steps/" + std::to_string(json_int(s, "number", 0)) +
                    "/logs/stdio/raw";
              break;
            }
          }
          cached = state_->failed_log_urls.emplace(id, url).first;
        }
        job.log_url = cached->second;
      }
    }
    out.push_back(std::move(job));
  }
  std::sort(waiting.begin(), waiting.end(), [](const auto& a, const auto& b) { return a.request < b.request; });
  for (const State::Unstarted& r : waiting) {
    CiJob job;
    job.id = "request-" + std::to_string(r.request);
    job.name = builder_name(r.builder);
    job.url = options_.url + "/#/buildrequests/" + std::to_string(r.request);
    out.push_back(std::move(job));
  }
  return out;
}

Result<std::string> BuildbotCi::retrigger(const std::string& branch, const std::string& revision,
                                          const std::string& job_id) {
  (void)branch;
  std::lock_guard lock(state_->mu);
  Api api{options_, *transport_, state_->requests};
  if (!util::parse_uint(job_id)) {
    return invalid_input("buildbot job '" + job_id + "' of " + revision + " has not run yet: there is nothing to rerun");
  }
  json call = {{"jsonrpc", "2.0"}, {"method", "rebuild"}, {"id", 1}, {"params", json::object()}};
  auto answer = api.call("POST", "/builds/" + job_id, call.dump());
  // The new request must show in the next look, or the job would look orange
  // still and be rerun again.
  state_->unstarted_at.reset();
  if (!answer) return answer.error();
  if (!answer->is_object()) return internal_error("buildbot's answer to a rebuild of build " + job_id + " is not an object");
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
  return internal_error("buildbot's answer to a rebuild of build " + job_id + " names no build request: " +
                        answer->dump().substr(0, 200));
}

Result<CiPushPage> BuildbotCi::pushes_since(const std::string& branch, const std::string& cursor) {
  std::lock_guard lock(state_->mu);
  Api api{options_, *transport_, state_->requests};
  CiPushPage page;
  if (cursor.empty()) {
    auto newest = api.list("/changes?order=-changeid&limit=1", "changes");
    if (!newest) return newest.error();
    page.next_cursor = newest->empty() ? "0" : std::to_string(json_int((*newest)[0], "changeid", 0));
    return page;
  }
  if (!util::parse_uint(cursor)) return invalid_input("'" + cursor + "' is not a buildbot change cursor (a change id)");
  // Every project's changes, filtered here: the cursor moves past all of them.
  auto changes = api.list("/changes?changeid__gt=" + cursor + "&order=changeid&limit=100", "changes");
  if (!changes) return changes.error();
  page.next_cursor = cursor;
  // buildbot 3.7 answers a page in reverse (db/changes.py reverses it).
  std::vector<json> ordered(changes->begin(), changes->end());
  std::sort(ordered.begin(), ordered.end(),
            [](const json& a, const json& b) { return json_int(a, "changeid", -1) < json_int(b, "changeid", -1); });
  for (const json& c : ordered) {
    int64_t id = json_int(c, "changeid", -1);
    if (id < 0) continue;
    page.next_cursor = std::to_string(id);
    if (json_string(c, "project") != branch) continue;
    page.pushes.push_back({json_string(c, "revision"), json_string(c, "author"), json_string(c, "comments"),
                           json_int(c, "when_timestamp", 0)});
  }
  return page;
}

std::unique_ptr<BuildbotCi> make_buildbot_ci(const std::string& url, int timeout_seconds) {
  BuildbotOptions options;
  options.url = url;
  options.timeout_ms = long{timeout_seconds} * 1000;
  return std::make_unique<BuildbotCi>(std::move(options), make_curl_transport({}));
}

}  // namespace autoland
