#include "sandbox/bugzilla/bugzilla_server.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "util/base64.h"
#include "util/strings.h"

namespace autoland::sandbox {
namespace {

using nlohmann::json;

std::string now_string() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct SFlag {
  int64_t id = 0;
  int type_id = 1;
  std::string name, status, setter, requestee, creation, modification;
};

struct SAttachment {
  AttachmentId id = 0;
  BugId bug_id = 0;
  std::string data, file_name, summary, content_type = "text/plain", creator, creation_time, last_change_time;
  bool is_patch = true, is_obsolete = false, is_private = false;
  std::vector<SFlag> flags;
};

struct SChange {
  std::string field, removed, added;
  std::optional<AttachmentId> attachment_id;
};

struct SHistory {
  std::string when, who;
  std::vector<SChange> changes;
};

struct SComment {
  int64_t id = 0;
  BugId bug_id = 0;
  int count = 0;
  std::string text, creator, time;
  std::optional<AttachmentId> attachment_id;
};

struct SBug {
  BugId id = 0;
  std::string summary, status = "NEW", whiteboard, creator, creation_time, last_change_time;
  std::vector<std::string> keywords, groups;
  std::vector<SFlag> flags;
  std::vector<AttachmentId> attachments;
  std::vector<SHistory> history;
  std::vector<SComment> comments;
};

struct SUser {
  int64_t id = 0;
  std::string email, real_name, api_key;
  std::vector<std::string> groups;
  bool in(const std::string& g) const { return std::find(groups.begin(), groups.end(), g) != groups.end(); }
};

json error_json(int code, const std::string& message) {
  return {{"error", true},
          {"code", code},
          {"message", message},
          {"documentation", "https://bugzilla.readthedocs.org/en/5.0/api/"}};
}

struct ApiError {
  int status;
  int code;
  std::string message;
};

json flag_json(const SFlag& f) {
  json j = {{"id", f.id},
            {"type_id", f.type_id},
            {"name", f.name},
            {"status", f.status},
            {"setter", f.setter},
            {"creation_date", f.creation},
            {"modification_date", f.modification}};
  if (f.status == "?" && !f.requestee.empty()) j["requestee"] = f.requestee;
  return j;
}

}  // namespace

struct BugzillaServer::Impl {
  ServerOptions options;
  std::unique_ptr<httplib::Server> http;
  std::thread thread;
  int port = 0;

  mutable std::mutex mu;
  std::map<BugId, SBug> bugs;
  std::map<AttachmentId, SAttachment> attachments;
  std::map<std::string, SUser> users_by_email;
  std::set<std::string> valid_keywords{"checkin-needed"};
  int64_t next_comment_id = 1;
  int64_t next_flag_id = 1;
  int64_t next_user_id = 1;
  ServerStats stats;
  std::mt19937_64 rng{1};
  FaultPlan faults;
  // Requests answered 504 and carried out later; stopped and joined on exit.
  std::vector<std::thread> late_work;
  std::condition_variable stopping_cv;
  bool stopping = false;

