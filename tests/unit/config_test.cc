#include "app/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "app/ci_factory.h"
#include "app/config_writer.h"
#include "test_data.h"

namespace autoland {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Config parse_ok(std::string_view text, std::map<std::string, std::string> env = {}) {
  auto r = parse_config(text, "test.toml", env_of(std::move(env)));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Config{};
}

std::string parse_error(std::string_view text, std::map<std::string, std::string> env = {}) {
  auto r = parse_config(text, "test.toml", env_of(std::move(env)));
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().message;
}

TEST(Config, DefaultsWithoutAFile) {
  Config c = parse_ok("");
  EXPECT_EQ(c.store_url, "sqlite://autoland.db");
  EXPECT_EQ(c.bugzilla.auth, "header");
  EXPECT_EQ(c.patch_max_bytes, 20u * 1024 * 1024);
  EXPECT_TRUE(c.branches.empty());
}

TEST(Config, TheShippedExampleLoads) {
  auto r = load_config(autoland::testing::data_path("../../examples/autoland.toml"),
                       env_of({{"AUTOLAND_BUGZILLA_API_KEY", "k"}}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->branches.size(), 2u);
  EXPECT_EQ(r->branches[1].pretest_branch, "try");
}

TEST(Config, Branches) {
  Config c = parse_ok(R"(
[[branches]]
name = "try"
repo_url = "http://127.0.0.1:8000/try"
threshold = 4
required_level = 1

[[branches]]
name = "mozilla-central"
repo_url = "http://127.0.0.1:8000/mozilla-central"
pretest_branch = "try"
tree = "approval_required"
enabled = false
landing_strategy = "pipelined"
threshold = 6
)");
  ASSERT_EQ(c.branches.size(), 2u);
  EXPECT_EQ(c.branches[0].landing_strategy, LandingStrategy::serial);
  EXPECT_EQ(c.branches[1].landing_strategy, LandingStrategy::pipelined);
  EXPECT_EQ(c.branches[1].max_batch, 1);
  EXPECT_EQ(c.branches[0].threshold, 4);
  EXPECT_EQ(c.branches[0].required_level, 1);
  EXPECT_EQ(c.branches[1].required_level, 3);
  EXPECT_EQ(c.branches[1].tree, TreeStatus::approval_required);
  EXPECT_EQ(c.branches[1].status, BranchStatus::disabled);
}

TEST(Config, UnknownKeyNamesKeyAndLine) {
  EXPECT_EQ(parse_error("[bugzilla]\nurl = \"x\"\nurll = \"y\"\n"), "test.toml: unknown key 'bugzilla.urll' at line 3");
  EXPECT_EQ(parse_error("[[branches]]\nname = \"t\"\nrepo_url = \"r\"\ncolour = 1\n"),
            "test.toml: unknown key 'branches[].colour' at line 4");
  EXPECT_EQ(parse_error("stray = 1\n"), "test.toml: unknown key 'stray' at line 1");
}

TEST(Config, WrongTypeNamesKeyAndLine) {
  EXPECT_EQ(parse_error("\n[bugzilla]\ntimeout_seconds = \"30\"\n"),
            "test.toml: key 'bugzilla.timeout_seconds' at line 3 must be an integer");
  EXPECT_EQ(parse_error("[[branches]]\nname = 5\n"), "test.toml: key 'branches[].name' at line 2 must be a string");
  EXPECT_EQ(parse_error("[branches]\nname = \"x\"\n"),
            "test.toml: 'branches' at line 1 must be an array of tables: write [[branches]]");
}

TEST(Config, SyntaxErrorsNameTheLine) {
  EXPECT_EQ(parse_error("[store]\nurl = \n").substr(0, 17), "test.toml: line 2");
}

TEST(Config, SemanticChecks) {
  EXPECT_EQ(parse_error("[bugzilla]\nauth = \"cookie\"\n"),
            "test.toml: bugzilla.auth must be \"header\" or \"query\", not \"cookie\"");
  EXPECT_EQ(parse_error("[[branches]]\nname = \"a\"\nrepo_url = \"r\"\npretest_branch = \"nope\"\n"),
            "test.toml: branch 'a': pretest branch 'nope' does not exist");
  EXPECT_EQ(parse_error("[[branches]]\nname = \"a\"\n"), "test.toml: branch 'a' needs a repo_url");
  EXPECT_EQ(parse_error("[[branches]]\nname = \"a\"\nrepo_url = \"r\"\nlanding_strategy = \"fast\"\n"),
            "test.toml: branch 'a': landing_strategy must be \"serial\", \"pipelined\" or \"batch\", not \"fast\"");
  EXPECT_EQ(parse_error("[[branches]]\nname = \"a\"\nrepo_url = \"r\"\n[[branches]]\nname = \"a\"\nrepo_url = \"r\"\n"),
            "test.toml: branch 'a' is configured twice");
  EXPECT_EQ(parse_error("[[branches]]\nname = \"a\"\nrepo_url = \"r\"\nvcs = \"svn\"\n"),
            "test.toml: branch 'a': unknown vcs 'svn' (expected one of: hg, git)");
}

TEST(Config, LocalCiJobs) {
  Config c = parse_ok(
      "[[branches]]\nname = \"try\"\nrepo_url = \"r\"\nmax_retriggers = 3\n"
      "[ci.local]\nworkers = 4\n"
      "[[ci.local.jobs]]\nbranch = \"try\"\nname = \"build\"\ncommand = [\"make\", \"-j2\"]\nbuild = true\n"
      "[[ci.local.jobs]]\nbranch = \"try\"\nname = \"check\"\ncommand = [\"sh\", \"-c\", \"make check; true\"]\n"
      "timeout_seconds = 30\n");
  ASSERT_EQ(c.local_ci.jobs.size(), 2u);
  EXPECT_EQ(c.local_ci.workers, 4);
  EXPECT_EQ(c.local_ci.jobs[0].command, (std::vector<std::string>{"make", "-j2"}));
  EXPECT_TRUE(c.local_ci.jobs[0].build);
  EXPECT_EQ(c.local_ci.jobs[0].timeout_seconds, 600);
  EXPECT_EQ(c.local_ci.jobs[1].command, (std::vector<std::string>{"sh", "-c", "make check; true"}));
  EXPECT_EQ(c.local_ci.jobs[1].timeout_seconds, 30);
  EXPECT_EQ(c.branches[0].max_retriggers, 3);
  EXPECT_EQ(c.branches[0].results_timeout_minutes, 360);
  std::string branch = "[[branches]]\nname = \"try\"\nrepo_url = \"r\"\n";
  EXPECT_EQ(parse_error(branch + "[[ci.local.jobs]]\nbranch = \"central\"\nname = \"b\"\ncommand = [\"true\"]\n"),
            "test.toml: ci.local job 'b' names branch 'central', which is not configured");
  EXPECT_EQ(parse_error(branch + "[[ci.local.jobs]]\nbranch = \"try\"\nname = \"b\"\n"),
            "test.toml: ci.local job 'b' needs a command, e.g. [\"make\", \"check\"]");
  EXPECT_EQ(parse_error(branch + "[[ci.local.jobs]]\nbranch = \"try\"\nname = \"b\"\ncommand = \"make check\"\n"),
            "test.toml: key 'ci.local.jobs[].command' at line 7 must be a list of strings");
  EXPECT_EQ(parse_error(branch + "[ci.local.jobs]\nname = \"b\"\n"),
            "test.toml: 'ci.local.jobs' at line 4 must be an array of tables: write [[ci.local.jobs]]");
  EXPECT_EQ(parse_error(branch + "[[ci.local.jobs]]\nbranch = \"try\"\nname = \"b\"\ncommand = [\"x\"]\n"
                                 "[[ci.local.jobs]]\nbranch = \"try\"\nname = \"b\"\ncommand = [\"y\"]\n"),
            "test.toml: ci.local job 'b' is configured twice for branch 'try'");
}

TEST(Config, BuildbotAndTreeherderSources) {
  Config c = parse_ok(
      "[ci.buildbot]\nurl = \"http://127.0.0.1:8010\"\n[ci.treeherder]\nurl = \"https://th.example.org\"\n"
      "[[branches]]\nname = \"try\"\nrepo_url = \"r\"\nci = \"buildbot\"\n"
      "[[branches]]\nname = \"central\"\nrepo_url = \"r\"\nci = \"treeherder\"\nmax_retriggers = 0\n");
  EXPECT_EQ(c.buildbot.url, "http://127.0.0.1:8010");
  EXPECT_EQ(c.treeherder.url, "https://th.example.org");
  EXPECT_EQ(c.branches[0].ci_source, "buildbot");
  EXPECT_EQ(c.branches[1].ci_source, "treeherder");
  std::string branch = "[[branches]]\nname = \"try\"\nrepo_url = \"r\"\n";
  EXPECT_EQ(
      parse_error(branch + "ci = \"jenkins\"\n"),
      "test.toml: branch 'try': ci 'jenkins' is not a CI source configured here (local): its pushes would never be "
      "tested");
  EXPECT_EQ(
      parse_error(branch + "ci = \"buildbot\"\n"),
      "test.toml: branch 'try': ci 'buildbot' is not a CI source configured here (local): its pushes would never be "
      "tested");
  EXPECT_EQ(parse_error("[ci.treeherder]\nurl = \"https://th\"\n" + branch + "ci = \"treeherder\"\n"),
            "test.toml: branch 'try': takes its results from Treeherder, which autoland cannot ask to rerun jobs: set "
            "max_retriggers = 0 (an orange job then fails the run; a rerun a sheriff starts counts)");
}

TEST(Config, SecretsFromEnvironmentOrFile) {
  Config inline_key = parse_ok("[bugzilla]\napi_key = \"inline\"\n");
  EXPECT_EQ(inline_key.bugzilla.api_key, "inline");

  Config from_env = parse_ok("[bugzilla]\napi_key_env = \"MY_KEY\"\n", {{"MY_KEY", "from-env"}});
  EXPECT_EQ(from_env.bugzilla.api_key, "from-env");
  EXPECT_EQ(parse_error("[bugzilla]\napi_key_env = \"MISSING\"\n"),
            "test.toml: bugzilla.api_key_env names environment variable MISSING, which is not set");

  std::string path = ::testing::TempDir() + "/autoland-key";
  std::ofstream(path) << "from-file\n";
  Config from_file = parse_ok("[bugzilla]\napi_key_file = \"" + path + "\"\n");
  EXPECT_EQ(from_file.bugzilla.api_key, "from-file");
  std::remove(path.c_str());
  EXPECT_NE(parse_error("[bugzilla]\napi_key_file = \"/nonexistent/key\"\n").find("cannot read '/nonexistent/key'"),
            std::string::npos);

  // The standard override variable wins over everything in the file.
  Config overridden = parse_ok("[bugzilla]\napi_key = \"inline\"\n", {{"AUTOLAND_BUGZILLA_API_KEY", "env-wins"}});
  EXPECT_EQ(overridden.bugzilla.api_key, "env-wins");
}

TEST(Config, EnvironmentOverridesAreTyped) {
  EXPECT_EQ(parse_ok("", {{"AUTOLAND_STORE_URL", "sqlite://x.db"}}).store_url, "sqlite://x.db");
  EXPECT_EQ(parse_error("", {{"AUTOLAND_BUGZILLA_TIMEOUT_SECONDS", "soon"}}),
            "environment variable AUTOLAND_BUGZILLA_TIMEOUT_SECONDS must be a whole number between 1 and 3600");
}

TEST(Config, DescribeNeverShowsSecrets) {
  Config c = parse_ok("[bugzilla]\napi_key = \"s3cr3t-value\"\n");
  std::string text = describe(c);
  EXPECT_EQ(text.find("s3cr3t-value"), std::string::npos);
  EXPECT_NE(text.find("bugzilla.api_key = (set)"), std::string::npos);
}

TEST(Config, DescribeHidesCredentialsInUrls) {
  Config c = parse_ok(
      "[store]\nurl = \"sqlite://x.db\"\n[bugzilla]\nurl = \"https://bot:hunter2@bz.example/?api_key=k3y\"\n"
      "[[branches]]\nname = \"try\"\nrepo_url = \"https://u:t0ken@hg.example/try\"\n");
  std::string text = describe(c);
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_EQ(text.find("k3y"), std::string::npos);
  EXPECT_EQ(text.find("t0ken"), std::string::npos);
  EXPECT_NE(text.find("https://REDACTED@bz.example/?api_key=REDACTED"), std::string::npos);
}

TEST(Config, ArrayKeyNamesAreNotKeys) {
  EXPECT_EQ(parse_error("\"branches[].name\" = \"ghost\"\n"), "test.toml: unknown key 'branches[].name' at line 1");
  EXPECT_EQ(parse_error("[\"branches[]\"]\nname = \"ghost\"\n"), "test.toml: unknown key 'branches[].name' at line 2");
}

TEST(Config, IntegerRanges) {
  EXPECT_EQ(parse_error("[patches]\nmax_size_bytes = -1\n"),
            "test.toml: key 'patches.max_size_bytes' at line 2 must be between 1 and 1073741824");
  EXPECT_EQ(parse_error("[bugzilla]\ntimeout_seconds = 4294967297\n"),
            "test.toml: key 'bugzilla.timeout_seconds' at line 2 must be between 1 and 3600");
  EXPECT_EQ(parse_error("[queue]\ngrace_period_seconds = -100\n"),
            "test.toml: key 'queue.grace_period_seconds' at line 2 must be between 0 and 86400");
  EXPECT_EQ(parse_error("[[branches]]\nname = \"t\"\nrepo_url = \"r\"\nrequired_level = 4\n"),
            "test.toml: key 'branches[].required_level' at line 4 must be between 1 and 3");
}

TEST(Config, EveryKeyIsDocumented) {
  std::string doc = autoland::testing::read_data("../../docs/config.md");
  ASSERT_FALSE(doc.empty());
  for (const ConfigKey& k : config_keys()) {
    EXPECT_NE(doc.find("`" + std::string(k.path) + "`"), std::string::npos) << k.path << " missing in docs/config.md";
  }
}

}  // namespace
}  // namespace autoland

