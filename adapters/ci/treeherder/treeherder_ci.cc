#include "adapters/ci/treeherder/treeherder_ci.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>

#include "adapters/http/json_call.h"
#include "util/log.h"
#include "util/mutex.h"
#include "util/strings.h"

namespace autoland {

namespace {

using json = nlohmann::json;

// Pushes are read in windows of push ids (ids are shared by every
// repository, so a window holds at most this many of ours); a window
// starts this far before the cursor, since Treeherder ingests in parallel
// and a lower id can appear after a higher one.
constexpr int64_t kIdWindow = 1000;
constexpr int64_t kCursorOverlap = 200;
constexpr int kMaxWindowsPerCall = 20;

// Treeherder's result words; `superseded` (a later run replaced it) reads as
// buildbot's retry, and `unknown` on a completed job as infrastructure trouble.
JobResult completed_result(const std::string& word) {
  if (word == "superseded") return JobResult::retry;
  auto r = parse_job_result(word);
  if (!r || *r == JobResult::pending || *r == JobResult::running) return JobResult::exception;
  return *r;
}

}  // namespace

struct TreeherderCi::State {
  Mutex mu;
  std::atomic<uint64_t> requests{0};
  std::string link_url;  // options.url without credentials; set once, before any request
  std::map<std::string, int64_t> push_of_revision GUARDED_BY(mu);  // "branch/revision" -> push id; never changes
};

TreeherderCi::TreeherderCi(TreeherderOptions options, std::unique_ptr<HttpTransport> transport)
    : options_(std::move(options)), transport_(std::move(transport)), state_(std::make_unique<State>()) {
  while (!options_.url.empty() && options_.url.back() == '/') options_.url.pop_back();
  state_->link_url = util::strip_url_credentials(options_.url);
}

TreeherderCi::~TreeherderCi() = default;

uint64_t TreeherderCi::requests() const { return state_->requests.load(); }

namespace {

struct Api {
  const TreeherderOptions& options;
  const std::string& link_url;
  HttpTransport& transport;
  std::atomic<uint64_t>& requests;

  // `path_or_url`: a path under the root, or a whole URL Treeherder gave (a
  // `next` link): only its path and query are used, always against the
  // configured root, so an answer can never send autoland to another host.
  Result<json> get(std::string path_or_url) {
    if (path_or_url.rfind("http", 0) == 0) {
      size_t host = path_or_url.find("://");
      size_t path = host == std::string::npos ? std::string::npos : path_or_url.find('/', host + 3);
      path_or_url = path == std::string::npos ? "/" : path_or_url.substr(path);
    }
    HttpRequest request;
    request.url = options.url + path_or_url;
    request.timeout_ms = options.timeout_ms;
    request.headers = {{"Accept", "application/json"}, {"User-Agent", options.user_agent}};
    ++requests;
    auto answer = call_json(transport, request, "Treeherder at " + link_url, path_or_url);
    // An unknown revision is an empty list; a 404 is an unknown repository
    // or a wrong URL: configuration, not "not yet".
    if (!answer && answer.error().kind == ErrorKind::not_found) {
      return invalid_input(
          answer.error().message +
          " (is there a Treeherder repository named like the branch, and is ci.treeherder.url right?)");
    }
    return answer;
  }
};

}  // namespace

Result<std::vector<CiJob>> TreeherderCi::jobs(const std::string& branch, const std::string& revision) {
  return guard_json("Treeherder", [&]() { return jobs_unguarded(branch, revision); });
}

Result<std::vector<CiJob>> TreeherderCi::jobs_unguarded(const std::string& branch, const std::string& revision) {
  MutexLock lock(state_->mu);
  Api api{options_, state_->link_url, *transport_, state_->requests};
  if (revision.size() < 12 || revision.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return invalid_input("'" + revision + "' is not a revision (at least 12 lowercase hex digits)");
  }
  const std::string repo = url_encode(branch);
  const std::string key = branch + "/" + revision;
  auto known = state_->push_of_revision.find(key);
  if (known == state_->push_of_revision.end()) {
    std::string path = "/api/project/" + repo + "/push/?revision=" + revision;
    AUTOLAND_TRY_ASSIGN(auto answer, api.get(path));
    AUTOLAND_TRY_ASSIGN(auto pushes, json_list(answer, "results", "Treeherder", path));
    if (pushes.empty()) return not_found("Treeherder has no push of " + revision + " on " + branch + " (yet)");
    int64_t id = json_int(pushes[0], "id", -1);
    if (id < 0) return transient("Treeherder's push of " + revision + " has no id");
    known = state_->push_of_revision.emplace(key, id).first;
  }

  std::vector<CiJob> out;
  std::string next = "/api/jobs/?push_id=" + std::to_string(known->second);
  for (int page = 0; !next.empty(); ++page) {
    if (page == 100)
      return transient("Treeherder kept sending pages of jobs for push " + std::to_string(known->second));
    AUTOLAND_TRY_ASSIGN(auto answer, api.get(next));
    AUTOLAND_TRY_ASSIGN(auto rows, json_list(answer, "results", "Treeherder", next));
    AUTOLAND_TRY_ASSIGN(auto names, json_list(answer, "job_property_names", "Treeherder", next));
    // Columns by name: their order has changed between Treeherder versions.
    std::map<std::string, size_t> column;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i].is_string()) column[names[i].get<std::string>()] = i;
    }
    for (const char* needed : {"id", "job_type_name", "result", "state"}) {
      if (!column.count(needed)) return transient("Treeherder's jobs have no '" + std::string(needed) + "' column");
    }
    auto cell = [&](const json& row, const char* name) -> const json& {
      static const json null_value;
      auto it = column.find(name);
      return it != column.end() && it->second < row.size() ? row[it->second] : null_value;
    };
    for (const json& row : rows) {
      if (!row.is_array()) continue;
      CiJob job;
      const json& id = cell(row, "id");
      if (!id.is_number_integer()) continue;
      job.id = std::to_string(id.get<int64_t>());
      job.name = cell(row, "job_type_name").is_string() ? cell(row, "job_type_name").get<std::string>() : "";
      const std::string state = cell(row, "state").is_string() ? cell(row, "state").get<std::string>() : "";
      const std::string result = cell(row, "result").is_string() ? cell(row, "result").get<std::string>() : "";
      // Tier 3 jobs are hidden and not sheriffed; a superseded run was
      // replaced by one in a later push, so no rerun of it comes here.
      if (cell(row, "tier").is_number_integer() && cell(row, "tier").get<int>() >= 3) continue;
      if (result == "superseded") continue;
      if (state == "completed") {
        job.state = JobState::completed;
        job.result = completed_result(result);
      } else if (state == "running") {
        job.state = JobState::running;
        job.result = JobResult::running;
      } else {
        job.state = JobState::pending;
        job.result = JobResult::pending;
      }
      const json& task = cell(row, "task_id");
      const json& run = cell(row, "retry_id");
      job.url = state_->link_url + "/jobs?repo=" + repo + "&revision=" + revision;
      if (task.is_string() && run.is_number_integer()) {
        job.url += "&selectedTaskRun=" + url_encode(task.get<std::string>()) + "." + std::to_string(run.get<int64_t>());
      } else {
        job.url += "&selectedJob=" + job.id;
      }
      job.log_url = state_->link_url + "/logviewer?job_id=" + job.id + "&repo=" + repo;
      out.push_back(std::move(job));
    }
    next = answer.contains("next") && answer["next"].is_string() ? answer["next"].get<std::string>() : "";
  }
  // Rows come by id, which is the order Treeherder heard of the runs.
  std::stable_sort(out.begin(), out.end(),
                   [](const CiJob& a, const CiJob& b) { return std::stoll(a.id) < std::stoll(b.id); });
  return out;
}