  // ---- seed data ----
  Status add_seed(const std::string& text) {
    json seed = json::parse(text, nullptr, false);
    if (seed.is_discarded() || !seed.is_object()) return invalid_input("sandbox seed is not a JSON object");
    std::lock_guard lock(mu);
    for (const json& k : seed.value("keywords", json::array())) valid_keywords.insert(k.get<std::string>());
    for (const json& u : seed.value("users", json::array())) {
      SUser user;
      user.id = next_user_id++;
      user.email = u.value("email", "");
      user.real_name = u.value("real_name", "");
      user.api_key = u.value("api_key", "");
      user.groups = u.value("groups", std::vector<std::string>{});
      if (user.email.empty()) return invalid_input("sandbox seed: a user needs an email");
      users_by_email[user.email] = user;
    }
    for (const json& b : seed.value("bugs", json::array())) {
      SBug bug;
      bug.id = b.value("id", 0);
      if (bug.id == 0) return invalid_input("sandbox seed: a bug needs an id");
      bug.summary = b.value("summary", "Bug " + std::to_string(bug.id));
      bug.status = b.value("status", "NEW");
      bug.creator = b.value("creator", "admin@example.com");
      bug.whiteboard = b.value("whiteboard", "");
      bug.keywords = b.value("keywords", std::vector<std::string>{});
      bug.groups = b.value("groups", std::vector<std::string>{});
      bug.creation_time = bug.last_change_time = b.value("creation_time", now_string());
      bug.comments.push_back({next_comment_id++, bug.id, 0, b.value("description", bug.summary), bug.creator,
                              bug.creation_time, std::nullopt});
      std::string setter = b.value("whiteboard_set_by", bug.creator);
      if (!bug.whiteboard.empty()) {
        bug.history.push_back({bug.creation_time, setter, {{"whiteboard", "", bug.whiteboard, std::nullopt}}});
      }
      if (!bug.keywords.empty()) {
        bug.history.push_back({bug.creation_time,
                               b.value("keywords_set_by", setter),
                               {{"keywords", "", util::join(bug.keywords, ", "), std::nullopt}}});
      }
      for (const json& a : b.value("attachments", json::array())) {
        SAttachment att;
        att.id = a.value("id", 0);
        if (att.id == 0) return invalid_input("sandbox seed: an attachment needs an id");
        att.bug_id = bug.id;
        if (a.contains("data_base64")) {
          auto decoded = util::base64_decode(a["data_base64"].get<std::string>());
          if (!decoded) return invalid_input("sandbox seed: attachment data_base64 is not base64");
          att.data = *decoded;
        } else {
          att.data = a.value("data", "");
        }
        att.file_name = a.value("file_name", "patch-" + std::to_string(att.id) + ".diff");
        att.summary = a.value("summary", a.value("description", ""));
        att.content_type = a.value("content_type", "text/plain");
        att.is_patch = a.value("is_patch", true);
        att.is_obsolete = a.value("is_obsolete", false);
        att.is_private = a.value("is_private", false);
        att.creator = a.value("creator", bug.creator);
        att.creation_time = att.last_change_time = a.value("creation_time", bug.creation_time);
        for (const json& f : a.value("flags", json::array())) {
          SFlag flag;
          flag.id = next_flag_id++;
          flag.name = f.value("name", "review");
          flag.status = f.value("status", "?");
          flag.setter = f.value("setter", att.creator);
          flag.requestee = f.value("requestee", "");
          flag.creation = flag.modification = att.creation_time;
          att.flags.push_back(flag);
        }
        bug.comments.push_back({next_comment_id++, bug.id, static_cast<int>(bug.comments.size()),
                                "Created attachment " + std::to_string(att.id) + "\n" + att.summary, att.creator,
                                att.creation_time, att.id});
        bug.attachments.push_back(att.id);
        attachments[att.id] = std::move(att);
      }
      bugs[bug.id] = std::move(bug);
    }
    return {};
  }

  // ---- auth ----
  // nullopt user = anonymous. Throws ApiError for a bad key.
  std::optional<SUser> authenticate(const httplib::Request& req) {
    std::string key;
    if (req.has_param("api_key")) key = req.get_param_value("api_key");
    if (key.empty() && options.honor_header_key && req.has_header("X-BUGZILLA-API-KEY")) {
      key = req.get_header_value("X-BUGZILLA-API-KEY");
    }
    if (key.empty()) return std::nullopt;
    for (const auto& [email, user] : users_by_email) {
      if (user.api_key == key) return user;
    }
    throw ApiError{400, 306, "The API key you specified is invalid. Please check that you typed it correctly."};
  }

  static bool can_see(const SBug& bug, const std::optional<SUser>& user) {
    for (const std::string& g : bug.groups) {
      if (!user || !user->in(g)) return false;
    }
    return true;
  }

  SBug& visible_bug(const std::string& id_text, const std::optional<SUser>& user) {
    auto id = util::parse_uint(id_text);
    if (!id) throw ApiError{400, 100, "'" + id_text + "' is not a valid bug number nor an alias to a bug."};
    auto it = bugs.find(*id);
    if (it == bugs.end()) throw ApiError{404, 101, "Bug #" + id_text + " does not exist."};
    if (!can_see(it->second, user)) throw ApiError{401, 102, "You are not authorized to access bug #" + id_text + "."};
    return it->second;
  }

  static void require_login(const std::optional<SUser>& user) {
    if (!user) throw ApiError{401, 410, "You must log in before using this part of Bugzilla."};
  }

