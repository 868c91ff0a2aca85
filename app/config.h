// The configuration file: one TOML file, every key declared once in a table
// (type, default, documentation, environment override, secret or not). An
// unknown key or a wrong type is an error naming the key and the line.
// Secrets (API keys, passwords, tokens) can also come from an environment
// variable (`KEY_env = "NAME"`) or a file (`KEY_file = "/path"`), and are
// never printed: describe() redacts them.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/patch.h"
#include "util/result.h"

namespace autoland {

struct BugzillaConfig {
  std::string url;
  std::string api_key;          // secret
  std::string auth = "header";  // header | query
  std::string ca_file;
  int timeout_seconds = 30;
  std::string bot_login;  // the bot account's login, to recognise its own comments
};

struct LocalCiJobConfig {
  std::string branch;
  std::string name;
  std::vector<std::string> command;
  int timeout_seconds = 600;
  bool build = false;
};

struct LocalCiConfig {
  std::string state_dir = "autoland-ci";
  int workers = 2;
  std::vector<LocalCiJobConfig> jobs;
};

struct BuildbotConfig {
  std::string url;  // the master's web root; "" = not configured
  int timeout_seconds = 30;
};

struct TreeherderConfig {
  std::string url;  // e.g. https://treeherder.example.org; "" = not configured
  int timeout_seconds = 30;
};

struct LdapConfig {
  std::string url;  // "" = no LDAP
  std::string bind_dn;
  std::string bind_password;  // secret
  std::string people_base;
  std::string email_attribute = "bugzillaEmail";
  std::string fallback_attribute = "mail";
  std::array<std::string, 3> level_groups;
  std::string member_attribute = "memberUid";
  std::string member_value_attribute = "mail";
  int timeout_seconds = 10;
  int cache_seconds = 60;
};

struct ApiTokenConfig {
  std::string name;
  std::string role;    // reader | sheriff | admin
  std::string sha256;  // lowercase hex of the token
};

// [bus]: how components wake each other (ports/bus.h).
struct BusConfig {
  std::string url = "inproc://";  // or amqp:// / amqps://
  std::string name = "autoland";  // the exchange; queues are NAME.SUBSCRIBER
  int prefetch = 16;
  std::string tls_ca_file;
};

// [workers]: processes on several hosts sharing one store.
struct WorkersConfig {
  int heartbeat_seconds = 5;  // how often a worker says it is alive
  int failover_seconds = 20;  // silent this long: its leadership and claims go to others
};

struct ApiConfig {
  std::string listen;  // "127.0.0.1:8080"; "" = `autoland run` serves no API
  bool open_reads = false;
  int max_body_bytes = 64 * 1024;
  int header_timeout_seconds = 10;
  int body_timeout_seconds = 30;
  int max_connections = 1000;
  int max_connections_per_client = 64;
  std::vector<ApiTokenConfig> tokens;
};

struct Config {
  std::string source;  // the file it came from ("" for defaults)
  std::string store_url = "sqlite://autoland.db";
  BusConfig bus;
  WorkersConfig workers;
  std::string log_level = "info";
  BugzillaConfig bugzilla;
  uint64_t patch_max_bytes = kDefaultPatchMaxBytes;
  int grace_period_seconds = 60;
  bool allow_self_review = false;       // queue.allow_self_review
  int max_requests_per_bug = 5;         // queue.max_requests_per_bug
  int max_requests_per_requester = 50;  // queue.max_requests_per_requester
  std::string checkin_needed_branch;
  int try_max_in_flight = 0;     // queue.try_max_in_flight; 0: no limit
  int try_max_pending_jobs = 0;  // queue.try_max_pending_jobs; 0: no limit
  std::string vcs_cache_dir = "autoland-cache";
  int vcs_max_race_retries = 3;
  int results_interval_seconds = 30;
  int run_trigger_interval_seconds = 60;
  int run_queue_interval_seconds = 5;
  int run_commenter_interval_seconds = 10;
  int commenter_lease_seconds = 300;        // a comment being posted is hidden from other posters this long
  int commenter_max_per_bug_per_hour = 20;  // over every commenter, counted in the store
  int commenter_max_per_minute = 120;
  LocalCiConfig local_ci;
  BuildbotConfig buildbot;
  TreeherderConfig treeherder;
  LdapConfig ldap;
  std::string directory_file;   // sandbox only: people and levels from a JSON file
  std::string tree_status_url;  // "" = the store's tree status alone
  int tree_status_cache_seconds = 30;
  ApiConfig api;
  std::vector<Branch> branches;
};

enum class ConfigType { string, integer, boolean, string_list };

// A string_list value as text (items joined by '\x1f'), and back.
// `api.listen`: "127.0.0.1:8080" -> host and port. The host is an IPv4
// address or "localhost" (what the API can bind), the port 0-65535 (0: any
// free one); invalid_input naming what is wrong otherwise.
Result<std::pair<std::string, int>> parse_listen_address(const std::string& text);

// The AUTOLAND_* names among `names` (the process's environment variables)
// that nothing reads: a mistyped override would otherwise be ignored without
// a word. Known: each key's override (env_name_for), `autoland ctl`'s
// AUTOLAND_URL, AUTOLAND_TOKEN and AUTOLAND_TOKEN_FILE, and the test and
// bench switches. invalid_input naming the first unknown one.
Status check_autoland_variables(const std::vector<std::string>& names);

// The CI sources this configuration sets up: "local" always, "buildbot" and
// "treeherder" when their URL is set (what a branch's `ci` may name).
std::set<std::string> configured_ci_sources(const Config& config);

std::string join_list(const std::vector<std::string>& items);
std::vector<std::string> split_list(const std::string& text);

struct ConfigKey {
  std::string_view path;  // "bugzilla.url"; "branches[].name" for array-of-table keys
  ConfigType type;
  std::string_view default_value;  // as written in TOML, "" when none
  std::string_view doc;
  bool secret = false;
  int64_t min_value = 0;  // integers only: the accepted range
  int64_t max_value = 2147483647;
};

// Every key, in documentation order.
const std::vector<ConfigKey>& config_keys();

// The environment variable that overrides a top-level key: AUTOLAND_BUGZILLA_URL.
std::string env_name_for(std::string_view path);

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_env();

// Parses TOML text. `source` names it in errors ("autoland.toml").
Result<Config> parse_config(std::string_view text, std::string_view source, const EnvLookup& env);
// Reads and parses a file.
Result<Config> load_config(const std::string& path, const EnvLookup& env);
// Defaults plus environment overrides, for running without a file.
Result<Config> default_config(const EnvLookup& env);

// Human-readable dump with secrets shown as "(set)" or "(unset)".
std::string describe(const Config& config);

}  // namespace autoland