Result<std::string> TreeherderCi::retrigger(const std::string& branch, const std::string& revision,
                                            const std::string& job_id) {
  return invalid_input("Treeherder cannot rerun job " + job_id + " of " + revision + " on " + branch +
                       ": reruns go through Taskcluster actions (set max_retriggers = 0 for this branch)");
}

Result<CiPushPage> TreeherderCi::pushes_since(const std::string& branch, const std::string& cursor) {
  return guard_json("Treeherder", [&]() -> Result<CiPushPage> {
    MutexLock lock(state_->mu);
    Api api{options_, state_->link_url, *transport_, state_->requests};
    const std::string base = "/api/project/" + url_encode(branch) + "/push/?";
    CiPushPage page;
    AUTOLAND_TRY_ASSIGN(auto newest_answer, api.get(base + "count=1"));
    AUTOLAND_TRY_ASSIGN(auto newest_list, json_list(newest_answer, "results", "Treeherder", base));
    const int64_t newest = newest_list.empty() ? 0 : json_int(newest_list[0], "id", 0);
    if (cursor.empty()) {
      page.next_cursor = std::to_string(newest);
      return page;
    }
    auto after = util::parse_uint(cursor);
    if (!after) return invalid_input("'" + cursor + "' is not a Treeherder push cursor (a push id)");
    std::map<int64_t, json> found;  // by id: oldest first
    int64_t low = std::max<int64_t>(0, static_cast<int64_t>(*after) - kCursorOverlap);
    int64_t scanned = static_cast<int64_t>(*after);
    for (int i = 0; i < kMaxWindowsPerCall && low < newest; ++i) {
      int64_t high = std::min(newest, low + kIdWindow);
      std::string path = base + "id__gt=" + std::to_string(low) + "&id__lte=" + std::to_string(high) +
                         "&count=" + std::to_string(kIdWindow);
      AUTOLAND_TRY_ASSIGN(auto answer, api.get(path));
      AUTOLAND_TRY_ASSIGN(auto pushes, json_list(answer, "results", "Treeherder", path));
      for (const json& p : pushes) {
        int64_t id = json_int(p, "id", -1);
        if (id > low && id <= high) found[id] = p;
      }
      scanned = std::max(scanned, high);
      low = high;
    }
    // The rest (a long outage) comes with the next call, from here.
    page.next_cursor = std::to_string(scanned);
    for (const auto& [id, p] : found) {
      CiPush push;
      push.revision = json_string(p, "revision");
      push.author = json_string(p, "author");
      push.time = json_int(p, "push_timestamp", 0);
      // The tip's message, where try syntax lives.
      if (p.contains("revisions") && p["revisions"].is_array()) {
        for (const json& commit : p["revisions"]) {
          if (json_string(commit, "revision") == push.revision) {
            push.message = json_string(commit, "comments");
            break;
          }
        }
      }
      page.pushes.push_back(std::move(push));
    }
    return page;
  });
}

std::unique_ptr<TreeherderCi> make_treeherder_ci(const std::string& url, int timeout_seconds) {
  TreeherderOptions options;
  options.url = url;
  options.timeout_ms = long{timeout_seconds} * 1000;
  return std::make_unique<TreeherderCi>(std::move(options), make_curl_transport({}));
}

}  // namespace autoland