  // ---- JSON shapes ----
  json bug_json(const SBug& b) const {
    json flags = json::array();
    for (const auto& f : b.flags) flags.push_back(flag_json(f));
    return {{"id", b.id},
            {"summary", b.summary},
            {"status", b.status},
            {"is_open", b.status != "RESOLVED" && b.status != "VERIFIED"},
            {"whiteboard", b.whiteboard},
            {"keywords", b.keywords},
            {"groups", b.groups},
            {"creator", b.creator},
            {"assigned_to", b.creator},
            {"creation_time", b.creation_time},
            {"last_change_time", b.last_change_time},
            {"alias", json::array()},
            {"flags", flags},
            {"resolution", ""},
            {"product", "Firefox"},
            {"component", "General"},
            {"update_token", std::to_string(b.id) + "-" + b.last_change_time}};
  }

  static json filter_fields(const json& full, const httplib::Request& req) {
    if (!req.has_param("include_fields")) return full;
    json out = json::object();
    const std::string fields = req.get_param_value("include_fields");
    for (std::string_view f : util::split(fields, ',')) {
      std::string key(util::trim(f));
      if (full.contains(key)) out[key] = full[key];
    }
    return out;
  }

  json attachment_json(const SAttachment& a, bool with_data) const {
    json flags = json::array();
    for (const auto& f : a.flags) flags.push_back(flag_json(f));
    json j = {{"id", a.id},
              {"bug_id", a.bug_id},
              {"file_name", a.file_name},
              {"summary", a.summary},
              {"content_type", a.content_type},
              {"is_patch", a.is_patch ? 1 : 0},
              {"is_obsolete", a.is_obsolete ? 1 : 0},
              {"is_private", a.is_private ? 1 : 0},
              {"creator", a.creator},
              {"creation_time", a.creation_time},
              {"last_change_time", a.last_change_time},
              {"size", a.data.size()},
              {"flags", flags}};
    if (with_data) j["data"] = util::base64_encode(a.data);
    return j;
  }

  static json comment_json(const SComment& c) {
    return {{"id", c.id},
            {"bug_id", c.bug_id},
            {"count", c.count},
            {"text", c.text},
            {"creator", c.creator},
            {"time", c.time},
            {"creation_time", c.time},
            {"is_private", false},
            {"tags", json::array()},
            {"attachment_id", c.attachment_id ? json(*c.attachment_id) : json(nullptr)}};
  }

  // ---- search ----
  static bool whiteboard_matches(const std::string& wb, const std::string& value, const std::string& type) {
    if (type == "equals") return wb == value;
    if (type == "substring") return util::ifind(wb, value) != std::string::npos;
    for (std::string_view word : util::split(value, ' ')) {  // allwordssubstr, Bugzilla's default
      if (!word.empty() && util::ifind(wb, word) == std::string::npos) return false;
    }
    return true;
  }

  static bool has_keyword(const SBug& b, const std::string& value) {
    for (std::string_view k : util::split(value, ',')) {
      for (const std::string& have : b.keywords) {
        if (util::iequals(have, util::trim(k))) return true;
      }
    }
    return false;
  }