namespace autoland {
namespace {

// The local CI watches where a branch's pushes go: a try branch's pull_url
// is the trunk, which never has them (it waited out the results timeout).
TEST(LocalCiRepository, WherePushesGoWhenThatIsHere) {
  Branch try_branch{.name = "try", .repo_url = "/srv/try", .pull_url = "/srv/central"};
  EXPECT_EQ(*local_ci_repository(try_branch), "/srv/try");
  Branch mirrored{.name = "central", .repo_url = "ssh://hg.example.org/central", .pull_url = "/srv/central-mirror"};
  EXPECT_EQ(*local_ci_repository(mirrored), "/srv/central-mirror");
  Branch remote{.name = "x", .repo_url = "https://bot:hunter2@hg.example.org/x"};
  auto refused = local_ci_repository(remote);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "the local CI runs jobs for branch x only from a repository on this machine; "
            "its URL is https://REDACTED@hg.example.org/x");
}

}  // namespace
}  // namespace autoland

namespace autoland {
namespace {

// Hardening issue, item 16: what `config check` used to accept.
TEST(ConfigChecks, WhatConfigCheckUsedToAccept) {
  auto error = [](const std::string& toml) {
    auto c = parse_config(toml, "t.toml", [](const std::string&) { return std::optional<std::string>(); });
    return c.ok() ? std::string() : c.error().message;
  };
  const std::string hash(64, 'a');
  EXPECT_EQ(error("[[api.tokens]]\nname = \"a\"\nrole = \"reader\"\nsha256 = \"" + hash +
                  "\"\n[[api.tokens]]\nname = \"b\"\nrole = \"admin\"\nsha256 = \"" + hash + "\"\n"),
            "t.toml: api tokens 'a' and 'b' have the same sha256");
  EXPECT_EQ(error("[api]\nlisten = \"nonsense\"\n"),
            "t.toml: api.listen: 'nonsense' is not HOST:PORT (e.g. 127.0.0.1:8080)");
  EXPECT_EQ(error("[api]\nlisten = \"127.0.0.1:99999\"\n"),
            "t.toml: api.listen: '127.0.0.1:99999': the port must be 0 to 65535");
  EXPECT_EQ(error("[api]\nlisten = \"example.org:80\"\n"),
            "t.toml: api.listen: 'example.org:80': the host must be an IPv4 address or localhost");
  EXPECT_EQ(error("[api]\nlisten = \"localhost:0\"\n"), "");
  // A pretest cycle: neither is a try branch.
  EXPECT_NE(error("[[branches]]\nname = \"a\"\nrepo_url = \"/a\"\npretest_branch = \"b\"\n[[branches]]\nname = "
                  "\"b\"\nrepo_url = \"/b\"\npretest_branch = \"a\"\n")
                .find("is not a try branch"),
            std::string::npos);
  // An api_key_file that is a folder, or a device that never ends.
  std::string dir = ::testing::TempDir();
  EXPECT_NE(error("[bugzilla]\nurl = \"http://b\"\napi_key_file = \"" + dir + "\"\n").find("is not a regular file"),
            std::string::npos);
  EXPECT_NE(error("[bugzilla]\nurl = \"http://b\"\napi_key_file = \"/dev/zero\"\n").find("is not a regular file"),
            std::string::npos);
  auto zero = load_config("/dev/zero", [](const std::string&) { return std::optional<std::string>(); });
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().message, "config: '/dev/zero' is not a regular file");
}

// A lease shorter than a post lets a second poster take over a post still in
// flight: the comment goes out twice (issue 14, item 5c).
TEST(ConfigChecks, ACommentLeaseMustOutlastThePost) {
  auto error = [](const std::string& toml) {
    auto c = parse_config(toml, "t.toml", [](const std::string&) { return std::optional<std::string>(); });
    return c.ok() ? std::string() : c.error().message;
  };
  EXPECT_EQ(error("[bugzilla]\ntimeout_seconds = 60\n[commenter]\nlease_seconds = 30\n"),
            "t.toml: commenter.lease_seconds (30) must be at least 5 s longer than the slowest comment post "
            "(bugzilla.timeout_seconds = 60): a second poster would take over a post still in flight and the "
            "comment would go out twice");
  EXPECT_NE(error("[bugzilla]\ntimeout_seconds = 26\n[commenter]\nlease_seconds = 30\n"), "");
  EXPECT_EQ(error("[bugzilla]\ntimeout_seconds = 25\n[commenter]\nlease_seconds = 30\n"), "");
  EXPECT_EQ(error(""), "");  // the defaults: 300 s against 30 s
}

TEST(ConfigChecks, UnknownAutolandVariablesAreNamed) {
  EXPECT_TRUE(check_autoland_variables({"PATH", "AUTOLAND_BUGZILLA_URL", "AUTOLAND_TOKEN", "AUTOLAND_URL"}).ok());
  auto typo = check_autoland_variables({"HOME", "AUTOLAND_BUGZILLA_APIKEY"});
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().message.rfind("environment variable AUTOLAND_BUGZILLA_APIKEY is not one autoland reads", 0),
            0u);
}

