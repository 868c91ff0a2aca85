// Pipelined landings through the real queue and results poller on the
// fakes: several landings in flight on one trunk, one of them bad; only the
// bad one is backed out, the others stay and their bugs say why.
#include <gtest/gtest.h>

#include "adapters/store/sqlite/sqlite_store.h"
#include "services/queue/queue.h"
#include "services/results/results_poller.h"
#include "services/transitions.h"
#include "tests/fakes/fake_bug_tracker.h"
#include "tests/fakes/fake_directory.h"
#include "tests/fakes/fake_vcs.h"
#include "util/log.h"

namespace autoland {
namespace {

std::string exported(const std::string& summary, const std::string& file) {
  return "# HG changeset patch\n# User Dana Dev <dev@example.org>\n" + summary + "\n\ndiff --git a/" + file + " b/" +
         file + "\nnew file mode 100644\n--- /dev/null\n+++ b/" + file + "\n@@ -0,0 +1 @@\n+x\n";
}

// A trunk's CI: every push runs `jobs`; the test says how each run ends.
class TrunkCi : public CiResults {
 public:
  explicit TrunkCi(std::vector<std::string> jobs) : jobs_(std::move(jobs)) {}

  Result<std::vector<CiJob>> jobs(const std::string&, const std::string& revision) override {
    auto& list = runs_[revision];
    if (list.empty()) {
      for (const std::string& j : jobs_) add(revision, j);
    }
    return list;
  }
  Result<std::string> retrigger(const std::string&, const std::string& revision, const std::string& id) override {
    for (const CiJob& j : runs_[revision]) {
      if (j.id == id) return add(revision, j.name);
    }
    return not_found("no run " + id);
  }
  Result<std::string> run_job(const std::string&, const std::string& revision, const std::string& job) override {
    ran.push_back(job + "@" + revision.substr(0, 12));
    return add(revision, job);
  }
  Result<CiPushPage> pushes_since(const std::string&, const std::string&) override { return CiPushPage{}; }

  // Ends every unfinished run (but those `held`): a job fails where
  // `broken(job, revision)`, all else passes.
  using JobAt = std::function<bool(const std::string& job, const std::string& revision)>;
  void finish(const JobAt& broken, const JobAt& held = nullptr) {
    for (auto& [revision, list] : runs_) {
      for (CiJob& j : list) {
        if (j.state == JobState::completed || (held && held(j.name, revision))) continue;
        j.state = JobState::completed;
        j.result = broken(j.name, revision) ? JobResult::testfailed : JobResult::success;
      }
    }
  }
  std::vector<std::string> ran;

 private:
  std::string add(const std::string& revision, const std::string& job) {
    auto& list = runs_[revision];
    list.push_back({std::to_string(++next_id_), job, JobResult::pending, JobState::pending});
    return list.back().id;
  }
  std::vector<std::string> jobs_;
  std::map<std::string, std::vector<CiJob>> runs_;
  int next_id_ = 0;
};

class TrunkWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    util::set_log_level(util::LogLevel::off);
    auto s = open_sqlite_store({.path = ":memory:", .create = true}, clock_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    Branch inbound;
    inbound.name = "inbound";
    inbound.repo_url = "/r/inbound";
    inbound.required_level = 3;
    inbound.threshold = 3;
    inbound.landing_strategy = LandingStrategy::pipelined;
    ASSERT_TRUE(store_->create_branch(inbound, "t").ok());
    directory_.add("dev@example.org", 3);
    directory_.add("rita@example.org", 3);
    bugs_.add_user({2, "dev@example.org", "dev@example.org", "Dana Dev [:dana]"});
    vcs_.push_elsewhere("/r/inbound", "the tree as it was");
    QueueOptions q;
    q.validation_concurrency = 1;
    queue_ = std::make_unique<Queue>(
        *store_, bugs_, directory_, clock_, [this](const Branch&) { return &vcs_; }, q);
    ResultsOptions r;
    r.vcs_for = [this](const Branch&) { return &vcs_; };
    poller_ = std::make_unique<ResultsPoller>(
        *store_, clock_, [this](const std::string&) -> CiResults* { return &ci_; }, r);
  }