  json search(const httplib::Request& req, const std::optional<SUser>& user) {
    using Test = std::function<bool(const SBug&)>;
    std::vector<Test> tests;
    if (req.has_param("whiteboard")) {
      std::string value = req.get_param_value("whiteboard");
      std::string type =
          req.has_param("status_whiteboard_type") ? req.get_param_value("status_whiteboard_type") : "allwordssubstr";
      if (type != "substring" && type != "equals" && type != "allwordssubstr") {
        throw ApiError{400, 68000, "Invalid search type '" + type + "'"};
      }
      tests.push_back([value, type](const SBug& b) { return whiteboard_matches(b.whiteboard, value, type); });
    }
    if (req.has_param("keywords")) {
      std::string value = req.get_param_value("keywords");
      tests.push_back([value](const SBug& b) { return has_keyword(b, value); });
    }
    // Boolean charts: f1=status_whiteboard&o1=substring&v1=...
    for (int n = 1; n < 10; ++n) {
      std::string f = "f" + std::to_string(n);
      if (!req.has_param(f)) break;
      std::string field = req.get_param_value(f);
      std::string op = req.get_param_value("o" + std::to_string(n));
      std::string value = req.get_param_value("v" + std::to_string(n));
      if (field == "status_whiteboard") {
        tests.push_back([value, op](const SBug& b) { return whiteboard_matches(b.whiteboard, value, op); });
      } else if (field == "keywords") {
        tests.push_back([value](const SBug& b) { return has_keyword(b, value); });
      } else {
        throw ApiError{400, 68000, "Unsupported search field '" + field + "' in the sandbox"};
      }
    }
    bool any = req.has_param("j_top") && req.get_param_value("j_top") == "OR";
    std::string since = req.has_param("last_change_time") ? req.get_param_value("last_change_time") : "";
    std::set<BugId> ids;
    if (req.has_param("id")) {
      const std::string id_list = req.get_param_value("id");
      for (std::string_view part : util::split(id_list, ',')) {
        if (auto id = util::parse_uint(util::trim(part))) ids.insert(*id);
      }
    }
    std::vector<const SBug*> found;
    for (const auto& [id, bug] : bugs) {
      if (!can_see(bug, user)) continue;  // silently left out, as Bugzilla does
      if (!ids.empty() && !ids.count(id)) continue;
      if (!since.empty() && bug.last_change_time < since) continue;
      bool match = tests.empty() ? true : any ? false : true;
      for (const Test& t : tests) {
        bool ok = t(bug);
        if (any && ok) match = true;
        if (!any && !ok) match = false;
      }
      if (match) found.push_back(&bug);
    }
    std::string order = req.has_param("order") ? req.get_param_value("order") : "";
    if (order == "bug_id DESC") {
      std::reverse(found.begin(), found.end());
    } else if (order != "bug_id") {
      std::shuffle(found.begin(), found.end(), rng);  // Bugzilla's default order is no order
    }
    json list = json::array();
    for (const SBug* b : found) list.push_back(filter_fields(bug_json(*b), req));
    return {{"bugs", list}};
  }

  // ---- writes ----
  json update_bug(SBug& bug, const json& body, const SUser& user) {
    json changes = json::object();
    std::vector<SChange> history;
    bool touches_fields = body.contains("whiteboard") || body.contains("keywords");
    if (touches_fields && !user.in("editbugs")) {
      throw ApiError{401, 115, "You tried to change the Whiteboard field but you do not have permission."};
    }
    if (body.contains("whiteboard")) {
      if (!body["whiteboard"].is_string()) throw ApiError{400, 32000, "whiteboard must be a string"};
      std::string wb = body["whiteboard"].get<std::string>();
      if (wb != bug.whiteboard) {
        changes["whiteboard"] = {{"removed", bug.whiteboard}, {"added", wb}};
        history.push_back({"whiteboard", bug.whiteboard, wb, std::nullopt});
        bug.whiteboard = wb;
        ++stats.whiteboard_updates;
      }
    }
    if (body.contains("keywords")) {
      const json& k = body["keywords"];
      std::vector<std::string> now = bug.keywords;
      auto check = [&](const std::string& kw) {
        if (!valid_keywords.count(kw)) throw ApiError{404, 51, "There is no keyword named '" + kw + "'."};
      };
      if (k.contains("set")) {
        now.clear();
        for (const json& v : k["set"]) {
          check(v.get<std::string>());
          now.push_back(v.get<std::string>());
        }
      }
      for (const json& v : k.value("add", json::array())) {
        check(v.get<std::string>());
        if (std::find(now.begin(), now.end(), v.get<std::string>()) == now.end()) now.push_back(v.get<std::string>());
      }
      for (const json& v : k.value("remove", json::array())) {
        now.erase(std::remove(now.begin(), now.end(), v.get<std::string>()), now.end());
      }
      std::vector<std::string> added, removed;
      for (const auto& kw : now) {
        if (std::find(bug.keywords.begin(), bug.keywords.end(), kw) == bug.keywords.end()) added.push_back(kw);
      }
      for (const auto& kw : bug.keywords) {
        if (std::find(now.begin(), now.end(), kw) == now.end()) removed.push_back(kw);
      }
      if (!added.empty() || !removed.empty()) {
        changes["keywords"] = {{"removed", util::join(removed, ", ")}, {"added", util::join(added, ", ")}};
        history.push_back({"keywords", util::join(removed, ", "), util::join(added, ", "), std::nullopt});
        bug.keywords = now;
      }
    }
    if (body.contains("comment") && body["comment"].is_object()) {
      add_comment(bug, body["comment"].value("body", ""), user.email);
    }
    if (!history.empty()) {
      bug.last_change_time = now_string();
      bug.history.push_back({bug.last_change_time, user.email, history});
    }
    return {{"bugs", json::array({{{"id", bug.id},
                                   {"alias", json::array()},
                                   {"last_change_time", bug.last_change_time},
                                   {"changes", changes}}})}};
  }

