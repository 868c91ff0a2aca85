#include "core/try_syntax.h"

#include <gtest/gtest.h>

namespace autoland {
namespace {

TrySyntax parse_ok(std::string_view text) {
  auto r = parse_try_syntax(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : TrySyntax{};
}

std::string parse_error(std::string_view text) {
  auto r = parse_try_syntax(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error().message;
}

TEST(TrySyntax, ShortForms) {
  TrySyntax s = parse_ok("try: -b do -p all -u all -t none");
  EXPECT_EQ(s.build, "do");
  EXPECT_EQ(s.platforms, std::vector<std::string>{"all"});
  EXPECT_EQ(s.unittests, std::vector<std::string>{"all"});
  EXPECT_EQ(s.talos, std::vector<std::string>{"none"});
}

TEST(TrySyntax, LongFormsAndEquals) {
  TrySyntax s = parse_ok("try: --build o --platform=linux64,macosx64 --unittests mochitest-1 --talos=none");
  EXPECT_EQ(s.build, "o");
  EXPECT_EQ(s.platforms, (std::vector<std::string>{"linux64", "macosx64"}));
  EXPECT_EQ(s.unittests, std::vector<std::string>{"mochitest-1"});
  EXPECT_EQ(s.talos, std::vector<std::string>{"none"});
}

TEST(TrySyntax, AttachedShortValue) { EXPECT_EQ(parse_ok("-bdo -plinux").build, "do"); }

TEST(TrySyntax, FlagsAndNumbers) {
  TrySyntax s = parse_ok("TRY:  -b d   -n --no-retry --rebuild 3 --post-to-bug 123,456");
  EXPECT_TRUE(s.notify);
  EXPECT_TRUE(s.no_retry);
  EXPECT_EQ(s.rebuild, 3u);
  EXPECT_EQ(s.post_to_bugs, (std::vector<uint64_t>{123, 456}));
  EXPECT_TRUE(parse_ok("--notify").notify);
}

TEST(TrySyntax, PostToBugzillaAsAutolandWritesIt) {
  TrySyntax s = parse_ok("try: -b do -p all -n --post-to-bugzilla Bug 4242");
  EXPECT_EQ(s.post_to_bugs, std::vector<uint64_t>{4242});
  EXPECT_EQ(parse_ok("--post-to-bugzilla 77").post_to_bugs, std::vector<uint64_t>{77});
  EXPECT_EQ(parse_ok("--post-to-bugzilla Bug 5 --post-to-bug 6,5").post_to_bugs, (std::vector<uint64_t>{5, 6}));
  EXPECT_EQ(parse_error("--post-to-bug 2147483648"), "'2147483648' after --post-to-bug is not a bug number");
}

TEST(TrySyntax, QuotingAndSloppySpacing) {
  TrySyntax s = parse_ok("try: -b do -p 'linux64, win32' -u \"reftest,crashtest\"\t -t none\r\n");
  EXPECT_EQ(s.platforms, (std::vector<std::string>{"linux64", "win32"}));
  EXPECT_EQ(s.unittests, (std::vector<std::string>{"reftest", "crashtest"}));
  TrySyntax continued = parse_ok("-p linux64, win32 -u all");
  EXPECT_EQ(continued.platforms, (std::vector<std::string>{"linux64", "win32"}));
}

TEST(TrySyntax, Empty) {
  EXPECT_EQ(parse_ok(""), TrySyntax{});
  EXPECT_EQ(parse_ok("try:"), TrySyntax{});
}

TEST(TrySyntax, ErrorsNameTheWord) {
  EXPECT_EQ(parse_error("try: -b do --frobnicate"), "unknown try option '--frobnicate'");
  EXPECT_EQ(parse_error("try: -x"), "unknown try option '-x'");
  EXPECT_EQ(parse_error("try: -b do linux"), "unexpected 'linux' in try syntax (values go after an option such as -p)");
  EXPECT_EQ(parse_error("-b"), "try option -b needs a value");
  EXPECT_EQ(parse_error("-p -u all"), "try option -p needs a value");
  EXPECT_EQ(parse_error("-b x"), "-b takes d, o, do or od, not 'x'");
  EXPECT_EQ(parse_error("-b do -b o"), "try option -b is given twice");
  EXPECT_EQ(parse_error("-p 'linux"), "unclosed quote ' in try syntax");
  EXPECT_EQ(parse_error("-p linux,,win"), "empty name in the list 'linux,,win' after -p");
  EXPECT_EQ(parse_error("--post-to-bug abc"), "'abc' after --post-to-bug is not a bug number");
  EXPECT_EQ(parse_error("--rebuild 50"), "--rebuild takes a number from 1 to 20, not '50'");
  EXPECT_EQ(parse_error("-n=yes"), "try option -n takes no value (got '=yes')");
}

// Hardening issue, item 17 and a sibling of 15: names no platform, test or
// suite has, and a line break.
TEST(TrySyntax, NamesLikeNoRealOneAreRefused) {
  EXPECT_EQ(parse_error("try: -b do -p all -u all:123"),
            "'all:123' after -u is not a platform, test or suite name (they start with a letter or digit and hold "
            "letters, digits, '.', '_', '-' and '+'); an attachment id goes in the tag, before the try syntax: "
            "[autoland-try:ID]");
  for (std::string bad : {"-p linux:5", "-u 'a b'", "--platform=-weird", "-u x'\"'y", "-p linux[x64", "-p linux]x[",
                          "-u mochitest[a:b]", "-p lin/ux", "-b do\n-p all", "-p all\x01"}) {
    auto r = parse_try_syntax(bad);
    EXPECT_FALSE(r.ok()) << bad << " -> " << (r.ok() ? format_try_syntax(*r) : "");
  }
  TrySyntax s = parse_ok("-u 'mochitest-1[x64,Windows 10],xpcshell'");
  EXPECT_EQ(s.unittests, (std::vector<std::string>{"mochitest-1[x64,Windows 10]", "xpcshell"}));
}

TEST(TrySyntax, FormatRoundTrips) {
  for (std::string_view text : {
           "try: -b do -p all -u all -t none",
           "try: -b o -p linux64,win32 -u 'mochitest-1[x64,Windows 10]' -n --no-retry --rebuild 2 --post-to-bug 1,2",
           "try: -b do -p linux64-asan,android-api-16 -u web-platform-tests-e10s,reftest-2 -t g2+",
           "",
       }) {
    TrySyntax first = parse_ok(text);
    std::string formatted = format_try_syntax(first);
    TrySyntax second = parse_ok(formatted);
    EXPECT_EQ(first, second) << text << " -> " << formatted;
  }
  EXPECT_EQ(format_try_syntax(parse_ok("-b do -p all -u all -t none")), "try: -b do -p all -u all -t none");
}

TEST(TrySyntax, FoundInsideCommitMessages) {
  EXPECT_EQ(find_try_syntax("Bug 1 - Fix r=a\n\ntry: -b do -p linux\nmore text"), "try: -b do -p linux");
  EXPECT_EQ(find_try_syntax("try: -b o\r\n"), "try: -b o");
  EXPECT_EQ(find_try_syntax("Bug 1 - Test it try: -b d"), "try: -b d");
  EXPECT_FALSE(find_try_syntax("Bug 1 - Retry:me carefully").has_value());
  EXPECT_FALSE(find_try_syntax("Bug 1 - nothing here").has_value());
}

}  // namespace
}  // namespace autoland