  PatchSet request(BugId bug) {
    bugs_.add_bug(bug, "dev@example.org", "[autoland-in-queue]");
    Attachment a;
    a.id = bug * 10;
    a.description = "the fix";
    a.is_patch = true;
    a.data = exported("Bug " + std::to_string(bug) + " - fix r=rita", "f" + std::to_string(bug));
    a.flags.push_back({1, "review", "+", "rita@example.org", ""});
    bugs_.add_attachment(bug, a);
    auto ps = store_->create_patchset({.bug_id = bug,
                                       .patches = {a.id},
                                       .branch = "inbound",
                                       .stage = Stage::landing,
                                       .requester = "dev@example.org",
                                       .request_key = "test/" + std::to_string(bug)},
                                      "trigger");
    EXPECT_TRUE(ps.ok()) << ps.error().message;
    return *ps;
  }
  void queue_pass() { ASSERT_TRUE(queue_->pass().ok()); }
  ResultsPassStats results_pass() {
    auto s = poller_->pass();
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? *s : ResultsPassStats{};
  }
  PatchSet now(const PatchSet& ps) { return *store_->get_patchset(ps.id); }
  std::string comments_on(const PatchSet& ps) {
    auto comments = store_->comments_for(ps.id);
    EXPECT_TRUE(comments.ok());
    if (!comments.ok()) return "";
    std::string all;
    for (const OutboxComment& c : *comments) all += c.body + "\n";
    return all;
  }

