// autoland ctl: the REST API from the command line, for sheriffs and scripts.
// Tables for people, --json (the API's answer as it came) for scripts.
//
// Exit codes: 0 done; 1 the server refused (4xx: the message says why) or
// /health is degraded; 2 usage; 3 the server could not be reached or failed
// (5xx other than a degraded /health).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "adapters/http/http_transport.h"
#include "cli/command.h"
#include "util/strings.h"

namespace autoland::cli {
namespace {

using nlohmann::json;

constexpr int kExitUnreachable = 3;

struct CtlOptions {
  std::string url;
  std::string token;
  std::string token_file;
  bool json_out = false;
};

struct Answer {
  long status = 0;
  json body;
  std::string text;
};

// A name as one path segment: "x/../y" must not walk to another route.
std::string seg(const std::string& name) { return url_encode(name); }

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

class Ctl {
 public:
  Ctl(const CtlOptions& o, const Invocation& inv) : o_(o) {
    url_ = !o.url.empty() ? o.url : env("AUTOLAND_URL");
    if (url_.empty() && !inv.options.config_path.empty()) {
      auto config = inv.load_config();
      if (config && !config->api.listen.empty()) url_ = "http://" + config->api.listen;
    }
    if (url_.empty()) url_ = "http://127.0.0.1:8080";
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
    token_ = o.token.empty() ? env("AUTOLAND_TOKEN") : o.token;
    std::string file = o.token_file.empty() ? env("AUTOLAND_TOKEN_FILE") : o.token_file;
    if (token_.empty() && !file.empty()) {
      std::ifstream in(file);
      std::getline(in, token_);
      token_ = std::string(util::trim(token_));
    }
    transport_ = make_curl_transport({});
  }

  // The call, or an exit code (printed why) when it did not work.
  std::optional<Answer> call(const std::string& method, const std::string& path, const json& body = nullptr,
                             int* exit_code = nullptr) {
    HttpRequest r;
    r.method = method;
    r.url = url_ + path;
    r.timeout_ms = 30'000;
    if (!token_.empty()) r.headers.emplace_back("Authorization", "Bearer " + token_);
    if (!body.is_null()) {
      r.headers.emplace_back("Content-Type", "application/json");
      r.body = body.dump();
    }
    HttpFailure failure;
    auto got = transport_->send(r, &failure);
    if (!got) {
      std::cerr << "error: cannot reach the autoland API at " << url_ << ": " << got.error().message << "\n";
      if (exit_code) *exit_code = kExitUnreachable;
      return std::nullopt;
    }
    Answer a{got->status, json::parse(got->body, nullptr, false), got->body};
    return a;
  }

  // Prints the refusal and gives its exit code; 0 when it is a success.
  int verdict(const Answer& a) {
    if (a.status >= 200 && a.status < 300) return kExitOk;
    std::string error = a.body.is_object() ? a.body.value("error", "") : "";
    std::string detail = a.body.is_object() ? a.body.value("detail", "") : a.text.substr(0, 200);
    std::cerr << "error: " << a.status << " " << error << (detail.empty() ? "" : ": " + detail) << "\n";
    if (a.status == 401) std::cerr << "(give a token with --token, AUTOLAND_TOKEN or --token-file)\n";
    return a.status >= 500 ? kExitUnreachable : kExitFailed;
  }

  // One call; prints --json or hands the answer to `show`.
  int run(const std::string& method, const std::string& path, const json& body,
          const std::function<void(const json&)>& show) {
    int code = kExitOk;
    auto a = call(method, path, body, &code);
    if (!a) return code;
    if (int v = verdict(*a); v != kExitOk) return v;
    if (o_.json_out) {
      std::cout << (a->body.is_discarded() ? a->text : a->body.dump(2)) << "\n";
    } else {
      show(a->body);
    }
    return kExitOk;
  }

  const CtlOptions& options() const { return o_; }

