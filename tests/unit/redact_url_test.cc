// redact_url: whatever a URL holds of a secret (user:password, a key in its
// query) is hidden, also when the URL is malformed in the ways people write
// passwords, since those are the URLs that end up in error messages; and
// strip_url_credentials, which shows links to people, by the same rule.
#include <gtest/gtest.h>

#include "util/strings.h"

namespace autoland {
namespace {

TEST(RedactUrl, HidesCredentialsAndSecretParameters) {
  EXPECT_EQ(util::redact_url("amqp://autoland:s3cret@mq.example:5672/prod"), "amqp://REDACTED@mq.example:5672/prod");
  EXPECT_EQ(util::redact_url("https://bz.example/rest?api_key=abc&limit=5"),
            "https://bz.example/rest?api_key=REDACTED&limit=5");
  EXPECT_EQ(util::redact_url("postgresql://db.example/autoland"), "postgresql://db.example/autoland");
  EXPECT_EQ(util::redact_url("https://host:8443/path"), "https://host:8443/path");
}

TEST(RedactUrl, APasswordHoldingSlashQuestionMarkOrHashIsHiddenToo) {
  for (const char* url : {"amqp://u:pa/ss@mq.example/", "postgresql://u:pa?ss@db.example/autoland",
                          "amqps://u:pa#ss@mq.example:5671/", "postgres://u:p/a?s#s@db.example:5432/x"}) {
    const std::string shown = util::redact_url(url);
    EXPECT_EQ(shown.find("pa"), std::string::npos) << url << " -> " << shown;
    EXPECT_EQ(shown.find("ss"), std::string::npos) << url << " -> " << shown;
    EXPECT_NE(shown.find("REDACTED@"), std::string::npos) << url << " -> " << shown;
  }
}

// The same rule where links are shown to people (CI links on bugs): the
// credentials go whole, and a URL without any is left as it is.
TEST(StripUrlCredentials, TakesTheWholeUserinfoEvenWithSlashQuestionMarkOrHash) {
  EXPECT_EQ(util::strip_url_credentials("https://u:p@ci.example/builders"), "https://ci.example/builders");
  EXPECT_EQ(util::strip_url_credentials("https://u:pa/ss@ci.example/builders"), "https://ci.example/builders");
  EXPECT_EQ(util::strip_url_credentials("https://u:pa?ss@th.example/"), "https://th.example/");
  EXPECT_EQ(util::strip_url_credentials("https://u:pa#ss@th.example/"), "https://th.example/");
  EXPECT_EQ(util::strip_url_credentials("https://ci.example:8010/#/builders"), "https://ci.example:8010/#/builders");
}

}  // namespace
}  // namespace autoland
