#include "app/config.h"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "adapters/bugzilla/bugzilla_client.h"
#include "core/branch_rules.h"
#include "util/strings.h"

namespace autoland {
namespace {

using Values = std::map<std::string, std::string>;  // key path -> value as text

std::string line_of(const toml::node& node) {
  const auto& src = node.source();
  return "line " + std::to_string(src.begin.line);
}

std::string type_name(ConfigType t) {
  switch (t) {
    case ConfigType::string: return "a string";
    case ConfigType::integer: return "an integer";
    case ConfigType::boolean: return "true or false";
    case ConfigType::string_list: return "a list of strings";
  }
  return "?";
}

// Keys written as [[NAME]]: one table per element.
constexpr std::string_view kArrayTables[] = {"branches", "ci.local.jobs", "api.tokens"};

bool is_array_table(std::string_view path) {
  return std::find(std::begin(kArrayTables), std::end(kArrayTables), path) != std::end(kArrayTables);
}

const ConfigKey* find_key(std::string_view path) {
  for (const ConfigKey& k : config_keys()) {
    if (k.path == path) return &k;
  }
  return nullptr;
}

// "bugzilla.api_key_env" -> the secret key "bugzilla.api_key" and "env".
const ConfigKey* find_secret_source(std::string_view path, std::string* kind) {
  for (std::string_view suffix : {std::string_view("_env"), std::string_view("_file")}) {
    if (path.size() > suffix.size() && path.substr(path.size() - suffix.size()) == suffix) {
      const ConfigKey* k = find_key(path.substr(0, path.size() - suffix.size()));
      if (k && k->secret) {
        *kind = std::string(suffix.substr(1));
        return k;
      }
    }
  }
  return nullptr;
}

Result<std::string> value_text(const toml::node& node, ConfigType type, const std::string& path, std::string_view src) {
  auto wrong = [&]() {
    return invalid_input(std::string(src) + ": key '" + path + "' at " + line_of(node) + " must be " + type_name(type));
  };
  switch (type) {
    case ConfigType::string:
      if (auto v = node.value<std::string>(); v && node.is_string()) return *v;
      return wrong();
    case ConfigType::integer:
      if (node.is_integer()) return std::to_string(*node.value<int64_t>());
      return wrong();
    case ConfigType::boolean:
      if (node.is_boolean()) return std::string(*node.value<bool>() ? "true" : "false");
      return wrong();
    case ConfigType::string_list: {
      const toml::array* arr = node.as_array();
      if (!arr) return wrong();
      std::vector<std::string> items;
      for (const toml::node& item : *arr) {
        if (!item.is_string()) return wrong();
        items.push_back(*item.value<std::string>());
      }
      return join_list(items);
    }
  }
  return wrong();
}

struct Collected {
  Values top;                                         // non-array keys
  std::map<std::string, std::vector<Values>> arrays;  // "branches" -> one Values per [[branches]]
  std::map<std::string, std::string> secret_env;      // secret path -> env var name
  std::map<std::string, std::string> secret_file;     // secret path -> file
};

Status collect_table(const toml::table& table, const std::string& prefix, Values& out, Collected& all,
                     std::string_view src, bool in_array);

Status collect_node(const toml::node& node, const std::string& path, Values& out, Collected& all, std::string_view src,
                    bool in_array) {
  if (const toml::table* t = node.as_table()) {
    if (!in_array && is_array_table(path)) {
      return invalid_input(std::string(src) + ": '" + path + "' at " + line_of(node) +
                           " must be an array of tables: write [[" + path + "]]");
    }
    return collect_table(*t, path, out, all, src, in_array);
  }
  if (const toml::array* arr = node.as_array()) {
    if (is_array_table(path) && !in_array) {
      for (const toml::node& element : *arr) {
        const toml::table* t = element.as_table();
        if (!t) {
          return invalid_input(std::string(src) + ": every element of '" + path + "' at " + line_of(element) +
                               " must be a table");
        }
        Values values;
        AUTOLAND_TRY(collect_table(*t, path + "[]", values, all, src, true));
        all.arrays[path].push_back(std::move(values));
      }
      return {};
    }
  }
  std::string kind;
  if (const ConfigKey* secret = find_secret_source(path, &kind)) {
    AUTOLAND_TRY_ASSIGN(auto v, value_text(node, ConfigType::string, path, src));
    (kind == "env" ? all.secret_env : all.secret_file)[std::string(secret->path)] = v;
    return {};
  }
  const ConfigKey* key = find_key(path);
  // "branches[].x" is the table's name for keys inside [[branches]], never a key of its own.
  bool array_key_outside_array = !in_array && path.find("[]") != std::string::npos;
  if (!key || array_key_outside_array) {
    return invalid_input(std::string(src) + ": unknown key '" + path + "' at " + line_of(node));
  }
  AUTOLAND_TRY_ASSIGN(auto v, value_text(node, key->type, path, src));
  if (key->type == ConfigType::integer) {
    int64_t n = *node.value<int64_t>();
    if (n < key->min_value || n > key->max_value) {
      return invalid_input(std::string(src) + ": key '" + path + "' at " + line_of(node) + " must be between " +
                           std::to_string(key->min_value) + " and " + std::to_string(key->max_value));
    }
  }
  out[path] = v;
  return {};
}

Status collect_table(const toml::table& table, const std::string& prefix, Values& out, Collected& all,
                     std::string_view src, bool in_array) {
  for (const auto& [k, node] : table) {
    std::string path = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    AUTOLAND_TRY(collect_node(node, path, out, all, src, in_array));
  }
  return {};
}

// A configuration or a secret: a regular file of at most 1 MiB. A folder
// read as empty, and /dev/zero never ended.
Result<std::string> read_file(const std::string& path) {
  constexpr std::uintmax_t kMaxBytes = 1 << 20;
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return not_found("cannot read '" + path + "': it does not exist");
  if (!std::filesystem::is_regular_file(status)) return invalid_input("'" + path + "' is not a regular file");
  if (std::filesystem::file_size(path, ec) > kMaxBytes || ec) {
    return invalid_input("'" + path + "' is larger than 1 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Fills in the defaults, then the environment, then the secret sources.
Status resolve(Collected& c, const EnvLookup& env, std::string_view src) {
  for (const ConfigKey& k : config_keys()) {
    std::string path(k.path);
    if (path.find("[].") != std::string::npos) continue;
    if (auto v = env(env_name_for(path))) {
      if (k.type == ConfigType::integer) {
        auto n = util::parse_uint(*v);
        if (!n || static_cast<int64_t>(*n) < k.min_value || *n > static_cast<uint64_t>(k.max_value)) {
          return invalid_input("environment variable " + env_name_for(path) + " must be a whole number between " +
                               std::to_string(k.min_value) + " and " + std::to_string(k.max_value));
        }
      }
      if (k.type == ConfigType::boolean && *v != "true" && *v != "false") {
        return invalid_input("environment variable " + env_name_for(path) + " must be true or false");
      }
      c.top[path] = *v;
      continue;
    }
    if (k.secret) {
      if (auto it = c.secret_file.find(path); it != c.secret_file.end()) {
        auto text = read_file(it->second);
        if (!text) return invalid_input(std::string(src) + ": " + path + "_file: " + text.error().message);
        c.top[path] = std::string(util::trim(*text));
        continue;
      }
      if (auto it = c.secret_env.find(path); it != c.secret_env.end()) {
        auto v = env(it->second);
        if (!v) {
          return invalid_input(std::string(src) + ": " + path + "_env names environment variable " + it->second +
                               ", which is not set");
        }
        c.top[path] = *v;
        continue;
      }
    }
    if (!c.top.count(path)) c.top[path] = std::string(k.default_value);
  }
  for (auto& [name, elements] : c.arrays) {
    std::string prefix = name + "[].";
    for (Values& element : elements) {
      for (const ConfigKey& k : config_keys()) {
        std::string path(k.path);
        if (path.rfind(prefix, 0) == 0 && !element.count(path)) element[path] = std::string(k.default_value);
      }
    }
  }
  return {};
}

int to_int(const std::string& s) { return static_cast<int>(std::strtoll(s.c_str(), nullptr, 10)); }

const std::vector<Values> kNoValues;

// [[branches]], each held to the same rules as a branch made through the
// API (core/branch_rules).
Status build_branches(const Collected& c, std::string_view src, Config& cfg) {
  auto fail = [&](const std::string& what) { return invalid_input(std::string(src) + ": " + what); };
  const std::vector<Values>& none = kNoValues;
  const std::vector<Values>& branches = c.arrays.count("branches") ? c.arrays.at("branches") : none;
  for (const Values& b : branches) {
    Branch branch;
    branch.name = b.at("branches[].name");
    if (branch.name.empty()) return fail("every [[branches]] needs a name");
    for (const Branch& other : cfg.branches) {
      if (other.name == branch.name) return fail("branch '" + branch.name + "' is configured twice");
    }
    branch.repo_url = b.at("branches[].repo_url");
    if (branch.repo_url.empty()) return fail("branch '" + branch.name + "' needs a repo_url");
    branch.pull_url = b.at("branches[].pull_url");
    auto vcs = parse_vcs(b.at("branches[].vcs"));
    if (!vcs) return fail("branch '" + branch.name + "': " + vcs.error().message);
    branch.vcs = *vcs;
    branch.threshold = to_int(b.at("branches[].threshold"));
    branch.required_level = to_int(b.at("branches[].required_level"));
    branch.pretest_branch = b.at("branches[].pretest_branch");
    branch.default_try_syntax = b.at("branches[].default_try_syntax");
    const std::string& placement = b.at("branches[].try_syntax_in");
    if (placement != "empty_commit" && placement != "tip_message") {
      return fail("branch '" + branch.name + "': try_syntax_in must be \"empty_commit\" or \"tip_message\", not \"" +
                  placement + "\"");
    }
    branch.try_syntax_in_tip = placement == "tip_message";
    branch.ci_source = b.at("branches[].ci");
    branch.max_retriggers = to_int(b.at("branches[].max_retriggers"));
    branch.results_timeout_minutes = to_int(b.at("branches[].results_timeout_minutes"));
    auto strategy = parse_landing_strategy(b.at("branches[].landing_strategy"));
    if (!strategy) {
      return fail("branch '" + branch.name +
                  "': landing_strategy must be \"serial\", \"pipelined\" or \"batch\", not \"" +
                  b.at("branches[].landing_strategy") + "\"");
    }
    branch.landing_strategy = *strategy;
    branch.max_batch = to_int(b.at("branches[].max_batch"));
    branch.status = b.at("branches[].enabled") == "true" ? BranchStatus::enabled : BranchStatus::disabled;
    auto tree = parse_tree_status(b.at("branches[].tree"));
    if (!tree) return fail("branch '" + branch.name + "': " + tree.error().message);
    branch.tree = *tree;
    cfg.branches.push_back(std::move(branch));
  }
  // The same rules as a branch made through the API (core/branch_rules).
  BranchRuleContext rules;
  rules.ci_sources = configured_ci_sources(cfg);
  rules.find = [&cfg](const std::string& name) -> std::optional<Branch> {
    for (const Branch& o : cfg.branches) {
      if (o.name == name) return o;
    }
    return std::nullopt;
  };
  for (const Branch& b : cfg.branches) {
    Status valid = validate_branch(b, rules);
    if (!valid.ok()) return fail(valid.error().message);
  }
  return {};
}

// [[ci.local.jobs]]: each names a configured branch, once per name.
Status build_local_ci_jobs(const Collected& c, std::string_view src, Config& cfg) {
  auto fail = [&](const std::string& what) { return invalid_input(std::string(src) + ": " + what); };
  const std::vector<Values>& none = kNoValues;
  const std::vector<Values>& jobs = c.arrays.count("ci.local.jobs") ? c.arrays.at("ci.local.jobs") : none;
  for (const Values& j : jobs) {
    LocalCiJobConfig job;
    job.branch = j.at("ci.local.jobs[].branch");
    job.name = j.at("ci.local.jobs[].name");
    job.command = split_list(j.at("ci.local.jobs[].command"));
    job.timeout_seconds = to_int(j.at("ci.local.jobs[].timeout_seconds"));
    job.build = j.at("ci.local.jobs[].build") == "true";
    if (job.name.empty()) return fail("every [[ci.local.jobs]] needs a name");
    if (job.command.empty()) return fail("ci.local job '" + job.name + "' needs a command, e.g. [\"make\", \"check\"]");
    if (std::none_of(cfg.branches.begin(), cfg.branches.end(), [&](const Branch& b) { return b.name == job.branch; })) {
      return fail("ci.local job '" + job.name + "' names branch '" + job.branch + "', which is not configured");
    }
    for (const LocalCiJobConfig& other : cfg.local_ci.jobs) {
      if (other.branch == job.branch && other.name == job.name) {
        return fail("ci.local job '" + job.name + "' is configured twice for branch '" + job.branch + "'");
      }
    }
    cfg.local_ci.jobs.push_back(std::move(job));
  }
  return {};
}

// [[api.tokens]]: a name, a role and a distinct SHA-256 each.
Status build_api_tokens(const Collected& c, std::string_view src, Config& cfg) {
  auto fail = [&](const std::string& what) { return invalid_input(std::string(src) + ": " + what); };
  const std::vector<Values>& none = kNoValues;
  const std::vector<Values>& tokens = c.arrays.count("api.tokens") ? c.arrays.at("api.tokens") : none;
  for (const Values& t : tokens) {
    ApiTokenConfig token{t.at("api.tokens[].name"), t.at("api.tokens[].role"),
                         util::to_lower(t.at("api.tokens[].sha256"))};
    if (token.name.empty()) return fail("every [[api.tokens]] needs a name (it goes in the audit log)");
    if (token.role != "reader" && token.role != "sheriff" && token.role != "admin") {
      return fail("api token '" + token.name + "': role must be reader, sheriff or admin, not '" + token.role + "'");
    }
    if (token.sha256.size() != 64 || token.sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return fail("api token '" + token.name + "': sha256 must be the token's SHA-256 in hex (64 digits; " +
                  "`autoland api token` makes one)");
    }
    for (const ApiTokenConfig& other : cfg.api.tokens) {
      if (other.name == token.name) return fail("api token '" + token.name + "' is configured twice");
      // One token, two names or roles: which one a request gets is not to be guessed.
      if (other.sha256 == token.sha256) {
        return fail("api tokens '" + other.name + "' and '" + token.name + "' have the same sha256");
      }
    }
    cfg.api.tokens.push_back(std::move(token));
  }
  return {};
}

// The scalar keys and their own checks; then the arrays, each by its
// builder; then the rules across keys.
Result<Config> build(const Collected& c, std::string_view src) {
  Config cfg;
  cfg.source = std::string(src);
  const Values& v = c.top;
  cfg.store_url = v.at("store.url");
  cfg.bus.url = v.at("bus.url");
  cfg.bus.name = v.at("bus.name");
  cfg.bus.prefetch = to_int(v.at("bus.prefetch"));
  cfg.bus.tls_ca_file = v.at("bus.tls_ca_file");
  if (cfg.bus.url != "inproc://" && cfg.bus.url.rfind("amqp://", 0) != 0 && cfg.bus.url.rfind("amqps://", 0) != 0) {
    return invalid_input(std::string(src) + ": bus.url: '" + util::redact_url(cfg.bus.url) +
                         "' is neither inproc:// nor amqp://... or amqps://...");
  }
  if (cfg.bus.name.empty() ||
      cfg.bus.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos) {
    return invalid_input(std::string(src) + ": bus.name: '" + cfg.bus.name +
                         "' must be lower-case letters, digits, - and _ (it names the exchange and queues)");
  }
  cfg.workers.heartbeat_seconds = to_int(v.at("workers.heartbeat_seconds"));
  cfg.workers.failover_seconds = to_int(v.at("workers.failover_seconds"));
  if (cfg.workers.failover_seconds < 2 * cfg.workers.heartbeat_seconds) {
    return invalid_input(std::string(src) + ": workers.failover_seconds (" +
                         std::to_string(cfg.workers.failover_seconds) + ") must be at least twice " +
                         "workers.heartbeat_seconds (" + std::to_string(cfg.workers.heartbeat_seconds) +
                         "): a live worker would otherwise be taken for dead");
  }
  cfg.log_level = v.at("log.level");
  cfg.bugzilla.url = v.at("bugzilla.url");
  cfg.bugzilla.api_key = v.at("bugzilla.api_key");
  cfg.bugzilla.auth = v.at("bugzilla.auth");
  cfg.bugzilla.ca_file = v.at("bugzilla.ca_file");
  cfg.bugzilla.bot_login = v.at("bugzilla.bot_login");
  cfg.bugzilla.timeout_seconds = to_int(v.at("bugzilla.timeout_seconds"));
  cfg.patch_max_bytes = static_cast<uint64_t>(std::strtoull(v.at("patches.max_size_bytes").c_str(), nullptr, 10));
  cfg.grace_period_seconds = to_int(v.at("queue.grace_period_seconds"));
  cfg.allow_self_review = v.at("queue.allow_self_review") == "true";
  cfg.max_requests_per_bug = to_int(v.at("queue.max_requests_per_bug"));
  cfg.max_requests_per_requester = to_int(v.at("queue.max_requests_per_requester"));
  cfg.checkin_needed_branch = v.at("queue.checkin_needed_branch");
  cfg.try_max_in_flight = to_int(v.at("queue.try_max_in_flight"));
  cfg.try_max_pending_jobs = to_int(v.at("queue.try_max_pending_jobs"));
  cfg.results_interval_seconds = to_int(v.at("results.interval_seconds"));
  cfg.run_trigger_interval_seconds = to_int(v.at("run.trigger_interval_seconds"));
  cfg.run_queue_interval_seconds = to_int(v.at("run.queue_interval_seconds"));
  cfg.run_commenter_interval_seconds = to_int(v.at("run.commenter_interval_seconds"));
  cfg.commenter_lease_seconds = to_int(v.at("commenter.lease_seconds"));
  cfg.commenter_max_per_bug_per_hour = to_int(v.at("commenter.max_comments_per_bug_per_hour"));
  cfg.commenter_max_per_minute = to_int(v.at("commenter.max_comments_per_minute"));
  cfg.local_ci.state_dir = v.at("ci.local.state_dir");
  cfg.local_ci.workers = to_int(v.at("ci.local.workers"));
  cfg.buildbot.url = v.at("ci.buildbot.url");
  cfg.buildbot.timeout_seconds = to_int(v.at("ci.buildbot.timeout_seconds"));
  cfg.treeherder.url = v.at("ci.treeherder.url");
  cfg.treeherder.timeout_seconds = to_int(v.at("ci.treeherder.timeout_seconds"));
  cfg.ldap.url = v.at("ldap.url");
  cfg.ldap.bind_dn = v.at("ldap.bind_dn");
  cfg.ldap.bind_password = v.at("ldap.bind_password");
  cfg.ldap.people_base = v.at("ldap.people_base");
  cfg.ldap.email_attribute = v.at("ldap.email_attribute");
  cfg.ldap.fallback_attribute = v.at("ldap.fallback_attribute");
  cfg.ldap.level_groups[0] = v.at("ldap.level_1_group");
  cfg.ldap.level_groups[1] = v.at("ldap.level_2_group");
  cfg.ldap.level_groups[2] = v.at("ldap.level_3_group");
  cfg.ldap.member_attribute = v.at("ldap.member_attribute");
  cfg.ldap.member_value_attribute = v.at("ldap.member_value_attribute");
  cfg.ldap.timeout_seconds = to_int(v.at("ldap.timeout_seconds"));
  cfg.ldap.cache_seconds = to_int(v.at("ldap.cache_seconds"));
  cfg.directory_file = v.at("directory.file");
  cfg.tree_status_url = v.at("tree_status.url");
  cfg.tree_status_cache_seconds = to_int(v.at("tree_status.cache_seconds"));
  cfg.api.listen = v.at("api.listen");
  if (!cfg.api.listen.empty()) {
    auto address = parse_listen_address(cfg.api.listen);
    if (!address) return invalid_input(std::string(src) + ": api.listen: " + address.error().message);
  }
  cfg.api.open_reads = v.at("api.open_reads") == "true";
  cfg.api.max_body_bytes = to_int(v.at("api.max_body_bytes"));
  cfg.api.header_timeout_seconds = to_int(v.at("api.header_timeout_seconds"));
  cfg.api.body_timeout_seconds = to_int(v.at("api.body_timeout_seconds"));
  cfg.api.max_connections = to_int(v.at("api.max_connections"));
  cfg.api.max_connections_per_client = to_int(v.at("api.max_connections_per_client"));
  if (!cfg.ldap.url.empty() && cfg.ldap.people_base.empty()) {
    return invalid_input(std::string(src) + ": ldap.people_base must be set with ldap.url");
  }
  if (cfg.ldap.member_attribute != "memberUid" && cfg.ldap.member_attribute != "member" &&
      cfg.ldap.member_attribute != "uniqueMember") {
    return invalid_input(std::string(src) + ": ldap.member_attribute must be memberUid, member or uniqueMember, not '" +
                         cfg.ldap.member_attribute + "'");
  }
  cfg.vcs_cache_dir = v.at("vcs.cache_dir");
  cfg.vcs_max_race_retries = to_int(v.at("vcs.max_race_retries"));
  if (cfg.vcs_cache_dir.empty()) return invalid_input(std::string(src) + ": vcs.cache_dir must not be empty");

  auto fail = [&](const std::string& what) { return invalid_input(std::string(src) + ": " + what); };
  if (cfg.bugzilla.auth != "header" && cfg.bugzilla.auth != "query") {
    return fail("bugzilla.auth must be \"header\" or \"query\", not \"" + cfg.bugzilla.auth + "\"");
  }
  static const std::vector<std::string> levels = {"trace", "debug", "info", "warn", "error", "off"};
  if (std::find(levels.begin(), levels.end(), cfg.log_level) == levels.end()) {
    return fail("log.level must be one of trace, debug, info, warn, error, off");
  }
  if (cfg.bugzilla.timeout_seconds <= 0) return fail("bugzilla.timeout_seconds must be positive");
  // 5 s more: leases are kept in whole seconds, and a post starts a moment
  // after its claim.
  if (int longest = longest_comment_post_seconds(cfg.bugzilla.timeout_seconds);
      cfg.commenter_lease_seconds < longest + 5) {
    return fail("commenter.lease_seconds (" + std::to_string(cfg.commenter_lease_seconds) +
                ") must be at least 5 s longer than the slowest comment post (bugzilla.timeout_seconds = " +
                std::to_string(longest) +
                "): a second poster would take over a post still in flight and the comment would go out twice");
  }
  if (cfg.patch_max_bytes == 0) return fail("patches.max_size_bytes must be positive");

  AUTOLAND_TRY(build_branches(c, src, cfg));
  AUTOLAND_TRY(build_local_ci_jobs(c, src, cfg));
  AUTOLAND_TRY(build_api_tokens(c, src, cfg));
  if (!cfg.checkin_needed_branch.empty() &&
      std::none_of(cfg.branches.begin(), cfg.branches.end(),
                   [&](const Branch& o) { return o.name == cfg.checkin_needed_branch; })) {
    return fail("queue.checkin_needed_branch names '" + cfg.checkin_needed_branch + "', which is not configured");
  }
  return cfg;
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  using T = ConfigType;
  static const std::vector<ConfigKey> keys = {
      {"store.url", T::string, "sqlite://autoland.db",
       "Where autoland keeps its state. `sqlite://PATH` (relative to the working directory) or "
       "`sqlite:///ABSOLUTE/PATH`; `sqlite://:memory:` for a throw-away store."},
      {"bus.url", T::string, "inproc://",
       "How components wake each other: `inproc://` (all in one process: `autoland run`) or "
       "`amqp://USER:PASSWORD@HOST[:PORT]/VHOST` (`amqps://` for TLS) for workers on several hosts."},
      {"bus.name", T::string, "autoland", "The exchange's name; each component kind's queue is NAME.KIND."},
      {"bus.prefetch", T::integer, "16", "Deliveries a subscriber holds unacknowledged.", false, 1, 1000},
      {"bus.tls_ca_file", T::string, "", "CA bundle that checks the broker's certificate (amqps://)."},
      {"workers.heartbeat_seconds", T::integer, "5", "How often each worker writes that it is alive.", false, 1, 300},
      {"workers.failover_seconds", T::integer, "20",
       "A worker silent this long is taken for dead: its leadership and the work it claimed pass to others.", false, 2,
       3600},
      {"log.level", T::string, "info", "One of trace, debug, info, warn, error, off."},
      {"bugzilla.url", T::string, "", "Base URL of the Bugzilla server, e.g. `https://bugzilla.example.org`."},
      {"bugzilla.api_key", T::string, "",
       "The bot account's API key. Prefer `api_key_env` (name of an environment variable) or `api_key_file` "
       "(a file holding the key).",
       true},
      {"bugzilla.auth", T::string, "header",
       "How the key is sent: `header` (X-BUGZILLA-API-KEY; BMO, Bugzilla 5.3+) or `query` (`api_key=`; "
       "upstream 5.2 ignores the header)."},
      {"bugzilla.bot_login", T::string, "",
       "The bot account's login (email). Comments are only recognised as autoland's own when this account wrote "
       "them; empty trusts any author."},
      {"bugzilla.ca_file", T::string, "",
       "A CA bundle to verify Bugzilla's TLS certificate with; empty: the system's."},
      {"bugzilla.timeout_seconds", T::integer, "30",
       "Per-request timeout. A write (a comment, a whiteboard edit) takes at most this long in all, resends of "
       "requests that never arrived included.",
       false, 1, 3600},
      {"vcs.cache_dir", T::string, "autoland-cache",
       "Where the persistent working clones live, one per branch (relative to the working directory unless "
       "absolute). Reused across runs; a broken one is cloned again."},
      {"vcs.max_race_retries", T::integer, "3",
       "How often a push is redone (pull, rebase) when the branch moved meanwhile, before it waits for the next "
       "turn.",
       false, 0, 100},
      {"results.interval_seconds", T::integer, "30", "How often `autoland results` looks at CI in loop mode.", false, 1,
       3600},
      {"run.trigger_interval_seconds", T::integer, "60", "`autoland run`: how often the trigger asks Bugzilla.", false,
       1, 86400},
      {"run.queue_interval_seconds", T::integer, "5", "`autoland run`: the queue's pass when nothing wakes it sooner.",
       false, 1, 86400},
      {"commenter.lease_seconds", T::integer, "300",
       "How long a post whose outcome is unknown is left alone before it is looked for on the bug and, only if "
       "missing, posted again: a post in flight (hidden from other posters meanwhile), one cut off by a crash, one "
       "whose answer was lost (a timeout, a 5xx from a proxy that may still deliver it). Must be longer than "
       "`bugzilla.timeout_seconds`; a post Bugzilla stores later than this after it was sent goes out twice, so "
       "keep it above the longest time your proxies can hold a request.",
       false, 5, 86400},
      {"commenter.max_comments_per_bug_per_hour", T::integer, "20",
       "The most comments posted on one bug in an hour, by every commenter together (counted in the store); more "
       "wait their turn.",
       false, 1, 10000},
      {"commenter.max_comments_per_minute", T::integer, "120",
       "The most comments posted in a minute over all bugs, by every commenter together; more wait their turn.", false,
       1, 100000},
      {"run.commenter_interval_seconds", T::integer, "10",
       "`autoland run`: the commenter's pass when nothing wakes it sooner.", false, 1, 86400},
      {"ci.local.state_dir", T::string, "autoland-ci",
       "Where the local CI runner keeps its runs (ci.db), logs and scratch exports."},
      {"ci.local.workers", T::integer, "2", "Jobs the local CI runner runs at once.", false, 1, 64},
      {"ci.local.jobs[].branch", T::string, "", "The branch whose revisions this job runs on (a configured branch)."},
      {"ci.local.jobs[].name", T::string, "", "The job's name, as comments show it: `build`, `xpcshell`."},
      {"ci.local.jobs[].command", T::string_list, "",
       "The program and its arguments, e.g. `[\"make\", \"check\"]`, run in an export of the revision; never "
       "through a shell unless you name one."},
      {"ci.local.jobs[].timeout_seconds", T::integer, "600",
       "A run still going after this long is killed and counts as an infrastructure exception.", false, 1, 86400},
      {"ci.local.jobs[].build", T::boolean, "false",
       "true: a failure is a broken build (red); false: a test failure (orange, rerun first)."},
      {"ci.buildbot.url", T::string, "",
       "A buildbot 3.x master's web root (its REST API is URL/api/v2), for branches with `ci = \"buildbot\"`. "
       "Pushes must reach it as changes whose `project` is the branch name (see docs/operators.md)."},
      {"ci.buildbot.timeout_seconds", T::integer, "30", "Per-request timeout.", false, 1, 3600},
      {"ci.treeherder.url", T::string, "",
       "A Treeherder instance's root, for branches with `ci = \"treeherder\"` (read only: such branches need "
       "`max_retriggers = 0`); its repository names are the branch names."},
      {"ci.treeherder.timeout_seconds", T::integer, "30", "Per-request timeout.", false, 1, 3600},
      {"ldap.url", T::string, "",
       "The directory that says who may land where: `ldap://host:389` or `ldaps://host`. Empty: no LDAP (then "
       "`directory.file`, sandbox only)."},
      {"ldap.bind_dn", T::string, "", "Who autoland binds as (simple bind)."},
      {"ldap.bind_password", T::string, "", "Its password.", true},
      {"ldap.people_base", T::string, "", "Where people are searched (subtree), e.g. `ou=people,dc=mozilla`."},
      {"ldap.email_attribute", T::string, "bugzillaEmail", "The attribute holding a person's Bugzilla email."},
      {"ldap.fallback_attribute", T::string, "mail",
       "Searched when nobody has the email in `email_attribute`; such an entry must record no other Bugzilla email. "
       "Empty: no fallback."},
      {"ldap.level_1_group", T::string, "", "DN of the group whose members have commit level 1."},
      {"ldap.level_2_group", T::string, "", "DN of the level 2 group."},
      {"ldap.level_3_group", T::string, "", "DN of the level 3 group."},
      {"ldap.member_attribute", T::string, "memberUid",
       "How groups list members: `memberUid` (posixGroup: a value of the person) or `member`/`uniqueMember` "
       "(the person's DN)."},
      {"ldap.member_value_attribute", T::string, "mail", "With memberUid: which attribute of the person it lists."},
      {"ldap.timeout_seconds", T::integer, "10", "Connect and search timeout.", false, 1, 300},
      {"ldap.cache_seconds", T::integer, "60", "How long an answer is reused.", false, 0, 86400},
      {"directory.file", T::string, "",
       "Sandbox and tests only: people and levels from a JSON file (`{\"people\": [{\"bugzilla_email\": ..., "
       "\"level\": 3}]}`) instead of LDAP."},
      {"tree_status.url", T::string, "",
       "A Treestatus-compatible service (`GET URL/trees/BRANCH`); the stricter of it and the sheriffs' setting "
       "holds landings, and a status that cannot be read holds them too. Empty: the sheriffs' setting alone."},
      {"tree_status.cache_seconds", T::integer, "30", "How long a tree's status is reused.", false, 0, 3600},
      {"api.listen", T::string, "",
       "Where the REST API listens, `HOST:PORT` (e.g. `127.0.0.1:8080`). `autoland run` serves it when set; "
       "`autoland serve` needs it (or `--listen`)."},
      {"api.open_reads", T::boolean, "false", "true: GET routes answer without a token. Writes always need one."},
      {"api.max_body_bytes", T::integer, "65536",
       "Largest request body; a larger one gets 413 before it is read (a chunked one is cut off at the limit).", false,
       1024, 16777216},
      {"api.header_timeout_seconds", T::integer, "10",
       "How long a client has to send a request's headers (from connecting, or from the end of its previous "
       "request); past it the connection is closed.",
       false, 1, 3600},
      {"api.body_timeout_seconds", T::integer, "30",
       "How long a client has to send a request's body once its headers are in; past it the connection is closed.",
       false, 1, 3600},
      {"api.max_connections", T::integer, "1000", "Connections the API keeps open at once; more are refused.", false,
       16, 100000},
      {"api.max_connections_per_client", T::integer, "64",
       "Connections one client address may hold at once; more are refused.", false, 1, 100000},
      {"api.tokens[].name", T::string, "", "Who holds the token; writes are recorded in the audit log as user:NAME."},
      {"api.tokens[].role", T::string, "reader",
       "`reader` (GET routes), `sheriff` (every write) or `admin` (the same, for now)."},
      {"api.tokens[].sha256", T::string, "",
       "The token's SHA-256 in hex, never the token itself: `autoland api token NAME` prints a new token and this "
       "line."},
      {"patches.max_size_bytes", T::integer, "20971520", "Largest patch accepted (default 20 MiB).", false, 1,
       1073741824},
      {"queue.grace_period_seconds", T::integer, "60",
       "How long a new request waits before anything is pushed, so it can still be cancelled.", false, 0, 86400},
      {"queue.allow_self_review", T::boolean, "false",
       "true: a review+ the patch's own author gave counts for a trunk landing. false: it does not."},
      {"queue.max_requests_per_bug", T::integer, "5",
       "Requests (patchsets not ended) one bug may have in flight. More tags are refused, in one comment that "
       "says so, and their tags are taken off.",
       false, 1, 1000},
      {"queue.max_requests_per_requester", T::integer, "50",
       "Requests (patchsets not ended) one person may have in flight over all bugs; more are refused the same way.",
       false, 1, 10000},
      {"queue.checkin_needed_branch", T::string, "",
       "When set, the `checkin-needed` keyword acts like `[autoland-BRANCH]` for this branch; empty: ignored."},
      {"queue.try_max_in_flight", T::integer, "0",
       "The most of autoland's own try pushes in flight at once, over every try branch, so try stays usable for "
       "people; more wait with the reason `try_busy`. A sheriff's priority above 0 goes past it. 0: no limit.",
       false, 0, 10000},
      {"queue.try_max_pending_jobs", T::integer, "0",
       "Where the try branch's CI can say how many jobs wait there: above this many, autoland starts no try push "
       "of its own (`try_busy`). 0: no limit.",
       false, 0, 10000000},
      {"branches[].name", T::string, "", "Branch name as written in tags: `try`, `mozilla-inbound`."},
      {"branches[].repo_url", T::string, "", "Where pushes go: a local path, `http://`, or `ssh://`."},
      {"branches[].pull_url", T::string, "", "Where clones come from; empty: `repo_url`."},
      {"branches[].vcs", T::string, "hg", "`hg` or `git`."},
      {"branches[].threshold", T::integer, "1", "Most patchsets in flight on this branch at once; 0 holds all.", false,
       0, 1000},
      {"branches[].required_level", T::integer, "3", "Commit level the requester needs (try: 1, trunk: 3).", false, 1,
       3},
      {"branches[].pretest_branch", T::string, "",
       "A branch to test on first (e.g. `try`); a landing goes there first and only lands on green."},
      {"branches[].default_try_syntax", T::string, "", "Try syntax used when neither the tag nor the patch gives one."},
      {"branches[].try_syntax_in", T::string, "empty_commit",
       "Where a try push carries its syntax: `empty_commit` (a commit of its own on top) or `tip_message` "
       "(appended to the last patch's message)."},
      {"branches[].ci", T::string, "local",
       "The CI source that reports results for this branch: `local` (the jobs of [[ci.local.jobs]]), `buildbot` "
       "([ci.buildbot]) or `treeherder` ([ci.treeherder])."},
      {"branches[].max_retriggers", T::integer, "2",
       "How often each failing (orange) job is rerun before it counts as a real failure.", false, 0, 20},
      {"branches[].results_timeout_minutes", T::integer, "360",
       "From the push to complete CI results; later, the patchset ends as timed out (a landing is backed out).", false,
       1, 10080},
      {"branches[].landing_strategy", T::string, "serial",
       "How landings go onto this trunk: `serial` (one at a time, each waits for the previous one's CI), "
       "`pipelined` (up to `threshold` in flight, each on top of the previous; a red one is judged by the culprit "
       "finder before anything is backed out); `batch` is not available yet (refused)."},
      {"branches[].max_batch", T::integer, "1", "`batch`: the most patchsets pushed together.", false, 1, 100},
      {"branches[].enabled", T::boolean, "true", "false: nothing starts on this branch."},
      {"branches[].tree", T::string, "open", "Initial tree status: `open`, `closed` or `approval_required`."},
  };
  return keys;
}

Result<std::pair<std::string, int>> parse_listen_address(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return invalid_input("'" + util::printable(text, 80) + "' is not HOST:PORT (e.g. 127.0.0.1:8080)");
  }
  std::string host = text.substr(0, colon);
  std::string digits = text.substr(colon + 1);
  auto port = digits.size() <= 5 ? util::parse_uint(digits) : std::nullopt;
  if (!port || *port > 65535) return invalid_input("'" + util::printable(text, 80) + "': the port must be 0 to 65535");
  in_addr addr{};
  if (host != "localhost" && ::inet_pton(AF_INET, host.c_str(), &addr) != 1) {
    return invalid_input("'" + util::printable(text, 80) + "': the host must be an IPv4 address or localhost");
  }
  return std::make_pair(host, static_cast<int>(*port));
}

Status check_autoland_variables(const std::vector<std::string>& names) {
  static const std::set<std::string> known = [] {
    std::set<std::string> out = {"AUTOLAND_URL",
                                 "AUTOLAND_TOKEN",
                                 "AUTOLAND_TOKEN_FILE",
                                 "AUTOLAND_UPDATE_GOLDEN",
                                 "AUTOLAND_BENCH_DEBUG",
                                 "AUTOLAND_DIFFERENTIAL_SEED",
                                 "AUTOLAND_DIFFERENTIAL_COUNT"};
    for (const ConfigKey& k : config_keys()) {
      if (std::string_view(k.path).find("[].") == std::string_view::npos) out.insert(env_name_for(k.path));
    }
    return out;
  }();
  for (const std::string& name : names) {
    if (name.rfind("AUTOLAND_", 0) == 0 && !known.count(name)) {
      return invalid_input("environment variable " + util::printable(name, 60) +
                           " is not one autoland reads (a key's override is AUTOLAND_ and the key in capitals with "
                           "'_' for '.', e.g. AUTOLAND_BUGZILLA_URL); unset it or correct its name");
    }
  }
  return {};
}

std::set<std::string> configured_ci_sources(const Config& config) {
  std::set<std::string> sources = {"local"};
  if (!config.buildbot.url.empty()) sources.insert("buildbot");
  if (!config.treeherder.url.empty()) sources.insert("treeherder");
  return sources;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "\x1f" : "") + items[i];
  return out;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  for (std::string_view item : util::split(text, '\x1f')) out.emplace_back(item);
  return out;
}

std::string env_name_for(std::string_view path) {
  std::string out = "AUTOLAND_";
  for (char c : path) out += (c == '.') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

Result<Config> parse_config(std::string_view text, std::string_view source, const EnvLookup& env) {
  // Debian's toml++ is built with exceptions; they stop here and become values.
  toml::table parsed;
  try {
    parsed = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return invalid_input(std::string(source) + ": line " + std::to_string(e.source().begin.line) + ": " +
                         std::string(e.description()));
  }
  Collected c;
  AUTOLAND_TRY(collect_table(parsed, "", c.top, c, source, false));
  AUTOLAND_TRY(resolve(c, env, source));
  return build(c, source);
}

Result<Config> load_config(const std::string& path, const EnvLookup& env) {
  auto text = read_file(path);
  if (!text) return invalid_input("config: " + text.error().message);
  return parse_config(*text, path, env);
}

Result<Config> default_config(const EnvLookup& env) { return parse_config("", "(defaults)", env); }

std::string describe(const Config& c) {
  std::string out;
  auto line = [&](std::string_view k, const std::string& v) { out += std::string(k) + " = " + v + "\n"; };
  line("source", c.source);
  line("store.url", util::redact_url(c.store_url));
  line("bus.url", util::redact_url(c.bus.url));
  line("bus.name", c.bus.name);
  line("bus.prefetch", std::to_string(c.bus.prefetch));
  line("bus.tls_ca_file", c.bus.tls_ca_file);
  line("workers.heartbeat_seconds", std::to_string(c.workers.heartbeat_seconds));
  line("workers.failover_seconds", std::to_string(c.workers.failover_seconds));
  line("log.level", c.log_level);
  line("bugzilla.url", util::redact_url(c.bugzilla.url));
  line("bugzilla.api_key", c.bugzilla.api_key.empty() ? "(unset)" : "(set)");
  line("bugzilla.auth", c.bugzilla.auth);
  line("bugzilla.bot_login", c.bugzilla.bot_login);
  line("bugzilla.ca_file", c.bugzilla.ca_file);
  line("bugzilla.timeout_seconds", std::to_string(c.bugzilla.timeout_seconds));
  line("patches.max_size_bytes", std::to_string(c.patch_max_bytes));
  line("queue.grace_period_seconds", std::to_string(c.grace_period_seconds));
  line("queue.allow_self_review", c.allow_self_review ? "true" : "false");
  line("queue.max_requests_per_bug", std::to_string(c.max_requests_per_bug));
  line("queue.max_requests_per_requester", std::to_string(c.max_requests_per_requester));
  line("queue.checkin_needed_branch", c.checkin_needed_branch);
  line("queue.try_max_in_flight", std::to_string(c.try_max_in_flight));
  line("queue.try_max_pending_jobs", std::to_string(c.try_max_pending_jobs));
  line("vcs.cache_dir", c.vcs_cache_dir);
  line("vcs.max_race_retries", std::to_string(c.vcs_max_race_retries));
  line("results.interval_seconds", std::to_string(c.results_interval_seconds));
  line("run.trigger_interval_seconds", std::to_string(c.run_trigger_interval_seconds));
  line("run.queue_interval_seconds", std::to_string(c.run_queue_interval_seconds));
  line("run.commenter_interval_seconds", std::to_string(c.run_commenter_interval_seconds));
  line("commenter.lease_seconds", std::to_string(c.commenter_lease_seconds));
  line("commenter.max_comments_per_bug_per_hour", std::to_string(c.commenter_max_per_bug_per_hour));
  line("commenter.max_comments_per_minute", std::to_string(c.commenter_max_per_minute));
  line("ci.local.state_dir", c.local_ci.state_dir);
  line("ci.local.workers", std::to_string(c.local_ci.workers));
  line("ldap.url", util::redact_url(c.ldap.url));
  line("ldap.bind_dn", c.ldap.bind_dn);
  line("ldap.bind_password", c.ldap.bind_password.empty() ? "(unset)" : "(set)");
  line("ldap.people_base", c.ldap.people_base);
  for (int i = 0; i < 3; ++i) line("ldap.level_" + std::to_string(i + 1) + "_group", c.ldap.level_groups[i]);
  line("directory.file", c.directory_file);
  line("tree_status.url", util::redact_url(c.tree_status_url));
  line("api.listen", c.api.listen);
  line("api.open_reads", c.api.open_reads ? "true" : "false");
  line("api.max_body_bytes", std::to_string(c.api.max_body_bytes));
  line("api.header_timeout_seconds", std::to_string(c.api.header_timeout_seconds));
  line("api.body_timeout_seconds", std::to_string(c.api.body_timeout_seconds));
  line("api.max_connections", std::to_string(c.api.max_connections));
  line("api.max_connections_per_client", std::to_string(c.api.max_connections_per_client));
  for (const ApiTokenConfig& t : c.api.tokens) out += "api token " + t.name + ": " + t.role + " (hash set)\n";
  line("ci.buildbot.url", util::redact_url(c.buildbot.url));
  line("ci.buildbot.timeout_seconds", std::to_string(c.buildbot.timeout_seconds));
  line("ci.treeherder.url", util::redact_url(c.treeherder.url));
  line("ci.treeherder.timeout_seconds", std::to_string(c.treeherder.timeout_seconds));
  for (const LocalCiJobConfig& j : c.local_ci.jobs) {
    out += "ci.local job " + j.branch + "/" + j.name + ": " + util::join(j.command, " ") + " (timeout " +
           std::to_string(j.timeout_seconds) + " s" + (j.build ? ", build" : "") + ")\n";
  }
  for (const Branch& b : c.branches) {
    out += "branch " + b.name + ": " + std::string(to_string(b.vcs)) + " " + util::redact_url(b.repo_url) +
           " threshold=" + std::to_string(b.threshold) + " level=" + std::to_string(b.required_level) +
           (b.pretest_branch.empty() ? "" : " pretest=" + b.pretest_branch) + " " + std::string(to_string(b.status)) +
           " tree=" + std::string(to_string(b.tree)) + "\n";
  }
  return out;
}

}  // namespace autoland
