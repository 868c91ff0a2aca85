#include "api/api_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "api/http_server.h"
#include "api/json_views.h"
#include "api/metrics.h"
#include "core/branch_rules.h"
#include "core/landing_policy.h"
#include "core/lifecycle.h"
#include "core/patch.h"
#include "core/try_syntax.h"
#include "ports/vcs.h"
#include "services/queue/sheriff.h"
#include "services/request_check.h"
#include "services/request_limits.h"
#include "util/log.h"
#include "util/mutex.h"
#include "util/strings.h"

namespace autoland::api {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Thrown inside a handler; the wrapper turns it into the JSON error.
struct HttpError {
  int status;
  std::string error;
  std::string detail;
};

[[noreturn]] void refuse(int status, std::string error, std::string detail = "") {
  throw HttpError{status, std::move(error), std::move(detail)};
}

int status_for(const Error& e) {
  switch (e.kind) {
    case ErrorKind::invalid_input: return 400;
    case ErrorKind::not_found: return 404;
    case ErrorKind::conflict: return 409;
    case ErrorKind::denied: return 403;
    case ErrorKind::transient: return 503;
    default: return 500;
  }
}

std::string_view error_word(int status) {
  switch (status) {
    case 400: return "bad request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 408: return "request timeout";
    case 409: return "conflict";
    case 411: return "length required";
    case 413: return "payload too large";
    case 502: return "bad gateway";
    case 503: return "unavailable";
    default: return "internal error";
  }
}

[[noreturn]] void refuse(const Error& e) {
  int status = status_for(e);
  refuse(status, std::string(error_word(status)), e.message);
}

// Another system failed the request (its key refused, an answer autoland
// cannot read, an outage): the caller did nothing wrong, so never a 4xx.
[[noreturn]] void refuse_upstream(std::string_view system, const Error& e) {
  refuse(e.kind == ErrorKind::transient ? 503 : 502, e.kind == ErrorKind::transient ? "unavailable" : "bad gateway",
         std::string(system) + ": " + e.message);
}

// A request the shared check refused (services/request_check): 409 when it
// is well-formed but not possible now, else 400.
[[noreturn]] void refuse_request(const RequestRefusal& r) {
  if (r.for_now) refuse(409, "conflict", r.reason);
  refuse(400, "bad request", r.reason);
}

template <typename T>
T take(Result<T> r) {
  if (!r) refuse(r.error());
  return std::move(*r);
}
void take(const Status& s) {
  if (!s.ok()) refuse(s.error());
}

// The body as a JSON object holding only `allowed` keys.
json body_object(const HttpRequest& req, const std::vector<std::string_view>& allowed, bool may_be_empty) {
  if (req.body.empty()) {
    if (may_be_empty) return json::object();
    refuse(400, "bad request", "a JSON object is expected in the body");
  }
  // nlohmann keeps the last of two equal keys, other readers the first: an
  // object that names a key twice means two things, and is refused.
  std::vector<std::set<std::string>> open_objects;
  std::string twice;
  json::parser_callback_t note_keys = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == json::parse_event_t::key && !open_objects.empty() && parsed.is_string()) {
      if (!open_objects.back().insert(parsed.get<std::string>()).second && twice.empty()) twice = parsed;
    }
    return true;
  };
  json j = json::parse(req.body, note_keys, false);
  if (j.is_discarded()) refuse(400, "bad request", "the body is not valid JSON");
  if (!twice.empty()) refuse(400, "bad request", "the body names '" + util::printable(twice, 100) + "' twice");
  if (!j.is_object()) refuse(400, "bad request", "the body must be a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      refuse(400, "bad request",
             "unknown field '" + key + "'" + (names.empty() ? "" : " (known: " + util::join(names, ", ") + ")"));
    }
  }
  return j;
}

// No text field of the API needs more (a close reason, a try syntax, a URL).
constexpr size_t kMaxStringField = 2000;

std::string string_field(const json& j, const std::string& key, bool required, const std::string& fallback = "") {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) refuse(400, "bad request", "'" + key + "' is required");
    return fallback;
  }
  if (!it->is_string()) refuse(400, "bad request", "'" + key + "' must be a string");
  const std::string& text = it->get_ref<const std::string&>();
  if (text.size() > kMaxStringField) {
    refuse(400, "bad request",
           "'" + key + "' is " + std::to_string(text.size()) + " bytes, over the limit of " +
               std::to_string(kMaxStringField));
  }
  if (text.find('\0') != std::string::npos) refuse(400, "bad request", "'" + key + "' holds a NUL character");
  return text;
}

