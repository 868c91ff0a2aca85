#include "core/whiteboard.h"

#include <gtest/gtest.h>

namespace autoland {
namespace {

WhiteboardTag only_tag(std::string_view wb) {
  WhiteboardScan scan = scan_whiteboard(wb);
  EXPECT_TRUE(scan.errors.empty()) << (scan.errors.empty() ? "" : scan.errors[0].reason);
  EXPECT_EQ(scan.tags.size(), 1u);
  return scan.tags.empty() ? WhiteboardTag{} : scan.tags[0];
}

std::string only_error(std::string_view wb) {
  WhiteboardScan scan = scan_whiteboard(wb);
  EXPECT_TRUE(scan.tags.empty());
  EXPECT_EQ(scan.errors.size(), 1u);
  return scan.errors.empty() ? "" : scan.errors[0].reason;
}

TEST(Whiteboard, PlainBranch) {
  WhiteboardTag t = only_tag("[autoland-try]");
  EXPECT_EQ(t.kind, WhiteboardTag::Kind::request);
  EXPECT_EQ(t.branches, std::vector<std::string>{"try"});
  EXPECT_TRUE(t.attachments.empty());
  EXPECT_FALSE(t.has_try_syntax);
  EXPECT_EQ(t.text, "[autoland-try]");
}

TEST(Whiteboard, IdsAfterColonsOrCommas) {
  EXPECT_EQ(only_tag("[autoland-try:12:34]").attachments, (std::vector<AttachmentId>{12, 34}));
  EXPECT_EQ(only_tag("[autoland-try:12,34]").attachments, (std::vector<AttachmentId>{12, 34}));
  EXPECT_EQ(only_tag("[autoland-try:34,12:56]").attachments, (std::vector<AttachmentId>{34, 12, 56}));
  EXPECT_EQ(only_tag("[autoland-try: 12 , 34 ]").attachments, (std::vector<AttachmentId>{12, 34}));
}

TEST(Whiteboard, TrySyntaxPart) {
  WhiteboardTag t = only_tag("[autoland-try:12:-b do -p linux]");
  EXPECT_EQ(t.attachments, std::vector<AttachmentId>{12});
  EXPECT_TRUE(t.has_try_syntax);
  EXPECT_EQ(t.try_syntax, "-b do -p linux");

  WhiteboardTag no_ids = only_tag("[autoland-try:-b o -p win64 -u all]");
  EXPECT_TRUE(no_ids.attachments.empty());
  EXPECT_EQ(no_ids.try_syntax, "-b o -p win64 -u all");
}

TEST(Whiteboard, TrySyntaxMayHoldBrackets) {
  WhiteboardTag t = only_tag("[autoland-try:5:-b do -u mochitest[linux,win]] trailing");
  EXPECT_EQ(t.try_syntax, "-b do -u mochitest[linux,win]");
  EXPECT_EQ(t.text, "[autoland-try:5:-b do -u mochitest[linux,win]]");
}

// Found by the fuzzer: an unclosed tag in try syntax counted brackets to the
// end of the text, swallowing the marker appended after it, so the marker was
// "added" and not there. A "[autoland" inside try syntax starts a new tag.
TEST(Whiteboard, AnUnclosedTagDoesNotSwallowTheTagsAfterIt) {
  std::string wb = "x [autoland-try:1:-b do -u mochit[";
  std::string with = with_in_queue_marker(wb);
  EXPECT_EQ(with, wb + " [autoland-in-queue]");
  WhiteboardScan scan = scan_whiteboard(with);
  ASSERT_EQ(scan.tags.size(), 1u);
  EXPECT_EQ(scan.tags[0].kind, WhiteboardTag::Kind::in_queue);
  ASSERT_EQ(scan.errors.size(), 1u);
  EXPECT_EQ(scan.errors[0].text, "[autoland-try:1:-b do -u mochit[ ");
  EXPECT_EQ(with_in_queue_marker(with), with);
  WhiteboardScan nested = scan_whiteboard("[autoland-try:-u a[AUTOLAND-beta]");
  ASSERT_EQ(nested.tags.size(), 1u);
  EXPECT_EQ(nested.tags[0].branches, std::vector<std::string>{"beta"});
  ASSERT_EQ(nested.errors.size(), 1u);
  EXPECT_EQ(nested.errors[0].text, "[autoland-try:-u a");
}

// Found by review: cutting a tag must never join the text around it into a
// tag nobody wrote (a request credited to whoever set the whiteboard
// first), nor into a marker; and an unclosed tag, whose text may run into
// the human's own words, is reported but never cut.
TEST(Whiteboard, ACutNeverJoinsTheTextAroundItIntoANewTag) {
  using M = WhiteboardEdit::Marker;
  for (const std::string wb : {"[autoland[autoland-nosuch]-mozilla-central]", "[AUTOLAND[autoland-x]-try]"}) {
    WhiteboardScan before = scan_whiteboard(wb);
    ASSERT_EQ(before.tags.size(), 1u) << wb;
    std::string out = rewrite_whiteboard(wb, {.remove = {before.tags[0].text}});
    WhiteboardScan after = scan_whiteboard(out);
    EXPECT_TRUE(after.tags.empty()) << wb << " -> " << out;
    EXPECT_TRUE(after.errors.empty()) << wb << " -> " << out;
  }
  // Replaced by the marker, then the marker released: no request appears either.
  std::string queued = rewrite_whiteboard("[autoland[autoland-try]-mozilla-central]",
                                          {.remove = {"[autoland-try]"}, .marker = M::replace_request});
  std::string released = without_in_queue_marker(queued);
  EXPECT_TRUE(scan_whiteboard(released).tags.empty()) << queued << " -> " << released;
  // Taking the marker off does not join its neighbours into a request.
  std::string unmarked = without_in_queue_marker("[autoland [autoland-in-queue]-try]");
  EXPECT_TRUE(scan_whiteboard(unmarked).tags.empty()) << unmarked;
  // A broken tag's cut does not make a marker.
  std::string no_marker = rewrite_whiteboard("[autoland[autoland-x:]-in-queue]", {.remove = {"[autoland-x:]"}});
  EXPECT_TRUE(scan_whiteboard(no_marker).tags.empty()) << no_marker;

  // Unclosed: refused by the trigger, never cut with the words after it.
  std::string wb = "[autoland-try:-b do -p all [sec-high] [qa+] note";
  WhiteboardScan scan = scan_whiteboard(wb);
  ASSERT_EQ(scan.errors.size(), 1u);
  EXPECT_TRUE(scan.errors[0].unclosed);
  EXPECT_EQ(rewrite_whiteboard(wb, {.remove = {scan.errors[0].text}}), wb);
  // "[autoland]" and "[autolanding" are not tags: they do not end one.
  WhiteboardTag t = only_tag("[autoland-try:-b do -u a[autoland]]");
  EXPECT_EQ(t.try_syntax, "-b do -u a[autoland]");
}

TEST(Whiteboard, SeveralDestinations) {
  WhiteboardTag t = only_tag("[autoland-try,mozilla-inbound]");
  EXPECT_EQ(t.branches, (std::vector<std::string>{"try", "mozilla-inbound"}));
  WhiteboardTag spaced = only_tag("[autoland-try, mozilla-inbound:7]");
  EXPECT_EQ(spaced.branches, (std::vector<std::string>{"try", "mozilla-inbound"}));
  EXPECT_EQ(spaced.attachments, std::vector<AttachmentId>{7});
}

TEST(Whiteboard, CaseInsensitiveAndLowercased) {
  WhiteboardTag t = only_tag("[AutoLand-Mozilla-Central:9]");
  EXPECT_EQ(t.branches, std::vector<std::string>{"mozilla-central"});
  EXPECT_EQ(t.text, "[AutoLand-Mozilla-Central:9]");
}

TEST(Whiteboard, InQueueMarker) {
  WhiteboardTag t = only_tag("[AUTOLAND-IN-QUEUE]");
  EXPECT_EQ(t.kind, WhiteboardTag::Kind::in_queue);
  EXPECT_EQ(only_error("[autoland-in-queue:12]"),
            "[autoland-in-queue] is autoland's own marker and takes no ids or try syntax");
  EXPECT_EQ(only_error("[autoland-try,in-queue]"), "'in-queue' is autoland's own marker, not a branch");
}

TEST(Whiteboard, SeveralTagsAndOtherText) {
  std::string wb = "[snappy:p1] [autoland-try:1] fixed-in-nightly [autoland-b2g.18_v1:2]";
  WhiteboardScan scan = scan_whiteboard(wb);
  ASSERT_EQ(scan.tags.size(), 2u);
  EXPECT_TRUE(scan.errors.empty());
  EXPECT_EQ(scan.tags[0].branches[0], "try");
  EXPECT_EQ(scan.tags[1].branches[0], "b2g.18_v1");
  EXPECT_EQ(scan.tags[1].offset, wb.find("[autoland-b2g"));
}

TEST(Whiteboard, BareAutolandAndLookalikesIgnored) {
  WhiteboardScan scan = scan_whiteboard("[autoland] [autolanding] [autoland ] autoland-try");
  EXPECT_TRUE(scan.tags.empty());
  EXPECT_TRUE(scan.errors.empty());
}

TEST(Whiteboard, MalformedTagsExplainThemselves) {
  EXPECT_EQ(only_error("[autoland-]"),
            "no branch after 'autoland-' (write it like [autoland-try] or [autoland-try:1234])");
  EXPECT_EQ(only_error("[autoland-try:abc]"),
            "'abc' is not an attachment id (use the number from the attachment's link)");
  EXPECT_EQ(only_error("[autoland-try:12:]"),
            "empty attachment id in '12:' (ids are separated by ':' or ',', like [autoland-try:12:34])");
  EXPECT_EQ(only_error("[autoland-try:12:12]"), "attachment 12 is listed twice");
  EXPECT_EQ(only_error("[autoland-try,try]"), "branch 'try' is named twice");
  EXPECT_EQ(only_error("[autoland-try:0]"), "'0' is not an attachment id (use the number from the attachment's link)");
  EXPECT_EQ(only_error("[autoland-tr y]"),
            "branch name 'tr y' must start with a letter or digit and hold only letters, digits, '.', '_' and '-'");
  EXPECT_EQ(only_error("[autoland--x]"),
            "branch name '-x' must start with a letter or digit and hold only letters, digits, '.', '_' and '-'");
  EXPECT_EQ(only_error("[autoland-try:12:-b maybe]"), "bad try syntax: -b takes d, o, do or od, not 'maybe'");
}

TEST(Whiteboard, UnclosedTags) {
  EXPECT_EQ(only_error("[autoland-try:12"), "tag '[autoland-try:12' is not closed: add ']' at its end");
  WhiteboardScan scan = scan_whiteboard("[autoland-try [autoland-mozilla-central]");
  ASSERT_EQ(scan.errors.size(), 1u);
  EXPECT_EQ(scan.errors[0].text, "[autoland-try ");
  ASSERT_EQ(scan.tags.size(), 1u);
  EXPECT_EQ(scan.tags[0].branches[0], "mozilla-central");
  EXPECT_EQ(only_error("[autoland-try:1:-b do -u x[linux"),
            "tag '[autoland-try:1:-b do -u x[linux' is not closed: add ']' at its end");
}

TEST(Whiteboard, NonAsciiAndVeryLongWhiteboards) {
  std::string wb = "Fixé ✓ ";
  wb += std::string(100000, 'x');
  wb += " [autoland-try:42]";
  WhiteboardScan scan = scan_whiteboard(wb);
  ASSERT_EQ(scan.tags.size(), 1u);
  EXPECT_EQ(scan.tags[0].attachments, std::vector<AttachmentId>{42});
  EXPECT_EQ(only_error("[autoland-tréy]").substr(0, 13), "branch name '");
}

TEST(Whiteboard, WindowsLineEndingsAroundTags) {
  WhiteboardScan scan = scan_whiteboard("[autoland-try:1]\r\n[autoland-central]\r\n");
  ASSERT_EQ(scan.tags.size(), 2u);
  EXPECT_TRUE(scan.errors.empty());
  EXPECT_EQ(only_error("[autoland-try:1\r\n]"), "tag '[autoland-try:1' is not closed: add ']' at its end");
}

TEST(Whiteboard, HugeIdIsRefused) {
  EXPECT_EQ(only_error("[autoland-try:2147483648]"),
            "'2147483648' is not an attachment id (use the number from the attachment's link)");
  EXPECT_EQ(only_tag("[autoland-try:2147483647]").attachments, std::vector<AttachmentId>{2147483647});
  EXPECT_EQ(only_error("[autoland-try:99999999999999999999999]"),
            "'99999999999999999999999' is not an attachment id (use the number from the attachment's link)");
}

TEST(Whiteboard, ARewriteTakesOffWhatItNamesAndKeepsEveryOtherByte) {
  std::string wb = "  [perf]  [autoland-try:1]\tnote [autoland-try:x] ";
  using M = WhiteboardEdit::Marker;
  EXPECT_EQ(rewrite_whiteboard(wb, {.remove = {"[autoland-try:1]"}, .marker = M::add}),
            "  [perf]  [autoland-in-queue]\tnote [autoland-try:x] ");
  EXPECT_EQ(rewrite_whiteboard(wb, {.remove = {"[autoland-try:1]", "[autoland-try:x]"}}), "  [perf]  \tnote  ");
  // A broken tag alone: the marker goes at the end, not in its place.
  EXPECT_EQ(rewrite_whiteboard(wb, {.remove = {"[autoland-try:x]"}, .marker = M::add}),
            "  [perf]  [autoland-try:1]\tnote  [autoland-in-queue]");
  // What a human took off meanwhile is skipped; only a text the scan found as a tag is cut.
  EXPECT_EQ(rewrite_whiteboard("[perf]", {.remove = {"[autoland-try:1]"}, .marker = M::add}),
            "[perf] [autoland-in-queue]");
  EXPECT_EQ(rewrite_whiteboard("[perf]", {.remove = {"[autoland-try:1]"}, .marker = M::replace_request}), "[perf]");
  EXPECT_EQ(rewrite_whiteboard(wb, {.remove = {"[autoland-try:1]"}, .marker = M::replace_request}),
            "  [perf]  [autoland-in-queue]\tnote [autoland-try:x] ");
  EXPECT_EQ(rewrite_whiteboard("[perf:autoland-try] [autoland-try]", {.remove = {"autoland-try]"}}),
            "[perf:autoland-try] [autoland-try]");
  // "[autoland-" inside try syntax starts a tag of its own (the outer one is
  // unclosed); cutting it would close the outer one into a request nobody
  // wrote, so nothing is cut. The marker in its place closes nothing.
  EXPECT_EQ(rewrite_whiteboard("[autoland-try:-b do -t [autoland-try]]", {.remove = {"[autoland-try]"}}),
            "[autoland-try:-b do -t [autoland-try]]");
  EXPECT_EQ(rewrite_whiteboard("[autoland-try:-b do -t [autoland-try]]",
                               {.remove = {"[autoland-try]"}, .marker = M::replace_request}),
            "[autoland-try:-b do -t [autoland-in-queue]]");  // in its place: the outer one stays unclosed
  // Two tags with the same text: each named once goes once, leftmost first.
  EXPECT_EQ(rewrite_whiteboard("[autoland-try] [autoland-try]", {.remove = {"[autoland-try]"}}), " [autoland-try]");
  // The marker there already is not added again, and removing takes every copy.
  EXPECT_EQ(rewrite_whiteboard("[autoland-in-queue] [autoland-try]", {.remove = {"[autoland-try]"}, .marker = M::add}),
            "[autoland-in-queue] ");
  EXPECT_EQ(without_in_queue_marker("[autoland-in-queue] x [AUTOLAND-IN-QUEUE]"), "x");
  EXPECT_EQ(without_in_queue_marker("[autoland-in-[autoland-in-queue]queue]"), "");
}

TEST(Whiteboard, FormatIsCanonicalAndRescans) {
  WhiteboardTag t = only_tag("[AutoLand-Try, Central : 3 , 4:-b do  -p linux]");
  std::string canonical = format_tag(t);
  EXPECT_EQ(canonical, "[autoland-try,central:3:4:-b do  -p linux]");
  WhiteboardTag again = only_tag(canonical);
  EXPECT_EQ(again.branches, t.branches);
  EXPECT_EQ(again.attachments, t.attachments);
  EXPECT_EQ(again.try_syntax, t.try_syntax);
}

}  // namespace
}  // namespace autoland