// The config reaches the same answers (the API's are in api_test).
TEST(Config, BranchesGetTheSameAnswersAsFromCoresBranchRules) {
  auto error = [](const std::string& toml) {
    auto c = parse_config(toml, "t.toml", [](const std::string&) { return std::optional<std::string>(); });
    return c.ok() ? std::string() : c.error().message;
  };
  EXPECT_EQ(error("[[branches]]\nname = \"-rf\"\nrepo_url = \"/r\"\n"),
            "t.toml: branch name '-rf' may not start with '.' or '-'");
  EXPECT_EQ(error("[[branches]]\nname = \"try.lock\"\nrepo_url = \"/r\"\n"),
            "t.toml: branch name 'try.lock' may not end in '.lock' (autoland's lock files are named so)");
  EXPECT_EQ(error("[[branches]]\nname = \"b\"\nrepo_url = \"/r\"\nrequired_level = 1\n[[branches]]\nname = \"c\"\n"
                  "repo_url = \"/c\"\npretest_branch = \"d\"\n[[branches]]\nname = \"d\"\nrepo_url = \"/d\"\n"
                  "pretest_branch = \"b\"\n"),
            "t.toml: branch 'c': pretest branch 'd' is not a try branch (it has a pretest branch of its own, or needs "
            "level 2 or more)");
}