// A Bugzilla login as Bugzilla accepts one: user@host, at most 254 bytes
// (RFC 5321), no spaces or control characters.
bool is_bugzilla_login(std::string_view s) {
  size_t at = s.find('@');
  if (s.size() > 254 || at == 0 || at == std::string_view::npos || at + 1 >= s.size() ||
      s.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  return std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; });
}

std::optional<int64_t> int_field(const json& j, const std::string& key, int64_t lo, int64_t hi) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer() ||
      (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
    refuse(400, "bad request",
           "'" + key + "' must be an integer between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  int64_t v = it->get<int64_t>();
  if (v < lo || v > hi) {
    refuse(400, "bad request", "'" + key + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return v;
}

// A number in a path or a query as written once, canonically: digits only,
// no leading zero ("01" is not 1), within lo..hi. nullopt otherwise.
std::optional<int64_t> canonical_number(const std::string& text, int64_t lo, int64_t hi) {
  if (text.empty() || text.size() > 19 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  auto v = util::parse_uint(text);
  if (!v || *v > static_cast<uint64_t>(hi) || static_cast<int64_t>(*v) < lo) return std::nullopt;
  return static_cast<int64_t>(*v);
}

int64_t id_in_path(const std::string& text, const char* what) {
  auto v = canonical_number(text, 1, INT64_MAX);
  if (!v)
    refuse(400, "bad request", std::string(what) + " '" + util::printable(text, 40) + "' is not a positive number");
  return *v;
}

// ?key=N, once, within lo..hi (out-of-range numbers are refused, never
// wrapped into a value that matches everything). nullopt when absent.
std::optional<int64_t> number_param(const HttpRequest& req, const std::string& key, int64_t lo, int64_t hi) {
  size_t given = req.param_count(key);
  if (given == 0) return std::nullopt;
  auto v = given == 1 ? canonical_number(req.get_param_value(key), lo, hi) : std::nullopt;
  if (!v) {
    refuse(
        400, "bad request",
        "'" + key + "' must be given once, as a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  return v;
}

// "on"/"off" or true/false under `key`.
bool switch_field(const json& j, const std::string& key) {
  auto it = j.find(key);
  if (it == j.end()) refuse(400, "bad request", "'" + key + "' is required (true or false)");
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_string() && (*it == "on" || *it == "off")) return *it == "on";
  refuse(400, "bad request", "'" + key + "' must be true, false, \"on\" or \"off\"");
}

const std::vector<std::string_view> kBranchFields = {"repo_url",
                                                     "pull_url",
                                                     "vcs",
                                                     "threshold",
                                                     "status",
                                                     "required_level",
                                                     "pretest_branch",
                                                     "default_try_syntax",
                                                     "try_syntax_in",
                                                     "max_retriggers",
                                                     "results_timeout_minutes",
                                                     "ci",
                                                     "landing_strategy",
                                                     "max_batch"};

// `b` with the fields `j` sets, each checked; throws HttpError on bad input.
// Touches no store (it also runs inside the store's branch transaction).
void apply_branch_fields(Branch& b, const json& j) {
  // A URL sent back as GET showed it (credentials redacted) keeps the stored one.
  auto url = [&j](const std::string& key, std::string& stored, bool required) {
    std::string given = string_field(j, key, required);
    if (given != util::redact_url(stored)) stored = given;
  };
  if (j.contains("repo_url")) url("repo_url", b.repo_url, true);
  if (j.contains("pull_url")) url("pull_url", b.pull_url, false);
  if (j.contains("vcs")) b.vcs = take(parse_vcs(string_field(j, "vcs", true)));
  if (auto v = int_field(j, "threshold", 0, 1000)) b.threshold = static_cast<int>(*v);
  if (j.contains("status")) b.status = take(parse_branch_status(string_field(j, "status", true)));
  if (auto v = int_field(j, "required_level", 1, 3)) b.required_level = static_cast<int>(*v);
  if (j.contains("pretest_branch")) b.pretest_branch = string_field(j, "pretest_branch", false);
  if (j.contains("default_try_syntax")) b.default_try_syntax = string_field(j, "default_try_syntax", false);
  if (j.contains("try_syntax_in")) {
    std::string where = string_field(j, "try_syntax_in", true);
    if (where != "tip_message" && where != "empty_commit") {
      refuse(400, "bad request", "'try_syntax_in' must be \"tip_message\" or \"empty_commit\"");
    }
    b.try_syntax_in_tip = where == "tip_message";
  }
  if (auto v = int_field(j, "max_retriggers", 0, 20)) b.max_retriggers = static_cast<int>(*v);
  if (auto v = int_field(j, "results_timeout_minutes", 1, int64_t{7} * 24 * 60))
    b.results_timeout_minutes = static_cast<int>(*v);
  if (j.contains("ci")) b.ci_source = string_field(j, "ci", true);
  if (j.contains("landing_strategy")) {
    b.landing_strategy = take(parse_landing_strategy(string_field(j, "landing_strategy", true)));
  }
  if (auto v = int_field(j, "max_batch", 1, 100)) b.max_batch = static_cast<int>(*v);
}

// Every state a patchset is in before it ends.
std::vector<State> live_states() {
  std::vector<State> out;
  for (State st : all_states()) {
    if (!is_terminal(st)) out.push_back(st);
  }
  return out;
}

// The order the landing policy takes them in: in flight first, then waiting
// by priority and age, then those not yet checked.
int queue_rank(State s) {
  switch (s) {
    case State::pushing:
    case State::testing:
    case State::retrying:
    case State::backing_out: return 0;
    case State::waiting: return 1;
    default: return 2;
  }
}

}  // namespace

struct ApiServer::Impl {
  Impl(Store& s, const Clock& c, ApiOptions o)
      : store(s),
        clock(c),
        options(std::move(o)),
        auth(options.tokens),
        metrics(store, clock, options.worker_failover_seconds),
        http(options.http, [](HttpResponse& res, const std::string& detail) {
          send(res, res.status, {{"error", std::string(error_word(res.status))}, {"detail", detail}});
        }) {}

  Store& store;
  const Clock& clock;
  ApiOptions options;
  TokenAuth auth;
  Metrics metrics;
  HttpServer http;
  // The request limits are counted and a new patchset made under one lock,
  // so that requests arriving together cannot all pass the count.
  Mutex new_requests;
  Mutex health_mu;
  SteadyClock::time_point health_at GUARDED_BY(health_mu);
  json health_cached GUARDED_BY(health_mu);
  int health_status GUARDED_BY(health_mu) = 0;

  enum class Need { read, write };
  using Handler = std::function<void(const HttpRequest&, HttpResponse&, const Caller&)>;

  static void send(HttpResponse& res, int status, const json& body) {
    res.status = status;
    // A reason may quote hg's or a patch's bytes: invalid UTF-8 is replaced, not fatal.
    res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
  }

  Caller authorize(const HttpRequest& req, Need need) {
    std::string header = req.get_header_value("Authorization");
    std::optional<Caller> caller = header.empty() ? std::nullopt : auth.identify(header);
    if (!header.empty() && !caller) refuse(401, "unauthorized", "the bearer token is not known");
    if (need == Need::read) {
      if (caller) return *caller;
      if (options.open_reads) return Caller{};
      refuse(401, "unauthorized", "a bearer token is needed (Authorization: Bearer TOKEN)");
    }
    if (!caller) refuse(401, "unauthorized", "a bearer token with the sheriff role is needed");
    if (caller->role < Role::sheriff) {
      refuse(403, "forbidden",
             "token '" + caller->name + "' has the " + std::string(to_string(caller->role)) +
                 " role; this needs sheriff or admin");
    }
    return *caller;
  }

  // The caller is identified from the headers, before the body is read; a
  // sheriff's request is urgent (the kill switch stays reachable under load).
  void route(const char* method, const std::string& pattern, const std::string& label, Need need, const Handler& h) {
    auto gate = [this, need](const HttpRequest& head) {
      GateDecision d;
      try {
        d.urgent = authorize(head, need).role >= Role::sheriff;
      } catch (const HttpError& e) {
        HttpResponse res;
        send(res, e.status, {{"error", e.error}, {"detail", e.detail}});
        d.refusal = std::move(res);
      }
      return d;
    };
    auto handler = [this, label, need, h](const HttpRequest& req, HttpResponse& res) {
      auto started = SteadyClock::now();
      try {
        Caller caller = authorize(req, need);
        h(req, res, caller);
      } catch (const HttpError& e) {
        send(res, e.status, {{"error", e.error}, {"detail", e.detail}});
      } catch (const std::exception& e) {
        LOG_ERROR("api", label + ": " + e.what());
        send(res, 500, {{"error", "internal error"}, {"detail", "the request could not be handled (see the log)"}});
      }
      metrics.observe_request(label, res.status, std::chrono::duration<double>(SteadyClock::now() - started).count());
    };
    http.route(method, pattern, gate, handler);
  }

  std::string who(const Caller& c) const { return "user:" + c.name; }

  // The branch rules of core/branch_rules, with this store's branches and
  // the CI sources configured: 400 naming the rule.
  void validate(const Branch& b) {
    BranchRuleContext rules;
    rules.ci_sources = options.ci_sources;
    rules.find = [this](const std::string& name) -> std::optional<Branch> {
      auto found = store.get_branch(name);
      if (found) return *found;
      if (found.error().kind != ErrorKind::not_found) refuse(found.error());
      return std::nullopt;
    };
    take(validate_branch(b, rules));
  }

  json patchset_json(const PatchSet& ps) {
    json j = to_json(ps);
    j["age_seconds"] = clock.now() - ps.creation_time;
    return j;
  }

  void add_routes();
  void add_seed_routes();
  void add_read_routes();
  void add_request_route();
  void add_branch_routes();
  void add_patchset_routes();
  void add_sheriff_routes();
  json queue_view();
  std::pair<int, json> health();
};

// The routes of the original specification: reading bugs, patchsets and
// branches; asking for a landing; changing branches; changing or deleting a
// patchset. Registered in this order.
void ApiServer::Impl::add_seed_routes() {
  add_read_routes();
  add_request_route();
  add_branch_routes();
  add_patchset_routes();
}

void ApiServer::Impl::add_read_routes() {
  route("GET", R"(/bugs/([^/]+))", "GET /bugs/{bug}", Need::read,
        [this](const HttpRequest& req, HttpResponse& res, const Caller&) {
          BugId bug = static_cast<BugId>(id_in_path(req.matches[1], "bug id"));
          json list = json::array();
          for (const PatchSet& ps : take(store.find_patchsets({.bug_id = bug}))) list.push_back(patchset_json(ps));
          send(res, 200, {{"bug_id", bug}, {"patchSets", list}});
        });
  route("GET", R"(/patchSets/([^/]+))", "GET /patchSets/{id}", Need::read,
        [this](const HttpRequest& req, HttpResponse& res, const Caller& caller) {
          PatchSetId id = id_in_path(req.matches[1], "patchset id");
          json j = patchset_json(take(store.get_patchset(id)));
          json comments = json::array();
          for (const OutboxComment& c : take(store.comments_for(id))) {
            json shown = to_json(c);
            // A bug can turn private at any time, unseen by autoland: what the
            // comments say is for sheriffs; readers see what was posted when.
            if (caller.role < Role::sheriff) shown.erase("body");
            comments.push_back(std::move(shown));
          }
          j["comments"] = comments;
          send(res, 200, j);
        });
  route("GET", "/branches", "GET /branches", Need::read, [this](const HttpRequest&, HttpResponse& res, const Caller&) {
    json list = json::array();
    for (const Branch& b : take(store.list_branches())) list.push_back(to_json(b));
    send(res, 200, {{"branches", list}});
  });
  route("GET", R"(/branches/([^/]+))", "GET /branches/{name}", Need::read,
        [this](const HttpRequest& req, HttpResponse& res, const Caller&) {
          send(res, 200, to_json(take(store.get_branch(req.matches[1]))));
        });
}

void ApiServer::Impl::add_request_route() {
  // A new request, checked as the trigger checks a tag's: the branch known
  // and enabled, every attachment on the bug, current, and a patch autoland
  // can apply. `request_id` makes a retried POST find the first one.
  route("POST", R"(/bugs/([^/]+))", "POST /bugs/{bug}", Need::write,
        [this](const HttpRequest& req, HttpResponse& res, const Caller& caller) {
          BugId bug = static_cast<BugId>(id_in_path(req.matches[1], "bug id"));
          json j = body_object(req, {"branch", "patches", "try_syntax", "requester", "priority", "request_id"}, false);
          std::string branch_name = string_field(j, "branch", true);
          auto patches_it = j.find("patches");
          if (patches_it == j.end() || !patches_it->is_array() || patches_it->empty()) {
            refuse(400, "bad request",
                   "'patches' must list the attachment ids to land (an empty patchset could be taken before "
                   "its patches arrive)");
          }
          std::vector<AttachmentId> ids;
          for (const json& p : *patches_it) {
            if (!p.is_number_unsigned() || p.get<uint64_t>() == 0) {
              refuse(400, "bad request", "'patches' must hold positive attachment ids");
            }
            AttachmentId id = p.get<AttachmentId>();
            if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
              refuse(400, "bad request", "attachment " + std::to_string(id) + " is listed twice");
            }
            ids.push_back(id);
          }
          std::string try_syntax = string_field(j, "try_syntax", false);
          if (!try_syntax.empty()) {
            auto parsed = parse_try_syntax(try_syntax);
            if (!parsed) refuse(400, "bad request", "'try_syntax': " + parsed.error().message);
          }
          std::string requester = string_field(j, "requester", true);
          if (!is_bugzilla_login(requester)) {
            refuse(400, "bad request",
                   "'requester' must be the Bugzilla email of who asks for this landing (user@host, at most 254 "
                   "bytes, no spaces)");
          }
          int priority = static_cast<int>(int_field(j, "priority", -1000, 1000).value_or(0));
          std::string request_id = string_field(j, "request_id", false);
          if (request_id.size() > 200) refuse(400, "bad request", "'request_id' is longer than 200 characters");

          // A retried POST (same request_id) finds the first one, whatever happened since.
          const std::string key = std::string(kApiRequestKeyPrefix) + std::to_string(bug) + "/" + request_id;
          if (!request_id.empty()) {
            if (auto existing = take(store.find_by_request_key(key))) return send(res, 200, patchset_json(*existing));
          }
          auto branches = take(check_branches(store, {branch_name}));
          if (!branches.accepted) refuse_request(branches.refusal);
          const Branch& branch = branches.accepted->front();
          // The limits before the patches, as for a tag: a request over them
          // is refused the same way whatever else is wrong with it, and costs
          // Bugzilla nothing. Counted again below, with the new one made.
          auto refuse_over_limit = [&] {
            std::string over = take(over_request_limit(store, bug, requester, 1, options.request_limits));
            if (!over.empty()) refuse(429, "too many requests", over);
          };
          refuse_over_limit();
          if (!options.bugs) refuse(503, "unavailable", "no Bugzilla is configured to check the attachments");
          auto attachments = options.bugs->attachments(bug, true);
          if (!attachments) {
            const Error& e = attachments.error();
            if (e.kind == ErrorKind::not_found || e.kind == ErrorKind::denied) {
              refuse(404, "not found", "bug " + std::to_string(bug) + ": " + e.message);
            }
            refuse_upstream("Bugzilla", e);
          }
          auto patches = take(choose_patches(bug, *attachments, ids, options.patch_limits));
          if (!patches.accepted) refuse_request(patches.refusal);
          NewPatchSet ps;
          ps.bug_id = bug;
          ps.patches = patches.accepted->ids;
          ps.branch = branch.name;
          ps.stage = branch.initial_stage();
          ps.try_syntax = try_syntax;
          ps.author = patches.accepted->author;
          ps.requester = requester;
          ps.priority = priority;
          ps.request_key = request_id.empty()
                               ? std::string(kApiRequestKeyPrefix) + std::to_string(bug) + "/" + caller.name + "@" +
                                     std::to_string(clock.now()) + "#" + random_token().substr(0, 12)
                               : key;
          ps.origin = RequestOrigin::api;
          MutexLock counted(new_requests);
          // The same request_id may have been made meanwhile: it is answered,
          // not counted against the limit it may have filled.
          if (!request_id.empty()) {
            if (auto existing = take(store.find_by_request_key(key))) return send(res, 200, patchset_json(*existing));
          }
          refuse_over_limit();
          auto created = store.create_patchset(ps, who(caller));
          if (!created && created.error().kind == ErrorKind::conflict && !request_id.empty()) {
            // The same request_id raced in from another connection: answer with that one.
            if (auto existing = take(store.find_by_request_key(key))) return send(res, 200, patchset_json(*existing));
          }
          send(res, 201, patchset_json(take(std::move(created))));
        });
}

void ApiServer::Impl::add_branch_routes() {
  route("POST", R"(/branches/([^/]+))", "POST /branches/{name}", Need::write,
        [this](const HttpRequest& req, HttpResponse& res, const Caller& caller) {
          json j = body_object(req, kBranchFields, false);
          Branch b;
          b.name = req.matches[1];
          take(check_branch_name(b.name));
          if (store.get_branch(b.name)) refuse(409, "conflict", "branch '" + b.name + "' exists already");
          apply_branch_fields(b, j);
          validate(b);
          send(res, 201, to_json(take(store.create_branch(b, who(caller)))));
        });
  route("PUT", R"(/branches/([^/]+))", "PUT /branches/{name}", Need::write,
        [this](const HttpRequest& req, HttpResponse& res, const Caller& caller) {
          json j = body_object(req, kBranchFields, false);
          const std::string name = req.matches[1];
          Branch current = take(store.get_branch(name));
          Branch wanted = current;
          apply_branch_fields(wanted, j);  // refuses bad input before anything is written
          validate(wanted);
          // Only the fields asked for change: one transaction, so a sheriff's
          // concurrent tree or threshold change is kept, and the patchsets in
          // flight are counted in it.
          send(res, 200,
               to_json(take(store.change_branch(
                   name,
                   [&j, &name](Branch& b, int64_t in_flight) -> Status {
                     Branch before = b;
                     try {
                       apply_branch_fields(b, j);
                     } catch (const HttpError& e) {
                       return invalid_input(e.detail);
                     }
                     if (in_flight > 0 && moves_pushes(before, b)) {
                       return conflict("branch '" + name + "' has " + std::to_string(in_flight) +
                                       " patchset(s) in flight; its remote, vcs and pretest branch can " +
                                       "change once they have ended");
                     }
                     return {};
                   },
                   who(caller)))));
        });
  route("PUT", R"(/branches/([^/]+)/threshold)", "PUT /branches/{name}/threshold", Need::write,
        [this](const HttpRequest& req, HttpResponse& res, const Caller& caller) {
          json j = body_object(req, {"threshold"}, false);
          auto t = int_field(j, "threshold", 0, 1000);
          if (!t) refuse(400, "bad request", "'threshold' is required");
          send(res, 200, to_json(take(set_branch_threshold(store, req.matches[1], static_cast<int>(*t), who(caller)))));
        });
  route("PUT", R"(/branches/([^/]+)/status)", "PUT /branches/{name}/status", Need::write,
        [this](const HttpRequest& req, HttpResponse& res, const Caller& caller) {
          json j = body_object(req, {"status"}, false);
          BranchStatus s = take(parse_branch_status(string_field(j, "status", true)));
          send(res, 200,
               to_json(take(set_branch_enabled(store, req.matches[1], s == BranchStatus::enabled, who(caller)))));
        });
  route("DELETE", R"(/branches/([^/]+))", "DELETE /branches/{name}", Need::write,
        [this](const HttpRequest& req, HttpResponse& res, const Caller& caller) {
          take(store.delete_branch(req.matches[1], who(caller)));
          send(res, 200, {{"deleted", std::string(req.matches[1])}});
        });
}

void ApiServer::Impl::add_patchset_routes() {
  route("PUT", R"(/patchSets/([^/]+)/([^/]+))", "PUT /patchSets/{id}/{patch}", Need::write,
        [this](const HttpRequest& req, HttpResponse& res, const Caller& caller) {
          PatchSetId id = id_in_path(req.matches[1], "patchset id");
          std::string second = req.matches[2];
          if (second == "priority") {  // PUT /patchSets/{id}/priority
            json j = body_object(req, {"priority"}, false);
            auto p = int_field(j, "priority", -1000, 1000);
            if (!p) refuse(400, "bad request", "'priority' is required");
            return send(res, 200,
                        patchset_json(take(set_patchset_priority(store, id, static_cast<int>(*p), who(caller)))));
          }
          AttachmentId patch = static_cast<AttachmentId>(id_in_path(second, "attachment id"));
          body_object(req, {}, true);
          PatchSet ps = take(store.get_patchset(id));
          if (!options.bugs) refuse(503, "unavailable", "no Bugzilla is configured to check the attachment");
          auto a = options.bugs->attachment(ps.bug_id, patch, true);
          if (!a) {
            if (a.error().kind == ErrorKind::not_found || a.error().kind == ErrorKind::denied) {
              refuse(400, "bad request",
                     "attachment " + std::to_string(patch) + " is not on bug " + std::to_string(ps.bug_id) + ": " +
                         a.error().message);
            }
            refuse_upstream("Bugzilla", a.error());
          }
          auto checked = take(choose_patches(ps.bug_id, {*a}, {patch}, options.patch_limits));
          if (!checked.accepted) refuse_request(checked.refusal);
          send(res, 200, patchset_json(take(store.add_patch(id, patch, who(caller)))));
        });
  route("DELETE", R"(/patchSets/([^/]+))", "DELETE /patchSets/{id}", Need::write,
        [this](const HttpRequest& req, HttpResponse& res, const Caller& caller) {
          PatchSetId id = id_in_path(req.matches[1], "patchset id");
          take(delete_patchset(store, id, who(caller)));
          send(res, 200, {{"deleted", id}});
        });
}

json ApiServer::Impl::queue_view() {
  std::vector<Branch> branches = take(store.list_branches());
  std::map<std::string, std::vector<PatchSet>> by_target;
  std::map<std::string, const Branch*> named;
  for (const Branch& b : branches) named[b.name] = &b;
  PatchSetQuery q{.states = live_states(), .after_id = 0, .limit = 1000};
  while (true) {
    auto page = take(store.find_patchsets(q));
    for (const PatchSet& ps : page) {
      auto b = named.find(ps.branch);
      by_target[b == named.end() ? ps.branch : b->second->branch_for(ps.stage)].push_back(ps);
    }
    if (page.size() < q.limit) break;
    q.after_id = page.back().id;
  }
  // Why waiting patchsets wait, as the queue's last pass decided.
  const auto holds = decode_holds(take(store.get_setting(std::string(kHoldsSetting))).value_or(""));
  json out = json::array();
  for (const Branch& b : branches) {
    auto& list = by_target[b.name];
    std::stable_sort(list.begin(), list.end(), [](const PatchSet& x, const PatchSet& y) {
      if (queue_rank(x.state) != queue_rank(y.state)) return queue_rank(x.state) < queue_rank(y.state);
      if (x.priority != y.priority) return x.priority > y.priority;
      return x.creation_time != y.creation_time ? x.creation_time < y.creation_time : x.id < y.id;
    });
    json entries = json::array();
    int in_flight = 0;
    for (const PatchSet& ps : list) {
      in_flight += queue_rank(ps.state) == 0;
      json entry = {{"id", ps.id},
                    {"bug_id", ps.bug_id},
                    {"state", to_string(ps.state)},
                    {"stage", to_string(ps.stage)},
                    {"destination", ps.branch},
                    {"priority", ps.priority},
                    {"requester", ps.requester},
                    {"age_seconds", clock.now() - ps.creation_time}};
      auto hold = holds.find(ps.id);
      if (ps.state == State::waiting && hold != holds.end()) {
        entry["hold"] = {{"code", to_string(hold->second.code)}, {"reason", hold->second.reason}};
      }
      entries.push_back(std::move(entry));
    }
    out.push_back({{"branch", b.name},
                   {"status", to_string(b.status)},
                   {"tree", to_string(b.tree)},
                   {"threshold", b.threshold},
                   {"in_flight", in_flight},
                   {"patchSets", entries}});
  }
  return out;
}

void ApiServer::Impl::add_sheriff_routes() {
  route("GET", "/queue", "GET /queue", Need::read, [this](const HttpRequest&, HttpResponse& res, const Caller&) {
    bool kill = take(kill_switch_on(store));
    send(res, 200, {{"killswitch", kill ? "on" : "off"}, {"branches", queue_view()}});
  });
  route("GET", "/killswitch", "GET /killswitch", Need::read,
        [this](const HttpRequest&, HttpResponse& res, const Caller&) {
          send(res, 200, {{"on", take(kill_switch_on(store))}});
        });
  route("PUT", "/killswitch", "PUT /killswitch", Need::write,
        [this](const HttpRequest& req, HttpResponse& res, const Caller& caller) {
          json j = body_object(req, {"on", "reason"}, false);
          bool on = switch_field(j, "on");
          std::string reason = string_field(j, "reason", false);
          take(set_kill_switch(store, on, who(caller) + (reason.empty() ? "" : " (" + reason + ")")));
          send(res, 200, {{"on", on}});
        });
  route("GET", "/components", "GET /components", Need::read,
        [this](const HttpRequest&, HttpResponse& res, const Caller&) {
          json out = json::object();
          for (std::string_view c : kComponents) out[std::string(c)] = take(component_on(store, std::string(c)));
          send(res, 200, out);
        });
  route("PUT", R"(/components/([^/]+))", "PUT /components/{name}", Need::write,
        [this](const HttpRequest& req, HttpResponse& res, const Caller& caller) {
          json j = body_object(req, {"on"}, false);
          bool on = switch_field(j, "on");
          take(set_component(store, req.matches[1], on, who(caller)));
          send(res, 200, {{"component", std::string(req.matches[1])}, {"on", on}});
        });
  route("PUT", R"(/branches/([^/]+)/tree)", "PUT /branches/{name}/tree", Need::write,
        [this](const HttpRequest& req, HttpResponse& res, const Caller& caller) {
          json j = body_object(req, {"status", "reason"}, false);
          TreeStatus t = take(parse_tree_status(string_field(j, "status", true)));
          send(res, 200,
               to_json(take(set_tree_status(store, req.matches[1], t, string_field(j, "reason", false), who(caller)))));
        });
  auto action = [this](const char* name, auto op) {
    route("POST", std::string(R"(/patchSets/([^/]+)/)") + name, std::string("POST /patchSets/{id}/") + name,
          Need::write, [this, op](const HttpRequest& req, HttpResponse& res, const Caller& caller) {
            PatchSetId id = id_in_path(req.matches[1], "patchset id");
            json j = body_object(req, {"reason"}, true);
            std::string reason = string_field(j, "reason", false);
            send(res, 200, patchset_json(take(op(id, who(caller), reason))));
          });
  };
  action("force", [this](PatchSetId id, const std::string& w, const std::string& r) {
    return force_patchset(store, clock, id, w, r);
  });
  action("cancel", [this](PatchSetId id, const std::string& w, const std::string& r) {
    return cancel_patchset(store, clock, id, w, r);
  });
  action("retry", [this](PatchSetId id, const std::string& w, const std::string&) {
    return retry_patchset(store, clock, id, w);
  });
  action("backout", [this](PatchSetId id, const std::string& w, const std::string& r) {
    return back_out_patchset(store, clock, id, w, r);
  });
  route("GET", "/events", "GET /events", Need::read, [this](const HttpRequest& req, HttpResponse& res, const Caller&) {
    EventQuery q;
    if (auto since = number_param(req, "since", 0, INT64_MAX)) q.since = static_cast<UnixTime>(*since);
    if (auto after = number_param(req, "after", 0, INT64_MAX)) q.after_id = *after;
    if (auto patchset = number_param(req, "patchset", 1, INT64_MAX)) q.patchset_id = *patchset;
    if (req.has_param("newest")) {
      std::string v = req.get_param_value("newest");
      if (v != "true" && v != "false") refuse(400, "bad request", "'newest' must be true or false");
      q.newest = v == "true";
    }
    if (auto limit = number_param(req, "limit", 1, 1000)) q.limit = static_cast<size_t>(*limit);
    json list = json::array();
    for (const AuditEvent& e : take(store.list_events(q))) list.push_back(to_json(e));
    send(res, 200, {{"events", list}});
  });
  route("GET", "/health", "GET /health", Need::read, [this](const HttpRequest&, HttpResponse& res, const Caller&) {
    auto [status, body] = health();
    send(res, status, body);
  });
  route("GET", "/workers", "GET /workers", Need::read, [this](const HttpRequest&, HttpResponse& res, const Caller&) {
    json list = json::array();
    for (const WorkerView& w : take(view_workers(store, clock.now(), options.worker_failover_seconds))) {
      list.push_back(to_json(w));
    }
    send(res, 200, {{"workers", list}});
  });
  route("GET", "/metrics", "GET /metrics", Need::read, [this](const HttpRequest&, HttpResponse& res, const Caller&) {
    res.status = 200;
    res.set_content(take(metrics.render()), "text/plain; version=0.0.4");
  });
}

std::pair<int, json> ApiServer::Impl::health() {
  {
    MutexLock lock(health_mu);
    if (health_status != 0 && SteadyClock::now() - health_at < std::chrono::seconds(options.health_cache_seconds)) {
      return {health_status, health_cached};
    }
  }
  // Probes run outside the lock: a slow Bugzilla holds this request only.
  json checks = json::object();
  bool ok = true;
  for (const HealthCheck& c : options.health) {
    auto started = SteadyClock::now();
    Status s = c.probe();
    double ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - started).count();
    checks[c.name] = {{"ok", s.ok()}, {"detail", s.ok() ? "" : s.error().message}, {"ms", std::round(ms * 10) / 10}};
    ok = ok && s.ok();
  }
  json body = {{"status", ok ? "ok" : "degraded"}, {"checks", checks}};
  // Who is running, beside what works: a worker the others rely on
  // (the trigger's leader) silent for long is what an operator looks for.
  json workers = json::array();
  if (auto seen = view_workers(store, clock.now(), options.worker_failover_seconds)) {
    for (const WorkerView& w : *seen) workers.push_back(to_json(w));
  }
  body["workers"] = workers;
  MutexLock lock(health_mu);
  health_cached = body;
  health_status = ok ? 200 : 503;
  health_at = SteadyClock::now();
  return {ok ? 200 : 503, body};
}

void ApiServer::Impl::add_routes() {
  add_sheriff_routes();  // before the seed's: /branches/x/tree and /patchSets/x/force are more specific
  add_seed_routes();
}

ApiServer::ApiServer(Store& store, const Clock& clock, ApiOptions options)
    : impl_(std::make_unique<Impl>(store, clock, std::move(options))) {
  impl_->add_routes();
}

ApiServer::~ApiServer() { stop(); }

Status ApiServer::start(const std::string& host, int port) { return impl_->http.start(host, port); }

void ApiServer::stop() {
  if (impl_) impl_->http.stop();
}

int ApiServer::port() const { return impl_->http.port(); }
std::string ApiServer::url() const { return "http://127.0.0.1:" + std::to_string(impl_->http.port()); }

}  // namespace autoland::api