 private:
  CtlOptions o_;
  std::string url_;
  std::string token_;
  std::unique_ptr<HttpTransport> transport_;
};

std::string age(int64_t seconds) {
  if (seconds < 120) return std::to_string(seconds) + "s";
  if (seconds < 7200) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds / 3600) + "h" + std::to_string(seconds % 3600 / 60) + "m";
}

std::string text(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>().empty() ? "-" : it->get<std::string>();
  return it->dump();
}

std::string when(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::gmtime(&tt));
  return buf;
}

void show_queue(const json& q) {
  std::printf("kill switch: %s\n", text(q, "killswitch").c_str());
  for (const json& b : q["branches"]) {
    std::printf("\n%s  (tree %s, %s, threshold %d, %d in flight)\n", text(b, "branch").c_str(), text(b, "tree").c_str(),
                text(b, "status").c_str(), b.value("threshold", 0), b.value("in_flight", 0));
    if (b["patchSets"].empty()) {
      std::printf("  (empty)\n");
      continue;
    }
    std::printf("  %-6s %-8s %-12s %-8s %-18s %-5s %-7s %s\n", "id", "bug", "state", "stage", "destination", "prio",
                "age", "requester");
    for (const json& p : b["patchSets"]) {
      std::printf("  %-6lld %-8lld %-12s %-8s %-18s %-5d %-7s %s\n", static_cast<long long>(p.value("id", 0)),
                  static_cast<long long>(p.value("bug_id", 0)), text(p, "state").c_str(), text(p, "stage").c_str(),
                  text(p, "destination").c_str(), p.value("priority", 0), age(p.value("age_seconds", 0)).c_str(),
                  text(p, "requester").c_str());
      if (p.contains("hold") && p["hold"].is_object()) {
        std::printf("         waits (%s): %s\n", text(p["hold"], "code").c_str(), text(p["hold"], "reason").c_str());
      }
    }
  }
}

void show_patchset(const json& p) {
  for (const char* key :
       {"id", "bug_id", "branch", "stage", "state", "state_reason", "patches", "priority", "requester", "author",
        "try_syntax", "try_revision", "landing_revision", "backout_revision", "retries"}) {
    std::printf("%-17s %s\n", key, text(p, key).c_str());
  }
  std::printf("%-17s %s\n", "age", age(p.value("age_seconds", 0)).c_str());
  if (p.contains("comments")) {
    for (const json& c : p["comments"]) {
      std::printf("comment           %s (%s)\n", text(c, "kind").c_str(), text(c, "state").c_str());
    }
  }
}

void show_branch(const json& b) {
  for (const char* key :
       {"name", "repo_url", "pull_url", "vcs", "status", "tree", "tree_reason", "threshold", "required_level",
        "pretest_branch", "default_try_syntax", "ci", "max_retriggers", "landing_strategy", "max_batch"}) {
    std::printf("%-19s %s\n", key, text(b, key).c_str());
  }
}

void show_branches(const json& j) {
  std::printf("%-20s %-9s %-8s %-9s %-6s %s\n", "branch", "status", "tree", "threshold", "level", "pretest");
  for (const json& b : j["branches"]) {
    std::printf("%-20s %-9s %-8s %-9d %-6d %s\n", text(b, "name").c_str(), text(b, "status").c_str(),
                text(b, "tree").c_str(), b.value("threshold", 0), b.value("required_level", 0),
                text(b, "pretest_branch").c_str());
  }
}

void show_workers(const json& j) {
  std::printf("%-9s %-22s %-8s %-6s %-22s %s\n", "role", "host", "pid", "alive", "leads", "heard / doing");
  for (const json& w : j["workers"]) {
    std::string leads;
    for (const json& r : w["leads"]) leads += (leads.empty() ? "" : ",") + r.get<std::string>();
    std::string doing = std::to_string(w.value("heartbeat_age_seconds", 0)) + " s ago; " + text(w, "doing");
    if (!w["claims"].empty()) doing += "; holds " + std::to_string(w["claims"].size()) + " claim(s)";
    std::printf("%-9s %-22s %-8lld %-6s %-22s %s\n", text(w, "role").c_str(), text(w, "host").c_str(),
                static_cast<long long>(w.value("pid", 0)), w.value("alive", false) ? "yes" : "NO",
                leads.empty() ? "-" : leads.c_str(), doing.c_str());
  }
}