  int64_t add_comment(SBug& bug, const std::string& text, const std::string& who) {
    SComment c{next_comment_id++, bug.id, static_cast<int>(bug.comments.size()), text, who, now_string(), std::nullopt};
    bug.comments.push_back(c);
    bug.last_change_time = c.time;
    ++stats.comments_posted;
    return c.id;
  }

  // ---- faults ----
  enum class Fault { none, error, stall, reset, late };
  struct Draw {
    Fault fault = Fault::none;
    bool after = false;
  };
  Draw draw() {
    std::uniform_real_distribution<double> u(0, 1);
    double x = u(rng);
    Draw d;
    if (x < faults.error_rate) {
      d.fault = Fault::error;
    } else if (x < faults.error_rate + faults.stall_rate) {
      d.fault = Fault::stall;
    } else if (x < faults.error_rate + faults.stall_rate + faults.reset_rate) {
      d.fault = Fault::reset;
    } else if (x < faults.error_rate + faults.stall_rate + faults.reset_rate + faults.late_rate) {
      d.fault = Fault::late;
    }
    d.after = u(rng) < faults.after_share;
    return d;
  }

  static void software_error(httplib::Response& res) {
    res.status = 500;
    res.set_content(
        "<h1>Software error:</h1>\n<pre>Sandbox injected fault.\n</pre>\n<p>\nFor help, please send mail to the "
        "webmaster.\n</p>\n",
        "text/html; charset=UTF-8");
  }

  static constexpr const char* kLateDelivery = "X-Sandbox-Late-Delivery";

  void deliver_late(const httplib::Request& req) {
    httplib::Client client("127.0.0.1", port);
    if (!options.tls_cert.empty()) return;  // the sandbox's late faults are for plain HTTP
    httplib::Headers headers;
    for (const auto& [name, value] : req.headers) {
      if (name != "Host" && name != "Content-Length" && name != "Content-Type") headers.emplace(name, value);
    }
    headers.emplace(kLateDelivery, "1");
    std::string target = httplib::append_query_params(req.path, req.params);
    std::string type = req.get_header_value("Content-Type");
    if (req.method == "POST") {
      client.Post(target, headers, req.body, type);
    } else if (req.method == "PUT") {
      client.Put(target, headers, req.body, type);
    } else if (req.method == "GET") {
      client.Get(target, headers);
    }
  }

  static void gateway_timeout(httplib::Response& res) {
    res.status = 504;
    res.set_content("<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n",
                    "text/html");
  }

  static void cut_off(httplib::Response& res) {
    // Promise a long body, send a little, then drop the connection.
    res.status = 200;
    res.set_content_provider(
        4096, "application/json",
        [](size_t offset, size_t, httplib::DataSink& sink) {
          if (offset == 0) sink.write("{\"bugs\": [", 10);
          return false;
        },
        nullptr);
  }

  using Handler = std::function<void(const httplib::Request&, httplib::Response&, const std::optional<SUser>&)>;