// Every field of a Config as "name=value" lines, secrets included: the
// test's own oracle for "the same Config" (describe() is a summary).
std::string every_field(const Config& c) {
  std::ostringstream o;
  auto f = [&](const std::string& name, const auto& value) { o << name << "=" << value << "\n"; };
  f("store", c.store_url);
  f("log", c.log_level);
  f("bz.url", c.bugzilla.url);
  f("bz.key", c.bugzilla.api_key);
  f("bz.auth", c.bugzilla.auth);
  f("bz.ca", c.bugzilla.ca_file);
  f("bz.timeout", c.bugzilla.timeout_seconds);
  f("bz.bot", c.bugzilla.bot_login);
  f("patch_max", c.patch_max_bytes);
  f("grace", c.grace_period_seconds);
  f("self_review", c.allow_self_review);
  f("per_bug", c.max_requests_per_bug);
  f("per_requester", c.max_requests_per_requester);
  f("checkin_needed", c.checkin_needed_branch);
  f("vcs.cache", c.vcs_cache_dir);
  f("vcs.races", c.vcs_max_race_retries);
  f("results", c.results_interval_seconds);
  f("run.trigger", c.run_trigger_interval_seconds);
  f("run.queue", c.run_queue_interval_seconds);
  f("run.commenter", c.run_commenter_interval_seconds);
  f("lease", c.commenter_lease_seconds);
  f("ci.state", c.local_ci.state_dir);
  f("ci.workers", c.local_ci.workers);
  for (const LocalCiJobConfig& j : c.local_ci.jobs) {
    f("job", j.branch + "|" + j.name + "|" + join_list(j.command) + "|" + std::to_string(j.timeout_seconds) + "|" +
                 (j.build ? "build" : "test"));
  }
  f("bb.url", c.buildbot.url);
  f("bb.timeout", c.buildbot.timeout_seconds);
  f("th.url", c.treeherder.url);
  f("th.timeout", c.treeherder.timeout_seconds);
  f("ldap.url", c.ldap.url);
  f("ldap.dn", c.ldap.bind_dn);
  f("ldap.password", c.ldap.bind_password);
  f("ldap.base", c.ldap.people_base);
  f("ldap.email", c.ldap.email_attribute);
  f("ldap.fallback", c.ldap.fallback_attribute);
  for (const std::string& g : c.ldap.level_groups) f("ldap.group", g);
  f("ldap.member", c.ldap.member_attribute);
  f("ldap.member_value", c.ldap.member_value_attribute);
  f("ldap.timeout", c.ldap.timeout_seconds);
  f("ldap.cache", c.ldap.cache_seconds);
  f("directory", c.directory_file);
  f("trees.url", c.tree_status_url);
  f("trees.cache", c.tree_status_cache_seconds);
  f("api.listen", c.api.listen);
  f("api.open_reads", c.api.open_reads);
  f("api.body", c.api.max_body_bytes);
  f("api.header_timeout", c.api.header_timeout_seconds);
  f("api.body_timeout", c.api.body_timeout_seconds);
  f("api.connections", c.api.max_connections);
  f("api.per_client", c.api.max_connections_per_client);
  for (const ApiTokenConfig& t : c.api.tokens) f("token", t.name + "|" + t.role + "|" + t.sha256);
  for (const Branch& b : c.branches) {
    f("branch", b.name + "|" + b.repo_url + "|" + b.pull_url + "|" + std::string(to_string(b.vcs)) + "|" +
                    std::to_string(b.threshold) + "|" + std::to_string(b.required_level) + "|" + b.pretest_branch +
                    "|" + b.default_try_syntax + "|" + (b.try_syntax_in_tip ? "tip" : "commit") + "|" + b.ci_source +
                    "|" + std::to_string(b.max_retriggers) + "|" + std::to_string(b.results_timeout_minutes) + "|" +
                    std::string(to_string(b.status)) + "|" + std::string(to_string(b.tree)));
  }
  return o.str();
}