void show_events(const json& j) {
  for (const json& e : j["events"]) {
    std::string ps = e["patchset_id"].is_null() ? "" : " patchset " + e["patchset_id"].dump();
    std::printf("%s  #%lld %-22s %-18s%s  %s\n", when(e.value("time", 0)).c_str(),
                static_cast<long long>(e.value("id", 0)), text(e, "actor").c_str(), text(e, "what").c_str(), ps.c_str(),
                text(e, "detail").c_str());
  }
}

// "on"/"off" as the API wants it; nullopt (printed why) otherwise.
std::optional<bool> on_off(const std::string& word) {
  if (word == "on") return true;
  if (word == "off") return false;
  std::cerr << "error: say on or off, not '" << word << "'\n";
  return std::nullopt;
}

}  // namespace

void register_ctl_command(CLI::App& app, Invocation& inv) {
  auto o = std::make_shared<CtlOptions>();
  auto* ctl = app.add_subcommand("ctl", "Talk to a running autoland through its REST API (for sheriffs and scripts)");
  ctl->add_option("--url", o->url,
                  "The API's root (default: AUTOLAND_URL, api.listen from --config, or "
                  "http://127.0.0.1:8080)");
  ctl->add_option("--token", o->token, "Bearer token (default: AUTOLAND_TOKEN)");
  ctl->add_option("--token-file", o->token_file, "A file holding the token (default: AUTOLAND_TOKEN_FILE)");
  ctl->add_flag("--json", o->json_out, "Print the API's JSON answer instead of a table");
  ctl->require_subcommand(1);

  // Each leaf sets the action; `body` builds what it sends.
  auto leaf = [&inv, o](CLI::App* cmd, const std::function<int(Ctl&)>& act) {
    cmd->callback([&inv, o, act] {
      inv.action = [&inv, o, act] {
        Ctl c(*o, inv);
        return act(c);
      };
    });
  };

  leaf(ctl->add_subcommand("queue", "Every branch's queue, in the order patchsets are taken"),
       [](Ctl& c) { return c.run("GET", "/queue", nullptr, show_queue); });

  auto kill_word = std::make_shared<std::string>();
  auto kill_reason = std::make_shared<std::string>();
  auto* kill = ctl->add_subcommand("killswitch", "Show the kill switch, or turn it on (nothing lands) or off");
  kill->add_option("state", *kill_word, "on or off (none: show it)");
  kill->add_option("--reason", *kill_reason, "Why (goes in the audit log)");
  leaf(kill, [kill_word, kill_reason](Ctl& c) {
    if (kill_word->empty()) {
      return c.run("GET", "/killswitch", nullptr,
                   [](const json& j) { std::printf("kill switch: %s\n", j.value("on", false) ? "on" : "off"); });
    }
    auto on = on_off(*kill_word);
    if (!on) return kExitUsage;
    json body = {{"on", *on}};
    if (!kill_reason->empty()) body["reason"] = *kill_reason;
    return c.run("PUT", "/killswitch", body, [on](const json&) {
      std::printf("kill switch %s%s\n", *on ? "on" : "off", *on ? ": nothing new is pushed" : ": landings resume");
    });
  });

  leaf(ctl->add_subcommand("workers", "Every worker process: host, role, alive or not, what it leads and does"),
       [](Ctl& c) { return c.run("GET", "/workers", nullptr, show_workers); });

  leaf(ctl->add_subcommand("components", "Which components are switched on"), [](Ctl& c) {
    return c.run("GET", "/components", nullptr, [](const json& j) {
      for (const auto& [name, on] : j.items()) std::printf("%-10s %s\n", name.c_str(), on.get<bool>() ? "on" : "off");
    });
  });
  auto comp_name = std::make_shared<std::string>();
  auto comp_word = std::make_shared<std::string>();
  auto* comp = ctl->add_subcommand("component", "Switch one component (trigger, queue, pusher, results, commenter)");
  comp->add_option("name", *comp_name)->required();
  comp->add_option("state", *comp_word, "on or off")->required();
  leaf(comp, [comp_name, comp_word](Ctl& c) {
    auto on = on_off(*comp_word);
    if (!on) return kExitUsage;
    return c.run("PUT", "/components/" + seg(*comp_name), json{{"on", *on}},
                 [comp_name, on](const json&) { std::printf("%s %s\n", comp_name->c_str(), *on ? "on" : "off"); });
  });

  auto tree_branch = std::make_shared<std::string>();
  auto tree_state = std::make_shared<std::string>();
  auto tree_reason = std::make_shared<std::string>();
  auto* tree = ctl->add_subcommand("tree", "Set a branch's tree: open, closed or approval_required");
  tree->add_option("branch", *tree_branch)->required();
  tree->add_option("status", *tree_state)->required();
  tree->add_option("--reason", *tree_reason);
  leaf(tree, [tree_branch, tree_state, tree_reason](Ctl& c) {
    return c.run("PUT", "/branches/" + seg(*tree_branch) + "/tree",
                 json{{"status", *tree_state}, {"reason", *tree_reason}},
                 [](const json& b) { std::printf("%s: tree %s\n", text(b, "name").c_str(), text(b, "tree").c_str()); });
  });

  // Branches.
  auto* branch = ctl->add_subcommand("branch", "Branches: list, show, add, set, enable, disable, threshold, delete");
  branch->require_subcommand(1);
  leaf(branch->add_subcommand("list", "Every branch"),
       [](Ctl& c) { return c.run("GET", "/branches", nullptr, show_branches); });
  auto bname = std::make_shared<std::string>();
  auto* bshow = branch->add_subcommand("show", "One branch");
  bshow->add_option("name", *bname)->required();
  leaf(bshow, [bname](Ctl& c) { return c.run("GET", "/branches/" + seg(*bname), nullptr, show_branch); });
  auto fields = std::make_shared<std::map<std::string, std::string>>();
  auto ints = std::make_shared<std::map<std::string, int>>();
  auto add_fields = [fields, ints](CLI::App* cmd) {
    for (const char* f : {"repo_url", "pull_url", "vcs", "pretest_branch", "default_try_syntax", "try_syntax_in", "ci",
                          "status", "landing_strategy"}) {
      std::string flag = "--" + std::string(f);
      std::replace(flag.begin() + 2, flag.end(), '_', '-');
      cmd->add_option_function<std::string>(flag, [fields, f](const std::string& v) { (*fields)[f] = v; });
    }
    for (const char* f : {"threshold", "required_level", "max_retriggers", "results_timeout_minutes", "max_batch"}) {
      std::string flag = "--" + std::string(f);
      std::replace(flag.begin() + 2, flag.end(), '_', '-');
      cmd->add_option_function<int>(flag, [ints, f](const int& v) { (*ints)[f] = v; });
    }
  };
  auto body_of = [fields, ints] {
    json body = json::object();
    for (const auto& [k, v] : *fields) body[k] = v;
    for (const auto& [k, v] : *ints) body[k] = v;
    return body;
  };
  auto* badd = branch->add_subcommand("add", "Create a branch (--repo-url is required)");
  badd->add_option("name", *bname)->required();
  add_fields(badd);
  leaf(badd, [bname, body_of](Ctl& c) { return c.run("POST", "/branches/" + seg(*bname), body_of(), show_branch); });
  auto* bset = branch->add_subcommand("set", "Change a branch's fields");
  bset->add_option("name", *bname)->required();
  add_fields(bset);
  leaf(bset, [bname, body_of](Ctl& c) { return c.run("PUT", "/branches/" + seg(*bname), body_of(), show_branch); });
  for (const char* word : {"enable", "disable"}) {
    auto* cmd = branch->add_subcommand(word, std::string(word) + " a branch (a disabled one takes no new requests)");
    cmd->add_option("name", *bname)->required();
    bool enable = std::string(word) == "enable";
    leaf(cmd, [bname, enable](Ctl& c) {
      return c.run("PUT", "/branches/" + seg(*bname) + "/status", json{{"status", enable ? "enabled" : "disabled"}},
                   [](const json& b) { std::printf("%s: %s\n", text(b, "name").c_str(), text(b, "status").c_str()); });
    });
  }
  auto threshold = std::make_shared<int>(0);
  auto* bthr = branch->add_subcommand("threshold", "How many patchsets may be in flight on the branch");
  bthr->add_option("name", *bname)->required();
  bthr->add_option("n", *threshold)->required();
  leaf(bthr, [bname, threshold](Ctl& c) {
    return c.run("PUT", "/branches/" + seg(*bname) + "/threshold", json{{"threshold", *threshold}}, [](const json& b) {
      std::printf("%s: threshold %s\n", text(b, "name").c_str(), text(b, "threshold").c_str());
    });
  });
  auto* bdel = branch->add_subcommand("delete", "Delete a branch (refused while patchsets are in flight on it)");
  bdel->add_option("name", *bname)->required();
  leaf(bdel, [bname](Ctl& c) {
    return c.run("DELETE", "/branches/" + seg(*bname), nullptr,
                 [bname](const json&) { std::printf("deleted branch %s\n", bname->c_str()); });
  });

  // Patchsets.
  auto* ps =
      ctl->add_subcommand("patchset", "Patchsets: show, priority, force, cancel, retry, backout, add-patch, delete");
  ps->require_subcommand(1);
  auto id = std::make_shared<int64_t>(0);
  auto reason = std::make_shared<std::string>();
  auto number = std::make_shared<int64_t>(0);
  auto* pshow = ps->add_subcommand("show", "One patchset, with its comments");
  pshow->add_option("id", *id)->required();
  leaf(pshow, [id](Ctl& c) { return c.run("GET", "/patchSets/" + std::to_string(*id), nullptr, show_patchset); });
  auto* pprio = ps->add_subcommand("priority", "Set its priority (higher goes first)");
  pprio->add_option("id", *id)->required();
  pprio->add_option("priority", *number)->required();
  leaf(pprio, [id, number](Ctl& c) {
    return c.run("PUT", "/patchSets/" + std::to_string(*id) + "/priority", json{{"priority", *number}}, show_patchset);
  });
  for (const char* action : {"force", "cancel", "retry", "backout"}) {
    auto* cmd = ps->add_subcommand(action, std::string(action) + " a patchset");
    cmd->add_option("id", *id)->required();
    if (std::string(action) != "retry")
      cmd->add_option("--reason", *reason, "Why (goes on the bug and in the audit log)");
    std::string a = action;
    leaf(cmd, [id, reason, a](Ctl& c) {
      json body = json::object();
      if (!reason->empty()) body["reason"] = *reason;
      return c.run("POST", "/patchSets/" + std::to_string(*id) + "/" + a, body, show_patchset);
    });
  }
  auto* padd = ps->add_subcommand("add-patch", "Add an attachment to a patchset still queued");
  padd->add_option("id", *id)->required();
  padd->add_option("attachment", *number)->required();
  leaf(padd, [id, number](Ctl& c) {
    return c.run("PUT", "/patchSets/" + std::to_string(*id) + "/" + std::to_string(*number), nullptr, show_patchset);
  });
  auto* pdel = ps->add_subcommand("delete", "Delete a patchset (refused while autoland works on it)");
  pdel->add_option("id", *id)->required();
  leaf(pdel, [id](Ctl& c) {
    return c.run("DELETE", "/patchSets/" + std::to_string(*id), nullptr,
                 [id](const json&) { std::printf("deleted patchset %lld\n", static_cast<long long>(*id)); });
  });

  // Bugs.
  auto* bug = ctl->add_subcommand("bug", "Bugs: show their patchsets, or request a landing");
  bug->require_subcommand(1);
  auto bug_id = std::make_shared<int64_t>(0);
  auto* bshowbug = bug->add_subcommand("show", "The bug's patchsets");
  bshowbug->add_option("bug", *bug_id)->required();
  leaf(bshowbug, [bug_id](Ctl& c) {
    return c.run("GET", "/bugs/" + std::to_string(*bug_id), nullptr, [](const json& j) {
      std::printf("%-6s %-16s %-12s %-8s %s\n", "id", "branch", "state", "stage", "patches");
      for (const json& p : j["patchSets"]) {
        std::printf("%-6lld %-16s %-12s %-8s %s\n", static_cast<long long>(p.value("id", 0)), text(p, "branch").c_str(),
                    text(p, "state").c_str(), text(p, "stage").c_str(), p["patches"].dump().c_str());
      }
    });
  });
  auto req_branch = std::make_shared<std::string>();
  auto req_patches = std::make_shared<std::vector<int64_t>>();
  auto req_requester = std::make_shared<std::string>();
  auto req_syntax = std::make_shared<std::string>();
  auto* brequest = bug->add_subcommand("request", "Ask for a landing (checked as a whiteboard tag would be)");
  brequest->add_option("bug", *bug_id)->required();
  brequest->add_option("--branch", *req_branch)->required();
  brequest->add_option("--patch", *req_patches, "Attachment id (repeat for several, in order)")->required();
  brequest->add_option("--requester", *req_requester, "Bugzilla email of who asks")->required();
  brequest->add_option("--try-syntax", *req_syntax);
  leaf(brequest, [bug_id, req_branch, req_patches, req_requester, req_syntax](Ctl& c) {
    json body = {{"branch", *req_branch}, {"patches", *req_patches}, {"requester", *req_requester}};
    if (!req_syntax->empty()) body["try_syntax"] = *req_syntax;
    return c.run("POST", "/bugs/" + std::to_string(*bug_id), body, show_patchset);
  });

  auto since = std::make_shared<int64_t>(0);
  auto of = std::make_shared<int64_t>(0);
  auto limit = std::make_shared<int64_t>(50);
  auto* events = ctl->add_subcommand("events", "The audit log: the newest --limit entries (or from --since on)");
  events->add_option("--since", *since, "Unix time; with it, the oldest entries from then on");
  events->add_option("--patchset", *of, "Only this patchset's");
  events->add_option("--limit", *limit)->capture_default_str()->check(CLI::Range(1, 1000));
  leaf(events, [since, of, limit](Ctl& c) {
    std::string q = "/events?limit=" + std::to_string(*limit) + (*since > 0 ? "" : "&newest=true");
    if (*since > 0) q += "&since=" + std::to_string(*since);
    if (*of > 0) q += "&patchset=" + std::to_string(*of);
    return c.run("GET", q, nullptr, show_events);
  });

  leaf(ctl->add_subcommand("health", "What works and what does not (exit 1 when degraded)"), [](Ctl& c) {
    int code = kExitOk;
    auto a = c.call("GET", "/health", nullptr, &code);
    if (!a) return code;
    if (a->status != 200 && a->status != 503) return c.verdict(*a);
    if (c.options().json_out) {
      std::cout << a->body.dump(2) << "\n";
    } else {
      std::printf("%s\n", text(a->body, "status").c_str());
      for (const auto& [name, check] : a->body["checks"].items()) {
        std::printf("  %-12s %-4s %s\n", name.c_str(), check.value("ok", false) ? "ok" : "DOWN",
                    text(check, "detail") == "-" ? "" : text(check, "detail").c_str());
      }
    }
    return a->status == 200 ? kExitOk : kExitFailed;
  });
  leaf(ctl->add_subcommand("metrics", "The Prometheus metrics, as served"), [](Ctl& c) {
    int code = kExitOk;
    auto a = c.call("GET", "/metrics", nullptr, &code);
    if (!a) return code;
    if (int v = c.verdict(*a); v != kExitOk) return v;
    std::cout << a->text;
    return kExitOk;
  });
}

}  // namespace autoland::cli