  httplib::Server::Handler wrap(const Handler& handler, bool needs_auth = true) {
    return [this, handler, needs_auth](const httplib::Request& req, httplib::Response& res) {
      Draw d;
      int stall_ms = 0;
      int late_ms = 0;
      const bool replayed = req.has_header(kLateDelivery);
      {
        std::lock_guard lock(mu);
        ++stats.requests;
        if (!replayed) d = draw();
        if (d.fault != Fault::none) ++stats.faults;
        stall_ms = faults.stall_ms;
        late_ms = faults.late_ms;
        if (faults.latency_ms > 0) {
          int latency = faults.latency_ms;
          mu.unlock();
          std::this_thread::sleep_for(std::chrono::milliseconds(latency));
          mu.lock();
        }
      }
      if (d.fault == Fault::late) {
        // The proxy delivers the request itself later: sent again to this
        // server, marked so that it draws no fault of its own.
        auto later = std::make_shared<httplib::Request>(req);
        std::lock_guard lock(mu);
        late_work.emplace_back([this, later, late_ms] {
          {
            std::unique_lock lock(mu);
            if (stopping_cv.wait_for(lock, std::chrono::milliseconds(late_ms), [this] { return stopping; })) return;
          }
          deliver_late(*later);
        });
        gateway_timeout(res);
        return;
      }
      if (d.fault != Fault::none && !d.after) {
        if (d.fault == Fault::stall) std::this_thread::sleep_for(std::chrono::milliseconds(stall_ms));
        if (d.fault == Fault::reset) {
          cut_off(res);
        } else {
          software_error(res);
        }
        return;
      }
      {
        std::lock_guard lock(mu);
        try {
          std::optional<SUser> user = needs_auth ? authenticate(req) : std::nullopt;
          handler(req, res, user);
        } catch (const ApiError& e) {
          res.status = e.status;
          res.set_content(error_json(e.code, e.message).dump(), "application/json; charset=utf-8");
        } catch (const json::exception& e) {
          res.status = 400;
          res.set_content(error_json(32000, std::string("bad request: ") + e.what()).dump(),
                          "application/json; charset=utf-8");
        }
      }
      if (d.fault != Fault::none && d.after) {
        if (d.fault == Fault::stall) {
          std::this_thread::sleep_for(std::chrono::milliseconds(stall_ms));
        } else if (d.fault == Fault::reset) {
          cut_off(res);
        } else {
          software_error(res);
        }
      }
    };
  }

  static void reply(httplib::Response& res, const json& j, int status = 200) {
    res.status = status;
    res.set_content(j.dump(-1, ' ', false, json::error_handler_t::replace), "application/json; charset=utf-8");
  }

  static json body_of(const httplib::Request& req) {
    json j = json::parse(req.body, nullptr, false);
    if (j.is_discarded()) {
      throw ApiError{400, 32000, "Could not parse the 'params' argument as valid JSON."};
    }
    if (!j.is_object()) throw ApiError{500, 0, "Not a HASH reference"};
    return j;
  }