// What to_toml writes, parse_config reads back as the same Config: every key
// (the sandbox writes its config this way for its `autoland run` children).
TEST(ConfigWriter, EveryKeyComesBackAsItWasWritten) {
  Config c = parse_ok("");
  c.source = "written.toml";
  c.store_url = "sqlite:///var/lib/autoland/a \"quoted\".db";
  c.log_level = "warn";
  c.bugzilla = {"https://bugzilla.example.org", "s3cr\\et\nkey", "query", "/etc/ca.pem", 12, "bot@example.org"};
  c.patch_max_bytes = 1234567;
  c.grace_period_seconds = 7;
  c.allow_self_review = true;
  c.max_requests_per_bug = 3;
  c.max_requests_per_requester = 9;
  c.checkin_needed_branch = "central";
  c.vcs_cache_dir = "/cache";
  c.vcs_max_race_retries = 5;
  c.results_interval_seconds = 11;
  c.run_trigger_interval_seconds = 13;
  c.run_queue_interval_seconds = 2;
  c.run_commenter_interval_seconds = 4;
  c.commenter_lease_seconds = 600;
  c.local_ci = {"/ci", 3, {{"try", "tests", {"sh", "-c", "test ! -f 'FAIL \"x\"'"}, 90, true}}};
  c.buildbot = {"http://127.0.0.1:8010", 17};
  c.treeherder = {"https://treeherder.example.org", 19};
  c.ldap.url = "ldap://127.0.0.1:389";
  c.ldap.bind_dn = "cn=autoland,dc=example,dc=org";
  c.ldap.bind_password = "pa$$word";
  c.ldap.people_base = "ou=people,dc=example,dc=org";
  c.ldap.email_attribute = "bz";
  c.ldap.fallback_attribute = "mail2";
  c.ldap.level_groups[0] = "cn=l1";
  c.ldap.level_groups[1] = "cn=l2";
  c.ldap.level_groups[2] = "cn=l3";
  c.ldap.member_attribute = "member";
  c.ldap.member_value_attribute = "dn";
  c.ldap.timeout_seconds = 3;
  c.ldap.cache_seconds = 8;
  c.directory_file = "/people.json";
  c.tree_status_url = "https://treestatus.example.org";
  c.tree_status_cache_seconds = 21;
  c.api = {"127.0.0.1:8080", true, 4096, 5, 6, 70, 8, {{"sam", "sheriff", std::string(64, 'a')}}};
  Branch t;
  t.name = "try";
  t.repo_url = "/r/try";
  t.required_level = 1;
  t.threshold = 4;
  t.default_try_syntax = "try: -b do -p linux64";
  t.try_syntax_in_tip = true;
  Branch m;
  m.name = "central";
  m.repo_url = "ssh://hg.example.org/central";
  m.pull_url = "https://hg.example.org/central";
  m.vcs = Vcs::git;
  m.pretest_branch = "try";
  m.ci_source = "buildbot";
  m.max_retriggers = 1;
  m.results_timeout_minutes = 90;
  m.status = BranchStatus::disabled;
  m.tree = TreeStatus::approval_required;
  c.branches = {t, m};

  const std::string text = to_toml(c);
  auto back = parse_config(text, "written.toml", env_of({}));
  ASSERT_TRUE(back.ok()) << back.error().message << "\n" << text;
  EXPECT_EQ(every_field(*back), every_field(c)) << text;
  // Every key of the table is written (a key added to the table and not to
  // the writer fails here).
  for (const ConfigKey& k : config_keys()) {
    std::string path(k.path);
    std::string leaf = path.substr(path.rfind('.') + 1);
    EXPECT_NE(text.find(leaf + " = "), std::string::npos) << path << " is not written:\n" << text;
  }
  // And the defaults come back as the defaults.
  Config defaults = parse_ok("");
  defaults.source = "d.toml";
  auto plain = parse_config(to_toml(defaults), "d.toml", env_of({}));
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(every_field(*plain), every_field(defaults));
}

}  // namespace
}  // namespace autoland
