// Comment templates against golden files in tests/golden/. To accept a
// deliberate change: AUTOLAND_UPDATE_GOLDEN=1 ctest -R Comments, then review
// the diff.
#include "core/comments.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "test_data.h"

namespace autoland {
namespace {

void expect_golden(const std::string& name, const std::string& actual) {
  std::string path = autoland::testing::data_path("../golden/" + name + ".txt");
  if (std::getenv("AUTOLAND_UPDATE_GOLDEN")) {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path << " (run with AUTOLAND_UPDATE_GOLDEN=1)";
  std::string expected((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(actual, expected) << "golden file " << path;
}

CommentInput base(CommentKind kind) {
  CommentInput in;
  in.kind = kind;
  in.bug = 4242;
  in.patchset = 17;
  in.branch = "try";
  in.patches = {101, 102};
  in.revision = "a1b2c3d4e5f6";
  in.revision_url = "https://treeherder.example/#/jobs?repo=try&revision=a1b2c3d4e5f6";
  in.dedup_key = make_dedup_key(17, kind, "try-v3");
  return in;
}

VerdictReport red_report() {
  return judge({{"1", "build-linux64", JobResult::success, "", ""},
                {"2", "mochitest-3", JobResult::testfailed, "", "https://ci.example/log/2"},
                {"3", "mochitest-3", JobResult::success, "", ""},
                {"4", "build-win64", JobResult::busted, "https://ci.example/job/4", ""},
                {"5", "xpcshell", JobResult::testfailed, "", "https://ci.example/log/5"}},
               2);
}

TEST(Comments, TryResultsGreen) {
  CommentInput in = base(CommentKind::try_results);
  in.report = judge({{"1", "build", JobResult::success, "", ""},
                     {"2", "m1", JobResult::testfailed, "", ""},
                     {"3", "m1", JobResult::success, "", ""}},
                    2);
  expect_golden("try_results_green", render_comment(in));
}

TEST(Comments, TryResultsRed) {
  CommentInput in = base(CommentKind::try_results);
  in.report = red_report();
  expect_golden("try_results_red", render_comment(in));
}

// Issue 14, item 6: jobs the CI killed on every rerun are no verdict on the
// patch, and the comment says so instead of "Nothing will land; fix ...".
TEST(Comments, CiTroubleIsNotBlamedOnThePatch) {
  CommentInput in = base(CommentKind::ci_trouble);
  in.report = judge({{"1", "build", JobResult::success, "", ""},
                     {"2", "mochitest", JobResult::exception, "", ""},
                     {"3", "mochitest", JobResult::exception, "", ""}},
                    1);
  ASSERT_EQ(in.report->verdict, Verdict::infrastructure);
  std::string text = render_comment(in);
  EXPECT_EQ(text.find("fix the failures"), std::string::npos);
  expect_golden("ci_trouble", text);
}

// The outbox key of a whiteboard edit: one grammar, for the transition
// service and the store's delete alike.
TEST(Comments, MarkerActionKeys) {
  EXPECT_EQ(make_marker_action_key(42, kReleaseMarkerAction, "v3"), "ps42/release_marker/v3");
  EXPECT_EQ(make_marker_action_key(7, kReleaseMarkerAction, "deleted"), "ps7/release_marker/deleted");
}

TEST(Comments, Landed) {
  CommentInput in = base(CommentKind::landed);
  in.branch = "mozilla-central";
  in.report = judge({{"1", "build", JobResult::success, "", ""}}, 2);
  expect_golden("landed", render_comment(in));
}

TEST(Comments, StepFailed) {
  CommentInput in = base(CommentKind::push_failed);
  in.step = "apply";
  in.reason = "attachment 102 does not apply: hunk 2 of widget/frob.cpp failed";
  std::string text = render_comment(in);
  EXPECT_NE(text.find("Step apply failed (attachment 102 does not apply"), std::string::npos);
  expect_golden("push_failed", text);
}

TEST(Comments, Rejected) {
  CommentInput in = base(CommentKind::rejected);
  in.branch = "mozilla-central";
  in.problems = {"attachment 101: the summary names no reviewer (r=NAME)",
                 "attachment 102 has no review+ from a level 3 reviewer"};
  expect_golden("rejected", render_comment(in));
}

TEST(Comments, CancelledTimedOutBackout) {
  CommentInput cancelled = base(CommentKind::cancelled);
  cancelled.actor = "sheriff:philor";
  cancelled.reason = "tree on fire";
  expect_golden("cancelled", render_comment(cancelled));

  CommentInput builds = base(CommentKind::builds_cancelled);
  expect_golden("builds_cancelled", render_comment(builds));

  CommentInput timeout = base(CommentKind::timed_out);
  timeout.timeout_minutes = 360;
  expect_golden("timed_out", render_comment(timeout));

  CommentInput backout = base(CommentKind::backed_out);
  backout.branch = "mozilla-central";
  backout.reason = "build bustage on win64";
  backout.backout_revision = "0f0f0f0f0f0f";
  backout.report = red_report();
  expect_golden("backed_out", render_comment(backout));

  CommentInput failed = base(CommentKind::backout_failed);
  failed.branch = "mozilla-central";
  failed.reason = "trunk went red";
  expect_golden("backout_failed", render_comment(failed));

  CommentInput refused = base(CommentKind::refused);
  refused.step = "patches";
  refused.request = "[autoland-try:12:99]";
  refused.reason = "attachment 99 is not on bug 4242";
  expect_golden("refused", render_comment(refused));

  CommentInput forced = base(CommentKind::forced);
  forced.actor = "sheriff:philor";
  forced.report = red_report();
  expect_golden("forced", render_comment(forced));
}

TEST(Comments, EveryCommentEndsWithItsMarker) {
  for (CommentKind k :
       {CommentKind::try_results, CommentKind::landed, CommentKind::push_failed, CommentKind::rejected,
        CommentKind::cancelled, CommentKind::builds_cancelled, CommentKind::timed_out, CommentKind::backed_out,
        CommentKind::backout_failed, CommentKind::forced, CommentKind::refused}) {
    CommentInput in = base(k);
    std::string text = render_comment(in);
    EXPECT_EQ(find_dedup_marker(text), in.dedup_key) << to_string(k);
    EXPECT_EQ(find_dedup_marker(text + "\n\n"), in.dedup_key);
  }
}

TEST(Comments, MarkerOnlyCountsOnTheLastLine) {
  EXPECT_FALSE(find_dedup_marker("autoland-dedup: ps1/x\nthen a human wrote more").has_value());
  EXPECT_FALSE(find_dedup_marker("no marker at all").has_value());
  EXPECT_EQ(find_dedup_marker("Created attachment 5\nbody\r\nautoland-dedup: ps1/landed/x\r\n"), "ps1/landed/x");
}

TEST(Comments, LongFailureListsAreCut) {
  std::vector<JobRun> runs;
  for (int i = 0; i < 30; ++i)
    runs.push_back({std::to_string(i), "job-" + std::to_string(i), JobResult::busted, "", ""});
  CommentInput in = base(CommentKind::try_results);
  in.report = judge(runs, 0);
  std::string text = render_comment(in);
  EXPECT_NE(text.find("  ... and 10 more\n"), std::string::npos);
  EXPECT_EQ(text.find("job-25"), std::string::npos);
}

}  // namespace
}  // namespace autoland
