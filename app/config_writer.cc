#include "app/config_writer.h"

#include <toml++/toml.h>

#include <sstream>

namespace autoland {
namespace {

toml::array strings(const std::vector<std::string>& items) {
  toml::array out;
  for (const std::string& s : items) out.push_back(s);
  return out;
}

}  // namespace

std::string to_toml(const Config& c) {
  toml::table t;
  t.insert("store", toml::table{{"url", c.store_url}});
  t.insert("log", toml::table{{"level", c.log_level}});
  t.insert("bugzilla", toml::table{{"url", c.bugzilla.url},
                                   {"api_key", c.bugzilla.api_key},
                                   {"auth", c.bugzilla.auth},
                                   {"bot_login", c.bugzilla.bot_login},
                                   {"ca_file", c.bugzilla.ca_file},
                                   {"timeout_seconds", c.bugzilla.timeout_seconds}});
  t.insert("patches", toml::table{{"max_size_bytes", static_cast<int64_t>(c.patch_max_bytes)}});
  t.insert("queue", toml::table{{"grace_period_seconds", c.grace_period_seconds},
                                {"allow_self_review", c.allow_self_review},
                                {"max_requests_per_bug", c.max_requests_per_bug},
                                {"max_requests_per_requester", c.max_requests_per_requester},
                                {"checkin_needed_branch", c.checkin_needed_branch},
                                {"try_max_in_flight", c.try_max_in_flight},
                                {"try_max_pending_jobs", c.try_max_pending_jobs}});
  t.insert("vcs", toml::table{{"cache_dir", c.vcs_cache_dir}, {"max_race_retries", c.vcs_max_race_retries}});
  t.insert("results", toml::table{{"interval_seconds", c.results_interval_seconds}});
  t.insert("run", toml::table{{"trigger_interval_seconds", c.run_trigger_interval_seconds},
                              {"queue_interval_seconds", c.run_queue_interval_seconds},
                              {"commenter_interval_seconds", c.run_commenter_interval_seconds}});
  t.insert("commenter", toml::table{{"lease_seconds", c.commenter_lease_seconds},
                                    {"max_comments_per_bug_per_hour", c.commenter_max_per_bug_per_hour},
                                    {"max_comments_per_minute", c.commenter_max_per_minute}});

  toml::array jobs;
  for (const LocalCiJobConfig& j : c.local_ci.jobs) {
    jobs.push_back(toml::table{{"branch", j.branch},
                               {"name", j.name},
                               {"command", strings(j.command)},
                               {"timeout_seconds", j.timeout_seconds},
                               {"build", j.build}});
  }
  toml::table local{{"state_dir", c.local_ci.state_dir}, {"workers", c.local_ci.workers}};
  if (!jobs.empty()) local.insert("jobs", std::move(jobs));
  t.insert(
      "ci",
      toml::table{
          {"local", std::move(local)},
          {"buildbot", toml::table{{"url", c.buildbot.url}, {"timeout_seconds", c.buildbot.timeout_seconds}}},
          {"treeherder", toml::table{{"url", c.treeherder.url}, {"timeout_seconds", c.treeherder.timeout_seconds}}}});
  t.insert("ldap", toml::table{{"url", c.ldap.url},
                               {"bind_dn", c.ldap.bind_dn},
                               {"bind_password", c.ldap.bind_password},
                               {"people_base", c.ldap.people_base},
                               {"email_attribute", c.ldap.email_attribute},
                               {"fallback_attribute", c.ldap.fallback_attribute},
                               {"level_1_group", c.ldap.level_groups[0]},
                               {"level_2_group", c.ldap.level_groups[1]},
                               {"level_3_group", c.ldap.level_groups[2]},
                               {"member_attribute", c.ldap.member_attribute},
                               {"member_value_attribute", c.ldap.member_value_attribute},
                               {"timeout_seconds", c.ldap.timeout_seconds},
                               {"cache_seconds", c.ldap.cache_seconds}});
  t.insert("directory", toml::table{{"file", c.directory_file}});
  t.insert(
      "bus",
      toml::table{
          {"url", c.bus.url}, {"name", c.bus.name}, {"prefetch", c.bus.prefetch}, {"tls_ca_file", c.bus.tls_ca_file}});
  t.insert("workers", toml::table{{"heartbeat_seconds", c.workers.heartbeat_seconds},
                                  {"failover_seconds", c.workers.failover_seconds}});
  t.insert("tree_status", toml::table{{"url", c.tree_status_url}, {"cache_seconds", c.tree_status_cache_seconds}});

  toml::array tokens;
  for (const ApiTokenConfig& k : c.api.tokens) {
    tokens.push_back(toml::table{{"name", k.name}, {"role", k.role}, {"sha256", k.sha256}});
  }
  toml::table api{{"listen", c.api.listen},
                  {"open_reads", c.api.open_reads},
                  {"max_body_bytes", c.api.max_body_bytes},
                  {"header_timeout_seconds", c.api.header_timeout_seconds},
                  {"body_timeout_seconds", c.api.body_timeout_seconds},
                  {"max_connections", c.api.max_connections},
                  {"max_connections_per_client", c.api.max_connections_per_client}};
  if (!tokens.empty()) api.insert("tokens", std::move(tokens));
  t.insert("api", std::move(api));

  toml::array branches;
  for (const Branch& b : c.branches) {
    branches.push_back(toml::table{{"name", b.name},
                                   {"repo_url", b.repo_url},
                                   {"pull_url", b.pull_url},
                                   {"vcs", std::string(to_string(b.vcs))},
                                   {"threshold", b.threshold},
                                   {"required_level", b.required_level},
                                   {"pretest_branch", b.pretest_branch},
                                   {"default_try_syntax", b.default_try_syntax},
                                   {"try_syntax_in", b.try_syntax_in_tip ? "tip_message" : "empty_commit"},
                                   {"ci", b.ci_source},
                                   {"max_retriggers", b.max_retriggers},
                                   {"results_timeout_minutes", b.results_timeout_minutes},
                                   {"landing_strategy", std::string(to_string(b.landing_strategy))},
                                   {"max_batch", b.max_batch},
                                   {"enabled", b.status == BranchStatus::enabled},
                                   {"tree", std::string(to_string(b.tree))}});
  }
  if (!branches.empty()) t.insert("branches", std::move(branches));

  std::ostringstream out;
  out << "# An autoland config written by autoland (every key: docs/config.md).\n" << t << "\n";
  return out.str();
}

}  // namespace autoland