  void routes() {
    http->Get("/rest/version", wrap([](auto&, auto& res, auto&) { reply(res, {{"version", "5.2+"}}); }, false));
    http->Get("/rest/bug", wrap([this](auto& req, auto& res, auto& user) { reply(res, search(req, user)); }));
    http->Get(R"(/rest/bug/(\d+))", wrap([this](auto& req, auto& res, auto& user) {
                SBug& bug = visible_bug(req.matches[1], user);
                reply(res, {{"bugs", json::array({filter_fields(bug_json(bug), req)})}, {"faults", json::array()}});
              }));
    http->Get(R"(/rest/bug/(\d+)/attachment)", wrap([this](auto& req, auto& res, auto& user) {
                SBug& bug = visible_bug(req.matches[1], user);
                bool with_data = !(req.has_param("exclude_fields") &&
                                   req.get_param_value("exclude_fields").find("data") != std::string::npos);
                json list = json::array();
                for (AttachmentId id : bug.attachments) list.push_back(attachment_json(attachments.at(id), with_data));
                reply(res, {{"bugs", {{std::to_string(bug.id), list}}}, {"attachments", json::object()}});
              }));
    http->Get(R"(/rest/bug/attachment/(\d+))", wrap([this](auto& req, auto& res, auto& user) {
                auto id = util::parse_uint(std::string(req.matches[1]));
                auto it = id ? attachments.find(*id) : attachments.end();
                json map = json::object();
                if (it != attachments.end()) {
                  visible_bug(std::to_string(it->second.bug_id), user);
                  bool with_data = !(req.has_param("exclude_fields") &&
                                     req.get_param_value("exclude_fields").find("data") != std::string::npos);
                  map[std::to_string(*id)] = attachment_json(it->second, with_data);
                }
                // A missing attachment is a 200 with empty maps, as in Bugzilla.
                reply(res, {{"bugs", json::object()}, {"attachments", map}});
              }));
    http->Get(R"(/rest/bug/(\d+)/history)", wrap([this](auto& req, auto& res, auto& user) {
                SBug& bug = visible_bug(req.matches[1], user);
                json history = json::array();
                for (const SHistory& h : bug.history) {
                  json changes = json::array();
                  for (const SChange& c : h.changes) {
                    json change = {{"field_name", c.field}, {"removed", c.removed}, {"added", c.added}};
                    if (c.attachment_id) change["attachment_id"] = *c.attachment_id;
                    changes.push_back(change);
                  }
                  history.push_back({{"when", h.when}, {"who", h.who}, {"changes", changes}});
                }
                reply(res, {{"bugs", json::array({{{"id", bug.id}, {"alias", json::array()}, {"history", history}}})}});
              }));
    http->Get(R"(/rest/bug/(\d+)/comment)", wrap([this](auto& req, auto& res, auto& user) {
                SBug& bug = visible_bug(req.matches[1], user);
                std::string since = req.has_param("new_since") ? req.get_param_value("new_since") : "";
                json list = json::array();
                for (const SComment& c : bug.comments) {
                  if (since.empty() || c.time > since) list.push_back(comment_json(c));
                }
                reply(res, {{"bugs", {{std::to_string(bug.id), {{"comments", list}}}}}, {"comments", json::object()}});
              }));
    http->Post(R"(/rest/bug/(\d+)/comment)", wrap([this](auto& req, auto& res, auto& user) {
                 json body = body_of(req);
                 require_login(user);
                 SBug& bug = visible_bug(req.matches[1], user);
                 if (!body.contains("comment") || !body["comment"].is_string() ||
                     util::trim(body["comment"].template get<std::string>()).empty()) {
                   throw ApiError{400, 50, "You must specify a value for comment."};
                 }
                 reply(res, {{"id", add_comment(bug, body["comment"].template get<std::string>(), user->email)}}, 201);
               }));
    http->Put(R"(/rest/bug/(\d+))", wrap([this](auto& req, auto& res, auto& user) {
                json body = body_of(req);
                require_login(user);
                SBug& bug = visible_bug(req.matches[1], user);
                reply(res, update_bug(bug, body, *user));
              }));
    http->Get("/rest/user", wrap([this](auto& req, auto& res, auto& user) {
                json list = json::array();
                for (size_t i = 0; i < req.get_param_value_count("names"); ++i) {
                  std::string name = req.get_param_value("names", i);
                  auto it = users_by_email.find(name);
                  if (it == users_by_email.end()) throw ApiError{404, 51, "There is no user named '" + name + "'."};
                  json u = {{"id", it->second.id}, {"name", name}, {"real_name", it->second.real_name}};
                  if (user) {
                    u["email"] = name;
                    u["can_login"] = true;
                  }
                  list.push_back(u);
                }
                reply(res, {{"users", list}});
              }));
    // Not Bugzilla: counters for tests and scripts in other processes.
    http->Get("/sandbox/stats", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard lock(mu);
      reply(res, {{"requests", stats.requests},
                  {"faults", stats.faults},
                  {"comments_posted", stats.comments_posted},
                  {"whiteboard_updates", stats.whiteboard_updates}});
    });
    http->Put("/sandbox/faults", [this](const httplib::Request& req, httplib::Response& res) {
      json j = json::parse(req.body, nullptr, false);
      if (!j.is_object()) return reply(res, error_json(32000, "faults must be a JSON object"), 400);
      std::lock_guard lock(mu);
      faults.error_rate = j.value("error_rate", 0.0);
      faults.stall_rate = j.value("stall_rate", 0.0);
      faults.reset_rate = j.value("reset_rate", 0.0);
      faults.late_rate = j.value("late_rate", 0.0);
      faults.late_ms = j.value("late_ms", faults.late_ms);
      faults.stall_ms = j.value("stall_ms", faults.stall_ms);
      faults.latency_ms = j.value("latency_ms", 0);
      reply(res, {{"ok", true}});
    });
    http->Get("/sandbox/bugs", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard lock(mu);
      json list = json::array();
      for (const auto& [id, b] : bugs) {
        json comments = json::array();
        for (const SComment& c : b.comments) {
          if (c.count > 0 && !c.attachment_id)
            comments.push_back({{"id", c.id}, {"creator", c.creator}, {"text", c.text}});
        }
        list.push_back({{"id", id}, {"whiteboard", b.whiteboard}, {"keywords", b.keywords}, {"comments", comments}});
      }
      reply(res, {{"bugs", list}});
    });
    http->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (res.status == 404 && res.body.empty()) {
        reply(res, error_json(32614, "A REST API resource was not found for '" + req.method + " " + req.path + "'."),
              404);
      }
    });
  }
};