namespace autoland {
namespace {

// Releasing the marker undoes adding it: no space is left where it was
// ("[autoland-in-queue] [perf]" left " [perf]").
TEST(Whiteboard, TheMarkerGoesWithTheSpaceThatJoinedIt) {
  EXPECT_EQ(without_in_queue_marker("[autoland-in-queue] [perf]"), "[perf]");
  EXPECT_EQ(without_in_queue_marker("[perf] [autoland-in-queue]"), "[perf]");
  EXPECT_EQ(without_in_queue_marker("[a] [autoland-in-queue] [b]"), "[a] [b]");
  EXPECT_EQ(without_in_queue_marker("[a]  [autoland-in-queue]"), "[a] ");
  EXPECT_EQ(without_in_queue_marker("[autoland-in-queue]"), "");
  EXPECT_EQ(without_in_queue_marker("  [autoland-in-queue] "), "");
  EXPECT_EQ(without_in_queue_marker("[perf]"), "[perf]");
  EXPECT_EQ(with_in_queue_marker(""), "[autoland-in-queue]");
  EXPECT_EQ(with_in_queue_marker("[perf]"), "[perf] [autoland-in-queue]");
  EXPECT_EQ(with_in_queue_marker("[perf] "), "[perf] [autoland-in-queue]");
  EXPECT_EQ(with_in_queue_marker("[autoland-in-queue] x"), "[autoland-in-queue] x");
  // Typed by hand in another case, it is still the marker (scan_whiteboard reads tags so).
  EXPECT_EQ(with_in_queue_marker("[Autoland-In-Queue] x"), "[Autoland-In-Queue] x");
  EXPECT_EQ(without_in_queue_marker("[Autoland-In-Queue] x"), "x");
  for (std::string wb : {"", "[perf]", "[a] [b]", "x y"}) {
    EXPECT_EQ(without_in_queue_marker(with_in_queue_marker(wb)), wb) << wb;
  }
}

}  // namespace
}  // namespace autoland
