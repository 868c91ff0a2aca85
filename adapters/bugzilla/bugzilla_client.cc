#include "adapters/bugzilla/bugzilla_client.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "adapters/bugzilla/bugzilla_json.h"
#include "util/log.h"
#include "util/mutex.h"

namespace autoland {

struct BugzillaClient::State {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> retries{0};
  Mutex rng_mu;
  std::mt19937_64 rng GUARDED_BY(rng_mu){std::random_device{}()};
};

BugzillaClient::BugzillaClient(BugzillaOptions options, std::unique_ptr<HttpTransport> transport)
    : options_(std::move(options)), transport_(std::move(transport)), state_(std::make_unique<State>()) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
  if (!options_.sleep) options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  if (options_.max_attempts < 1) options_.max_attempts = 1;
}

BugzillaClient::~BugzillaClient() = default;

BugzillaStats BugzillaClient::stats() const { return {state_->requests.load(), state_->retries.load()}; }

std::string BugzillaClient::redact(std::string url) const {
  if (options_.api_key.empty()) return url;
  // One left-to-right pass over the input: the output is never searched
  // again, so a key that occurs inside "REDACTED" cannot loop or mangle it.
  const std::string encoded = url_encode(options_.api_key);
  std::string out;
  for (size_t i = 0; i < url.size();) {
    size_t matched = 0;
    for (const std::string* secret : {&encoded, &options_.api_key}) {
      if (url.compare(i, secret->size(), *secret) == 0) matched = std::max(matched, secret->size());
    }
    if (matched > 0) {
      out += "REDACTED";
      i += matched;
    } else {
      out += url[i++];
    }
  }
  return out;
}

Result<HttpResponse> BugzillaClient::call(const std::string& method, const std::string& path,
                                          const std::vector<std::pair<std::string, std::string>>& query,
                                          const std::string& body, bool idempotent) {
  HttpRequest request;
  request.method = method;
  request.timeout_ms = options_.timeout_ms;
  request.body = body;
  request.headers = {{"Accept", "application/json"}};
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  std::string url = options_.base_url + "/rest/" + path;
  char sep = '?';
  for (const auto& [name, value] : query) {
    url += sep + name + "=" + url_encode(value);
    sep = '&';
  }
  if (!options_.api_key.empty()) {
    if (options_.key_in_query) {
      url += sep + std::string("api_key=") + url_encode(options_.api_key);
    } else {
      request.headers.emplace_back("X-BUGZILLA-API-KEY", options_.api_key);
    }
  }
  request.url = url;
  const std::string shown = method + " " + redact(url);

  // A call that changes something takes timeout_ms at most, resends of
  // requests that never arrived included, so that whoever holds a lease on
  // it (the commenter) can bound how long it may still take effect.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  for (int attempt = 1;; ++attempt) {
    if (!idempotent) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      request.timeout_ms = std::max<long>(1, static_cast<long>(left.count()));
    }
    ++state_->requests;
    HttpFailure failure;
    auto response = transport_->send(request, &failure);
    Error error;
    bool never_arrived = false;
    if (response) {
      if (response->status >= 200 && response->status < 300 && !bugzilla::is_error_body(response->body)) {
        LOG_DEBUG("bugzilla", shown + " -> " + std::to_string(response->status));
        return response;
      }
      error = bugzilla::error_from_response(response->status, response->body);
    } else {
      error = response.error();
      never_arrived = !failure.reached_server;
    }
    error.message = shown + ": " + error.message;
    // A POST that may have been processed is never resent here: the caller
    // checks the bug first (a 5xx can come after the comment was stored).
    bool may_resend = idempotent || never_arrived;
    if (!idempotent && !never_arrived && error.kind == ErrorKind::transient) {
      error.message += " (the request may have been processed)";
      error.outcome_unknown = true;
    }
    if (error.kind != ErrorKind::transient || attempt >= options_.max_attempts || !may_resend) {
      LOG_WARN("bugzilla", error.message);
      return error;
    }
    auto delay = options_.backoff_base * (1LL << std::min(attempt - 1, 10));
    if (delay > options_.backoff_max) delay = options_.backoff_max;
    std::chrono::milliseconds jittered;
    {
      MutexLock lock(state_->rng_mu);
      std::uniform_int_distribution<long long> dist(delay.count() / 2, delay.count());
      jittered = std::chrono::milliseconds(dist(state_->rng));
    }
    if (!idempotent && std::chrono::steady_clock::now() + jittered + std::chrono::milliseconds(100) >= deadline) {
      LOG_WARN("bugzilla", error.message + "; no time left to resend it");
      return error;
    }
    LOG_INFO("bugzilla",
             error.message + "; retry " + std::to_string(attempt) + " in " + std::to_string(jittered.count()) + " ms");
    ++state_->retries;
    options_.sleep(jittered);
  }
}