  ManualClock clock_{1'700'000'000};
  fakes::FakeBugTracker bugs_{clock_};
  fakes::FakeDirectory directory_;
  fakes::FakeVcs vcs_;
  TrunkCi ci_{{"build", "xpcshell"}};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Queue> queue_;
  std::unique_ptr<ResultsPoller> poller_;
};

TEST_F(TrunkWindowTest, ThreeInFlightTheMiddleOneBadOnlyItIsBackedOut) {
  PatchSet one = request(1), two = request(2), three = request(3);
  clock_.advance(120);
  for (int i = 0; i < 3; ++i) queue_pass();
  for (const PatchSet& ps : {one, two, three}) ASSERT_EQ(now(ps).state, State::testing) << ps.id;
  // Each on top of the one before.
  EXPECT_EQ(now(two).landing_parent, now(one).landing_revision);
  EXPECT_EQ(now(three).landing_parent, now(two).landing_revision);

  const std::string bad = now(two).landing_revision;
  const std::string above_bad = now(three).landing_revision;
  auto holds_two = [&](const std::string& revision) { return revision == bad || revision == above_bad; };
  results_pass();  // the CI lists the jobs
  ci_.finish([&](const std::string& job, const std::string& rev) { return job == "xpcshell" && holds_two(rev); });
  // Failures count once repeated (the branch's reruns): each red push is run again.
  for (int i = 0; i < 3; ++i) {
    results_pass();
    ci_.finish([&](const std::string& job, const std::string& rev) { return job == "xpcshell" && holds_two(rev); });
  }
  auto stats = results_pass();
  EXPECT_EQ(now(one).state, State::landed);
  EXPECT_EQ(now(two).state, State::backing_out);
  EXPECT_EQ(now(two).state_reason, "job xpcshell failed on this push (" + bad.substr(0, 12) +
                                       ") and passed on its parent " + now(one).landing_revision.substr(0, 12));
  EXPECT_EQ(now(three).state, State::testing) << "presumed innocent: it holds the bad landing";

  queue_pass();  // the backout, on top of three
  ASSERT_EQ(now(two).state, State::backed_out);
  EXPECT_EQ(now(two).backout_parent, above_bad);
  for (int i = 0; i < 3; ++i) {
    results_pass();
    ci_.finish([&](const std::string& job, const std::string& rev) { return job == "xpcshell" && holds_two(rev); });
  }
  results_pass();
  EXPECT_EQ(now(three).state, State::landed) << now(three).state_reason;
  EXPECT_EQ(now(three).state_reason,
            "not backed out: job xpcshell failed on this push because of bug 2's landing, "
            "backed out in " +
                now(two).backout_revision.substr(0, 12) + "; every job passed on " +
                now(two).backout_revision.substr(0, 12));
  EXPECT_NE(comments_on(three).find("Why it stays: not backed out"), std::string::npos) << comments_on(three);
  EXPECT_NE(comments_on(two).find("was backed out of inbound for job xpcshell failed on this push"), std::string::npos)
      << comments_on(two);
  // Exactly one backout on the remote.
  int backouts = 0;
  for (const auto& c : vcs_.remote("/r/inbound")) backouts += c.summary.rfind("Backed out", 0) == 0;
  EXPECT_EQ(backouts, 1);
  (void)stats;
}

TEST_F(TrunkWindowTest, APushBySomebodyElseInTheMiddleIsPlacedAndNeverBlamedOnALanding) {
  PatchSet one = request(1);
  clock_.advance(120);
  queue_pass();
  ASSERT_EQ(now(one).state, State::testing);
  vcs_.push_elsewhere("/r/inbound", "somebody's change that breaks xpcshell");
  const std::string theirs = vcs_.remote("/r/inbound").back().node;
  PatchSet two = request(2);
  clock_.advance(120);
  queue_pass();
  ASSERT_EQ(now(two).state, State::testing);
  ASSERT_EQ(now(two).landing_parent, theirs);
  const std::string two_rev = now(two).landing_revision;
  auto broken = [&](const std::string& job, const std::string& rev) {
    return job == "xpcshell" && (rev == theirs || rev == two_rev);
  };
  // The builds run long (a build passing above bug 1's landing would prove
  // it): the window holds bug 1's landing, their push and bug 2's, in order.
  auto slow = [](const std::string& job, const std::string&) { return job == "build"; };
  for (int i = 0; i < 5; ++i) {
    results_pass();
    ci_.finish(broken, slow);
  }
  results_pass();
  EXPECT_EQ(now(one).state, State::testing);
  EXPECT_EQ(now(two).state, State::testing) << "never backed out for somebody else's change";
  auto events = store_->list_events({.patchset_id = two.id});
  ASSERT_TRUE(events.ok());
  std::string told;
  for (const AuditEvent& e : *events) {
    if (e.what == "culprit.sheriff") told = e.detail;
  }
  EXPECT_EQ(told, "job xpcshell has failed since the push " + theirs.substr(0, 12) +
                      " (not autoland's), which autoland does not back out: a sheriff must act");

  // Once bug 1's landing is found green, their push is the base of what is
  // left: a job failing there is already failing without bug 2's landing.
  ci_.finish(broken);
  for (int i = 0; i < 3; ++i) {
    results_pass();
    ci_.finish(broken);
  }
  EXPECT_EQ(now(one).state, State::landed) << now(one).state_reason;
  EXPECT_EQ(now(two).state, State::landed) << now(two).state_reason;
  EXPECT_NE(
      now(two).state_reason.find("already failing without it (on the base " + theirs.substr(0, 12) + "): xpcshell"),
      std::string::npos)
      << now(two).state_reason;
  for (const auto& c : vcs_.remote("/r/inbound")) EXPECT_NE(c.summary.rfind("Backed out", 0), 0u);
}

TEST_F(TrunkWindowTest, AJobAlreadyFailingWithoutTheLandingsBlamesNone) {
  PatchSet one = request(1), two = request(2);
  clock_.advance(120);
  for (int i = 0; i < 2; ++i) queue_pass();
  const std::string base = now(one).landing_parent;  // somebody else's push: not known green
  auto everywhere = [](const std::string& job, const std::string&) { return job == "xpcshell"; };
  for (int i = 0; i < 5; ++i) {
    results_pass();
    ci_.finish(everywhere);
  }
  results_pass();
  // The base was asked for its results too, and fails the same way.
  for (const PatchSet& ps : {one, two}) {
    EXPECT_EQ(now(ps).state, State::landed) << now(ps).state_reason;
    EXPECT_NE(
        now(ps).state_reason.find("already failing without it (on the base " + base.substr(0, 12) + "): xpcshell"),
        std::string::npos)
        << now(ps).state_reason;
  }
  for (const auto& c : vcs_.remote("/r/inbound")) EXPECT_NE(c.summary.rfind("Backed out", 0), 0u);
}

}  // namespace
}  // namespace autoland
