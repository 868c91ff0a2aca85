// The LDAP directory against a real slapd (sandbox/ldap: an mdb database, a
// schema with bugzillaEmail, groups scm_level_1..3 with memberUid, people at
// levels 0 to 3). If slapd cannot start the tests fail.
#include "adapters/directory/ldap/ldap_directory.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "adapters/process/subprocess.h"
#include "sandbox/ldap/throwaway_slapd.h"
#include "tests/support/test_support.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;

class RealSlapd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::path(::testing::TempDir()) / ("slapd-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    port_ = testing::free_port();
    auto started = sandbox::ThrowawaySlapd::start(dir_.string(), port_,
                                                  {{"nobody@example.org", "nobody@example.org", 0},
                                                   {"l1@example.org", "try-user@example.org", 1},
                                                   {"l2@example.org", "l2@example.org", 2},
                                                   {"dev@example.org", "dev@example.org", 3},
                                                   {"rita@example.org", "", 3}});
    started_ = started.ok();
    output_ = started.ok() ? "" : started.error().message;
    if (started.ok()) slapd_ = std::move(*started);
  }
  static void TearDownTestSuite() {
    stop();
    fs::remove_all(dir_);
  }
  static void stop() { slapd_.reset(); }
  void SetUp() override { ASSERT_TRUE(started_) << "slapd did not start:\n" << output_; }

  static LdapOptions options() {
    LdapOptions o;
    o.url = "ldap://127.0.0.1:" + std::to_string(port_) + "/";
    o.bind_dn = "cn=autoland,dc=mozilla";
    o.bind_password = "secret";
    o.people_base = "ou=people,dc=mozilla";
    o.level_groups = {"cn=scm_level_1,ou=groups,dc=mozilla", "cn=scm_level_2,ou=groups,dc=mozilla",
                      "cn=scm_level_3,ou=groups,dc=mozilla"};
    o.timeout_seconds = 3;
    return o;
  }
  static int level_of(LdapDirectory& d, const std::string& email) {
    auto p = d.find_by_bugzilla_email(email);
    EXPECT_TRUE(p.ok()) << email << ": " << p.error().message;
    return p.ok() ? p->level : -1;
  }

  static inline fs::path dir_;
  static inline int port_ = 0;
  static inline std::unique_ptr<sandbox::ThrowawaySlapd> slapd_;
  static inline bool started_ = false;
  static inline std::string output_;
};

TEST_F(RealSlapd, LevelsZeroToThreeFromGroupMembership) {
  LdapDirectory d(options());
  EXPECT_EQ(level_of(d, "nobody@example.org"), 0);
  EXPECT_EQ(level_of(d, "try-user@example.org"), 1);  // bugzillaEmail differs from the LDAP mail
  EXPECT_EQ(level_of(d, "l2@example.org"), 2);
  EXPECT_EQ(level_of(d, "DEV@example.org"), 3);  // emails match whatever their case
  auto p = d.find_by_bugzilla_email("try-user@example.org");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->account, "l1@example.org");
  EXPECT_EQ(p->bugzilla_email, "try-user@example.org");
}

TEST_F(RealSlapd, MailIsTheFallbackOnlyWhenNoOtherBugzillaEmailIsRecorded) {
  LdapDirectory d(options());
  EXPECT_EQ(level_of(d, "rita@example.org"), 3);  // no bugzillaEmail: found by mail
  // l1's LDAP mail, but l1's Bugzilla account is try-user@: not a match.
  auto other = d.find_by_bugzilla_email("l1@example.org");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().kind, ErrorKind::not_found);
  auto unknown = d.find_by_bugzilla_email("stranger@example.org");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::not_found);
  // Not an email at all: nobody has it (an answer the queue can act on, not a fault).
  for (std::string odd : {"", "no-at-sign"}) {
    auto none = d.find_by_bugzilla_email(odd);
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().kind, ErrorKind::not_found) << "'" << odd << "'";
  }
}

TEST_F(RealSlapd, FilterCharactersAreEscapedNotInterpreted) {
  LdapDirectory d(options());
  for (std::string hostile : {"*@example.org", "dev@example.org)(mail=*", "*)(|(mail=*"}) {
    auto p = d.find_by_bugzilla_email(hostile);
    ASSERT_FALSE(p.ok()) << hostile << " matched " << p->account;
    EXPECT_NE(p.error().kind, ErrorKind::transient) << p.error().message;
  }
  EXPECT_EQ(escape_ldap_filter("a*b(c)d\\e"), "a\\2ab\\28c\\29d\\5ce");
}

TEST_F(RealSlapd, AWrongPasswordIsDeniedAndNotTakenForAnOutage) {
  LdapOptions o = options();
  o.bind_password = "wrong";
  LdapDirectory d(o);
  auto p = d.find_by_bugzilla_email("dev@example.org");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::denied);
  EXPECT_EQ(p.error().message.find("wrong"), std::string::npos) << "the password must never be in a message";
}

// Run alone under ThreadSanitizer (scripts/run-tsan.sh) it is the process's
// first use of libldap, whose first-use set-up is not thread-safe.
TEST_F(RealSlapd, TheFirstLookUpsMayComeFromManyThreadsAtOnce) {
  LdapOptions o = options();
  o.cache_seconds = 0;
  LdapDirectory d(o);
  const std::vector<std::pair<std::string, int>> people = {
      {"nobody@example.org", 0}, {"try-user@example.org", 1}, {"l2@example.org", 2}, {"dev@example.org", 3}};
  std::vector<int> levels(8, -1);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < levels.size(); ++i) {
    threads.emplace_back([&, i] {
      auto p = d.find_by_bugzilla_email(people[i % people.size()].first);
      if (p.ok()) levels[i] = p->level;
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < levels.size(); ++i) EXPECT_EQ(levels[i], people[i % people.size()].second) << i;
}

TEST_F(RealSlapd, ADownServerIsTransientAndCachedAnswersCarryOn) {
  LdapDirectory cached(options());
  EXPECT_EQ(level_of(cached, "dev@example.org"), 3);
  LdapOptions o = options();
  o.cache_seconds = 0;
  LdapDirectory uncached(o);
  stop();
  EXPECT_EQ(level_of(cached, "dev@example.org"), 3);  // within the cache time
  auto down = uncached.find_by_bugzilla_email("dev@example.org");
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().kind, ErrorKind::transient) << down.error().message;
  // Back up again for the other tests.
  SetUpTestSuite();
  ASSERT_TRUE(started_) << output_;
}

}  // namespace
}  // namespace autoland