Result<std::vector<BugSummary>> BugzillaClient::search(const SearchQuery& q) {
  std::vector<std::pair<std::string, std::string>> query;
  if (!q.whiteboard_substring.empty() && !q.keyword.empty()) {
    // One request for both: a boolean chart joined with OR.
    query = {{"f1", "status_whiteboard"},
             {"o1", "substring"},
             {"v1", q.whiteboard_substring},
             {"f2", "keywords"},
             {"o2", "anywords"},
             {"v2", q.keyword},
             {"j_top", "OR"}};
  } else if (!q.whiteboard_substring.empty()) {
    // status_whiteboard_type is the name Bugzilla honours; whiteboard_type is ignored.
    query.emplace_back("whiteboard", q.whiteboard_substring);
    query.emplace_back("status_whiteboard_type", "substring");
  } else if (!q.keyword.empty()) {
    query.emplace_back("keywords", q.keyword);
    query.emplace_back("keywords_type", "anywords");
  }
  if (!q.changed_since.empty()) query.emplace_back("last_change_time", q.changed_since);
  query.emplace_back("include_fields", "id,whiteboard,keywords,last_change_time");
  query.emplace_back("order", "bug_id");
  AUTOLAND_TRY_ASSIGN(auto r, call("GET", "bug", query, "", true));
  return bugzilla::parse_search(r.body);
}

Result<Bug> BugzillaClient::get_bug(BugId id) {
  AUTOLAND_TRY_ASSIGN(auto r, call("GET", "bug/" + std::to_string(id), {}, "", true));
  return bugzilla::parse_bug(r.body, id);
}

Result<std::vector<Attachment>> BugzillaClient::attachments(BugId bug, bool with_data) {
  std::vector<std::pair<std::string, std::string>> query;
  if (!with_data) query.emplace_back("exclude_fields", "data");
  AUTOLAND_TRY_ASSIGN(auto r, call("GET", "bug/" + std::to_string(bug) + "/attachment", query, "", true));
  return bugzilla::parse_bug_attachments(r.body, bug, with_data);
}

Result<Attachment> BugzillaClient::attachment(BugId bug, AttachmentId id, bool with_data) {
  std::vector<std::pair<std::string, std::string>> query;
  if (!with_data) query.emplace_back("exclude_fields", "data");
  AUTOLAND_TRY_ASSIGN(auto r, call("GET", "bug/attachment/" + std::to_string(id), query, "", true));
  return bugzilla::parse_attachment(r.body, bug, id, with_data);
}

Result<std::vector<HistoryEntry>> BugzillaClient::history(BugId bug) {
  AUTOLAND_TRY_ASSIGN(auto r, call("GET", "bug/" + std::to_string(bug) + "/history", {}, "", true));
  return bugzilla::parse_history(r.body, bug);
}

Result<int64_t> BugzillaClient::post_comment(BugId bug, const std::string& text) {
  nlohmann::json body = {{"comment", text}};
  AUTOLAND_TRY_ASSIGN(auto r, call("POST", "bug/" + std::to_string(bug) + "/comment", {},
                                   body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), false));
  return bugzilla::parse_created_comment(r.body);
}

Result<std::vector<BugComment>> BugzillaClient::comments(BugId bug, const std::string& new_since) {
  std::vector<std::pair<std::string, std::string>> query;
  if (!new_since.empty()) query.emplace_back("new_since", new_since);
  AUTOLAND_TRY_ASSIGN(auto r, call("GET", "bug/" + std::to_string(bug) + "/comment", query, "", true));
  return bugzilla::parse_comments(r.body, bug);
}

Result<BugUpdateResult> BugzillaClient::update_bug(BugId bug, const BugUpdate& update) {
  nlohmann::json body = nlohmann::json::object();
  if (update.whiteboard) body["whiteboard"] = *update.whiteboard;
  if (!update.add_keywords.empty() || !update.remove_keywords.empty()) {
    nlohmann::json keywords = nlohmann::json::object();
    if (!update.add_keywords.empty()) keywords["add"] = update.add_keywords;
    if (!update.remove_keywords.empty()) keywords["remove"] = update.remove_keywords;
    body["keywords"] = keywords;
  }
  // A whiteboard write replaces the whole value: resent after a lost answer,
  // its result would no longer show what the first write replaced, so the
  // caller could not notice that it overwrote a human's edit. Keyword
  // add/remove is safe to resend.
  AUTOLAND_TRY_ASSIGN(auto r,
                      call("PUT", "bug/" + std::to_string(bug), {},
                           body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), !update.whiteboard));
  return bugzilla::parse_update(r.body, bug);
}

Result<User> BugzillaClient::user(const std::string& email) {
  AUTOLAND_TRY_ASSIGN(auto r, call("GET", "user", {{"names", email}}, "", true));
  AUTOLAND_TRY_ASSIGN(auto users, bugzilla::parse_users(r.body));
  for (const User& u : users) {
    if (u.name == email || u.email == email) return u;
  }
  return not_found("no Bugzilla user " + email);
}

std::unique_ptr<BugzillaClient> make_bugzilla_client(const std::string& base_url, const std::string& api_key,
                                                     const std::string& auth, const std::string& ca_file,
                                                     int timeout_seconds) {
  BugzillaOptions options;
  options.base_url = base_url;
  options.api_key = api_key;
  options.key_in_query = auth == "query";
  options.timeout_ms = timeout_seconds * 1000L;
  CurlOptions curl;
  curl.ca_file = ca_file;
  return std::make_unique<BugzillaClient>(std::move(options), make_curl_transport(curl));
}

int longest_comment_post_seconds(int timeout_seconds) { return timeout_seconds; }

}  // namespace autoland