BugzillaServer::BugzillaServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

BugzillaServer::~BugzillaServer() {
  impl_->http->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->stopping_cv.notify_all();
  for (std::thread& t : impl_->late_work) t.join();
}

Result<std::unique_ptr<BugzillaServer>> BugzillaServer::start(const std::string& seed_json,
                                                              const ServerOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->faults = options.faults;
  if (options.tls_cert.empty()) {
    impl->http = std::make_unique<httplib::Server>();
  } else {
    auto tls = std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str());
    if (!tls->is_valid()) return invalid_input("cannot load the sandbox TLS certificate or key");
    impl->http = std::move(tls);
  }
  impl->rng.seed(options.faults.seed);
  AUTOLAND_TRY(impl->add_seed(seed_json));
  impl->routes();
  impl->http->set_keep_alive_max_count(100);
  int port = options.port == 0 ? impl->http->bind_to_any_port(options.host)
                               : (impl->http->bind_to_port(options.host, options.port) ? options.port : -1);
  if (port <= 0) {
    return transient("cannot listen on " + options.host + ":" + std::to_string(options.port));
  }
  impl->port = port;
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->http->listen_after_bind(); });
  while (!impl->http->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return std::unique_ptr<BugzillaServer>(new BugzillaServer(std::move(impl)));
}

int BugzillaServer::port() const { return impl_->port; }
std::string BugzillaServer::url() const {
  return (impl_->options.tls_cert.empty() ? "http://" : "https://") + impl_->options.host + ":" +
         std::to_string(impl_->port);
}

void BugzillaServer::set_faults(const FaultPlan& faults) {
  std::lock_guard lock(impl_->mu);
  impl_->faults = faults;
  impl_->rng.seed(faults.seed);
}

ServerStats BugzillaServer::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

std::vector<PostedComment> BugzillaServer::comments(BugId bug) const {
  std::lock_guard lock(impl_->mu);
  std::vector<PostedComment> out;
  auto it = impl_->bugs.find(bug);
  if (it == impl_->bugs.end()) return out;
  for (const SComment& c : it->second.comments) {
    if (c.count > 0 && !c.attachment_id) out.push_back({bug, c.id, c.creator, c.text});
  }
  return out;
}

std::string BugzillaServer::whiteboard(BugId bug) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->bugs.find(bug);
  return it == impl_->bugs.end() ? "" : it->second.whiteboard;
}

std::vector<std::string> BugzillaServer::keywords(BugId bug) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->bugs.find(bug);
  return it == impl_->bugs.end() ? std::vector<std::string>{} : it->second.keywords;
}

Status BugzillaServer::set_whiteboard(BugId bug, const std::string& whiteboard, const std::string& who) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->bugs.find(bug);
  if (it == impl_->bugs.end()) return not_found("no bug " + std::to_string(bug));
  SBug& b = it->second;
  if (b.whiteboard == whiteboard) return {};
  b.last_change_time = now_string();
  b.history.push_back({b.last_change_time, who, {{"whiteboard", b.whiteboard, whiteboard, std::nullopt}}});
  b.whiteboard = whiteboard;
  return {};
}

Status BugzillaServer::set_groups(BugId bug, const std::vector<std::string>& groups, const std::string& who) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->bugs.find(bug);
  if (it == impl_->bugs.end()) return not_found("no bug " + std::to_string(bug));
  SBug& b = it->second;
  if (b.groups == groups) return {};
  b.last_change_time = now_string();
  b.history.push_back(
      {b.last_change_time, who, {{"groups", util::join(b.groups, ", "), util::join(groups, ", "), std::nullopt}}});
  b.groups = groups;
  return {};
}

Status BugzillaServer::add(const std::string& seed_json) { return impl_->add_seed(seed_json); }

}  // namespace autoland::sandbox
