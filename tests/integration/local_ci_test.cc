// The local CI runner with real hg and git repositories and real commands.
#include "adapters/ci/local/local_ci.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "adapters/process/subprocess.h"
#include "adapters/store/sqlite/sqlite_db.h"
#include "app/store_factory.h"
#include "core/ci_verdict.h"
#include "services/results/results_poller.h"
#include "services/transitions.h"
#include "tests/support/test_support.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;

class LocalCiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("ci-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    repo_ = (dir_ / "repo").string();
    run({"hg", "init", repo_});
    std::ofstream(fs::path(repo_) / "a.txt") << "hello\n";
    run({"hg", "commit", "-R", repo_, "-A", "-m", "base", "-u", "t"});
    node_ = run({"hg", "log", "-R", repo_, "-r", "tip", "-T", "{node}"});
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::string run(std::vector<std::string> argv, const std::string& cwd = "") {
    SpawnOptions o;
    o.argv = std::move(argv);
    o.cwd = cwd;
    o.env_set = {{"HGPLAIN", "1"}};
    auto r = run_program(o);
    EXPECT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->err : r.error().message);
    return r.ok() ? r->out : "";
  }
  LocalCiOptions options(std::vector<LocalJobSpec> jobs) {
    LocalCiOptions o;
    o.state_dir = (dir_ / "ci").string();
    o.workers = 2;
    o.branches = {{"try", repo_, Vcs::hg, std::move(jobs)}};
    return o;
  }
  static std::map<std::string, JobResult> by_name(const std::vector<CiJob>& jobs) {
    std::map<std::string, JobResult> out;
    for (const CiJob& j : jobs) out[j.name] = j.result;  // the latest run of each
    return out;
  }

  fs::path dir_;
  std::string repo_, node_;
  SystemClock clock_;
};

TEST_F(LocalCiTest, GreenRedIntermittentAndHangingJobs) {
  std::string mark = (dir_ / "flaky-ran-once").string();
  auto ci =
      LocalCi::open(options({{"build", {"true"}, 10, true},
                             {"test-ok", {"test", "-f", "a.txt"}, 10},
                             {"test-red", {"sh", "-c", "echo boom; exit 1"}, 10},
                             {"flaky", {"sh", "-c", "test -f " + mark + " || { touch " + mark + "; exit 1; }"}, 10},
                             {"hang", {"sleep", "30"}, 1}}),
                    clock_);
  ASSERT_TRUE(ci.ok()) << ci.error().message;
  auto scheduled = (*ci)->jobs("try", node_);
  ASSERT_TRUE(scheduled.ok()) << scheduled.error().message;
  ASSERT_EQ(scheduled->size(), 5u);
  EXPECT_EQ((*scheduled)[0].state, JobState::pending);
  (*ci)->start();
  ASSERT_TRUE((*ci)->wait_idle(std::chrono::seconds(30)));
  auto done = (*ci)->jobs("try", node_);
  ASSERT_TRUE(done.ok());
  auto results = by_name(*done);
  EXPECT_EQ(results["build"], JobResult::success);
  EXPECT_EQ(results["test-ok"], JobResult::success);  // it ran in an export of the revision
  EXPECT_EQ(results["test-red"], JobResult::testfailed);
  EXPECT_EQ(results["flaky"], JobResult::testfailed);
  EXPECT_EQ(results["hang"], JobResult::exception);
  for (const CiJob& j : *done) {
    EXPECT_EQ(j.state, JobState::completed);
    EXPECT_GT(j.finished, 0);
    if (j.name == "test-red") {
      EXPECT_NE((*ci)->log_of(j.id).find("boom\nexit 1"), std::string::npos) << (*ci)->log_of(j.id);
      EXPECT_NE(j.log_url.find(".log"), std::string::npos);
    }
    if (j.name == "hang") {
      EXPECT_NE((*ci)->log_of(j.id).find("timed out after 1 s"), std::string::npos);
    }
  }
  VerdictReport report = judge(to_job_runs(*done), 1);
  EXPECT_EQ(report.verdict, Verdict::orange);
  // A retrigger of the flaky job passes: intermittent.
  std::string flaky_id;
  for (const CiJob& j : *done) {
    if (j.name == "flaky") flaky_id = j.id;
  }
  auto rerun = (*ci)->retrigger("try", node_, flaky_id);
  ASSERT_TRUE(rerun.ok()) << rerun.error().message;
  EXPECT_NE(*rerun, flaky_id);
  ASSERT_TRUE((*ci)->wait_idle(std::chrono::seconds(30)));
  auto after = (*ci)->jobs("try", node_);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size(), 6u);
  EXPECT_EQ(by_name(*after)["flaky"], JobResult::success);
  VerdictReport again = judge(to_job_runs(*after), 1);
  EXPECT_EQ(again.intermittent, std::vector<std::string>{"flaky"});
  EXPECT_EQ((*ci)->retrigger("try", node_, "999").error().kind, ErrorKind::not_found);
}

// GET /health asks about 0000...: hg reads it as its null revision, and the
// probe used to schedule a run for it that ended as an exception.
TEST_F(LocalCiTest, TheNullRevisionIsNoPushAndSchedulesNothing) {
  auto ci = LocalCi::open(options({{"test-ok", {"true"}, 10}}), clock_);
  ASSERT_TRUE(ci.ok()) << ci.error().message;
  for (std::string null : {std::string(40, '0'), std::string("000000000000"), std::string("0")}) {
    auto asked = (*ci)->jobs("try", null);
    ASSERT_FALSE(asked.ok()) << null;
    EXPECT_EQ(asked.error().kind, ErrorKind::not_found);
  }
  auto pushes = (*ci)->pushes_since("try", "");
  ASSERT_TRUE(pushes.ok()) << pushes.error().message;
  // The real revision still schedules its job.
  auto real = (*ci)->jobs("try", node_);
  ASSERT_TRUE(real.ok()) << real.error().message;
  EXPECT_EQ(real->size(), 1u);
}

// The try budget asks how many jobs wait on try.
TEST_F(LocalCiTest, PendingJobsCountsTheRunsNotStartedOnTheBranch) {
  auto ci = LocalCi::open(options({{"build", {"true"}, 10, true}, {"test", {"true"}, 10}}), clock_);
  ASSERT_TRUE(ci.ok()) << ci.error().message;
  EXPECT_EQ(*(*ci)->pending_jobs("try"), 0);
  // The culprit finder runs one job where it needs it.
  auto one = (*ci)->run_job("try", node_, "test");
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(*(*ci)->pending_jobs("try"), 1);
  EXPECT_EQ((*ci)->run_job("try", node_, "lint").error().kind, ErrorKind::not_found);
  ASSERT_TRUE((*ci)->jobs("try", node_).ok());  // schedules both; no worker runs them yet
  EXPECT_EQ(*(*ci)->pending_jobs("try"), 3);
  EXPECT_EQ(*(*ci)->pending_jobs("central"), 0);
  (*ci)->start();
  ASSERT_TRUE((*ci)->wait_idle(std::chrono::seconds(30)));
  EXPECT_EQ(*(*ci)->pending_jobs("try"), 0);
}

// Hardening issue, item 6: a build killed by a signal (exit 137) was
// "busted" and nothing landed; it is the machine's failure, an exception.
TEST_F(LocalCiTest, AJobKilledByASignalIsAnInfrastructureException) {
  auto ci = LocalCi::open(options({{"build", {"sh", "-c", "kill -9 $$"}, 10, true},
                                   {"test", {"sh", "-c", "kill -TERM $$"}, 10},
                                   {"red", {"sh", "-c", "exit 3"}, 10, true}}),
                          clock_);
  ASSERT_TRUE(ci.ok()) << ci.error().message;
  ASSERT_TRUE((*ci)->jobs("try", node_).ok());
  (*ci)->start();
  ASSERT_TRUE((*ci)->wait_idle(std::chrono::seconds(30)));
  auto done = (*ci)->jobs("try", node_);
  ASSERT_TRUE(done.ok());
  auto results = by_name(*done);
  EXPECT_EQ(results["build"], JobResult::exception);
  EXPECT_EQ(results["test"], JobResult::exception);
  EXPECT_EQ(results["red"], JobResult::busted);  // a build that fails on its own is still the patch's
}

TEST_F(LocalCiTest, ARestartRerunsCutShortRunsAndNeverFinishedOnes) {
  std::string count = (dir_ / "quick-runs").string();
  std::vector<LocalJobSpec> jobs = {{"quick", {"sh", "-c", "echo x >> " + count}, 10}, {"slow", {"true"}, 10}};
  {
    auto ci = LocalCi::open(options(jobs), clock_);
    ASSERT_TRUE(ci.ok());
    ASSERT_TRUE((*ci)->jobs("try", node_).ok());  // scheduled, not started
  }
  {
    // As a crash leaves it: quick finished, slow was in progress.
    auto db = sqlite::Database::open((dir_ / "ci" / "ci.db").string(), 1000, false);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->exec("UPDATE runs SET state='completed', result='success', finished=7 WHERE name='quick'").ok());
    ASSERT_TRUE(db->exec("UPDATE runs SET state='running', started=5 WHERE name='slow'").ok());
  }
  auto ci = LocalCi::open(options(jobs), clock_);
  ASSERT_TRUE(ci.ok());
  auto before = (*ci)->jobs("try", node_);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(by_name(*before)["slow"], JobResult::pending);  // requeued
  (*ci)->start();
  ASSERT_TRUE((*ci)->wait_idle(std::chrono::seconds(30)));
  auto after = (*ci)->jobs("try", node_);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 2u);  // nothing scheduled twice
  EXPECT_EQ(by_name(*after)["slow"], JobResult::success);
  EXPECT_EQ((*after)[0].finished, 7);  // quick was not run again
  EXPECT_FALSE(fs::exists(count));     // ...its command never ran
}

// Processes whose command line is exactly `argv`.
int processes_running(const std::vector<std::string>& argv) {
  int n = 0;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string want;
    for (const std::string& a : argv) want += a + '\0';
    n += cmdline == want;
  }
  return n;
}

TEST_F(LocalCiTest, ATimedOutJobLeavesNoProcessBehind) {
  // A shell that starts helpers in the background and then hangs itself.
  std::string marker = std::to_string(::getpid()) + ".5";
  auto ci = LocalCi::open(options({{"spawner", {"sh", "-c", "sleep 3" + marker + " & sleep 3" + marker + "; wait"}, 1},
                                   {"leaver", {"sh", "-c", "sleep 4" + marker + " >/dev/null 2>&1 & exit 0"}, 10}}),
                          clock_);
  ASSERT_TRUE(ci.ok());
  ASSERT_TRUE((*ci)->jobs("try", node_).ok());
  (*ci)->start();
  ASSERT_TRUE((*ci)->wait_idle(std::chrono::seconds(20)));
  auto results = by_name(*(*ci)->jobs("try", node_));
  EXPECT_EQ(results["spawner"], JobResult::exception);
  EXPECT_EQ(results["leaver"], JobResult::success);
  EXPECT_EQ(processes_running({"sleep", "3" + marker}), 0);
  EXPECT_EQ(processes_running({"sleep", "4" + marker}), 0);
}

TEST_F(LocalCiTest, OneRunnerPerStateFolderAndShortRevisionsRetrigger) {
  auto ci = LocalCi::open(options({{"check", {"false"}, 10}}), clock_);
  ASSERT_TRUE(ci.ok()) << ci.error().message;
  auto second = LocalCi::open(options({{"check", {"false"}, 10}}), clock_);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("another process runs the local CI"), std::string::npos);
  std::string shorter = node_.substr(0, 12);
  auto jobs = (*ci)->jobs("try", shorter);
  ASSERT_TRUE(jobs.ok());
  auto rerun = (*ci)->retrigger("try", shorter, (*jobs)[0].id);
  ASSERT_TRUE(rerun.ok()) << rerun.error().message;
  EXPECT_EQ((*ci)->jobs("try", node_)->size(), 2u);
}

TEST_F(LocalCiTest, PushesSinceACursorAreListedAndScheduled) {
  auto ci = LocalCi::open(options({{"check", {"true"}, 10}}), clock_);
  ASSERT_TRUE(ci.ok());
  auto first = (*ci)->pushes_since("try", "");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->pushes.empty());
  // Two try pushes, each a head of its own.
  std::ofstream(fs::path(repo_) / "b.txt") << "b\n";
  run({"hg", "commit", "-R", repo_, "-A", "-m", "Bug 5 - x\n\ntry: -b do --post-to-bug 5", "-u", "dev <d@e>"});
  run({"hg", "update", "-R", repo_, "-r", "0"});
  std::ofstream(fs::path(repo_) / "c.txt") << "c\n";
  run({"hg", "commit", "-R", repo_, "-A", "-m", "try: -b o", "-u", "dev <d@e>"});
  auto page = (*ci)->pushes_since("try", first->next_cursor);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->pushes.size(), 2u);
  EXPECT_EQ(page->pushes[0].message, "Bug 5 - x\n\ntry: -b do --post-to-bug 5");
  EXPECT_EQ(page->pushes[0].author, "dev <d@e>");
  EXPECT_GT(page->pushes[0].time, 0);
  auto none = (*ci)->pushes_since("try", page->next_cursor);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->pushes.empty());
  auto jobs = (*ci)->jobs("try", page->pushes[1].revision);
  ASSERT_TRUE(jobs.ok());
  EXPECT_EQ(jobs->size(), 1u);  // scheduled when the push was seen, once
  EXPECT_EQ((*ci)->jobs("try", std::string(40, 'a')).error().kind, ErrorKind::not_found);
  EXPECT_EQ((*ci)->jobs("central", node_).error().kind, ErrorKind::not_found);
  EXPECT_EQ((*ci)->jobs("try", "tip; rm").error().kind, ErrorKind::invalid_input);
}

TEST_F(LocalCiTest, StackedTryPushesAreEachListedAndPlainCommitsCoalesce) {
  auto ci = LocalCi::open(options({{"check", {"true"}, 10}}), clock_);
  ASSERT_TRUE(ci.ok());
  std::string cursor = (*ci)->pushes_since("try", "")->next_cursor;
  // A try push, then another built on it before the next look: the first is
  // no head any more, but its try syntax marks it as a push's tip.
  std::ofstream(fs::path(repo_) / "b.txt") << "b\n";
  run({"hg", "commit", "-R", repo_, "-A", "-m", "try: -b do --post-to-bug 5", "-u", "dev <d@e>"});
  std::ofstream(fs::path(repo_) / "c.txt") << "c\n";
  run({"hg", "commit", "-R", repo_, "-A", "-m", "part 1", "-u", "dev <d@e>"});
  std::ofstream(fs::path(repo_) / "d.txt") << "d\n";
  run({"hg", "commit", "-R", repo_, "-A", "-m", "try: -b o --post-to-bug 6", "-u", "dev <d@e>"});
  auto page = (*ci)->pushes_since("try", cursor);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->pushes.size(), 2u);
  EXPECT_EQ(page->pushes[0].message, "try: -b do --post-to-bug 5");
  EXPECT_EQ(page->pushes[1].message, "try: -b o --post-to-bug 6");
  EXPECT_EQ(page->next_cursor, "3");
  // Plain commits between two looks (a trunk) count as one push, its tip.
  for (std::string name : {"e", "f"}) {
    std::ofstream(fs::path(repo_) / name) << name << "\n";
    run({"hg", "commit", "-R", repo_, "-A", "-m", "Bug 7 - " + name, "-u", "dev <d@e>"});
  }
  auto trunk = (*ci)->pushes_since("try", page->next_cursor);
  ASSERT_TRUE(trunk.ok());
  ASSERT_EQ(trunk->pushes.size(), 1u);
  EXPECT_EQ(trunk->pushes[0].message, "Bug 7 - f");
  // A cursor past the tip (another repository's, a stale one) lists nothing.
  auto past = (*ci)->pushes_since("try", "99");
  ASSERT_TRUE(past.ok()) << past.error().message;
  EXPECT_TRUE(past->pushes.empty());
}

// Forks a runner with `options` (one job, which writes the pid to watch into
// `pid_file`), kills the runner with SIGKILL mid-job, checks the job's
// process outlived it, and that a new runner's start kills it.
void kill_runner_and_restart(const std::string& pid_file, const LocalCiOptions& options, const SystemClock& clock,
                             const std::string& node) {
  pid_t runner = ::fork();
  if (runner == 0) {
    auto ci = LocalCi::open(options, clock);
    if (!ci.ok()) ::_exit(3);
    (*ci)->start();
    (void)(*ci)->jobs("try", node);
    ::sleep(120);
    ::_exit(0);
  }
  ASSERT_GT(runner, 0);
  pid_t job = 0;
  for (int i = 0; i < 300 && job == 0; ++i) {
    std::ifstream in(pid_file);
    if (!(in >> job)) {
      job = 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ASSERT_GT(job, 0) << "the job never started";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // its process group is on record
  ::kill(runner, SIGKILL);
  ::waitpid(runner, nullptr, 0);
  auto alive = [](pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t close = stat.rfind(')');
    return close != std::string::npos && stat.size() > close + 2 && stat[close + 2] != 'Z';
  };
  ASSERT_TRUE(alive(job)) << "the orphaned job should outlive its runner";
  auto ci = LocalCi::open(options, clock);
  ASSERT_TRUE(ci.ok()) << ci.error().message;
  for (int i = 0; i < 100 && alive(job); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(alive(job)) << "the restart left the dead runner's job running";
  auto requeued = (*ci)->jobs("try", node);
  ASSERT_TRUE(requeued.ok());
  ASSERT_EQ(requeued->size(), 1u);
  EXPECT_EQ((*requeued)[0].state, JobState::pending);  // and it runs again from the start
}

TEST_F(LocalCiTest, ARestartKillsTheJobsOfARunnerThatDied) {
  std::string pid_file = (dir_ / "job.pid").string();
  kill_runner_and_restart(pid_file, options({{"hang", {"sh", "-c", "echo $$ > " + pid_file + "; exec sleep 60"}, 120}}),
                          clock_, node_);
}

TEST_F(LocalCiTest, ARestartKillsWhatIsLeftOfAJobWhoseLeaderEnded) {
  // The job's shell ends at once; a helper it started lives on in its group,
  // holding the output open (so the run is still in progress).
  std::string pid_file = (dir_ / "helper.pid").string();
  std::vector<std::string> command = {"sh", "-c", "sleep 60 & echo $! > " + pid_file + "; exit 0"};
  kill_runner_and_restart(pid_file, options({{"leaver", command, 120}}), clock_, node_);
}

TEST_F(LocalCiTest, AnEndThatCannotBeWrittenIsWrittenLater) {
  std::string started = (dir_ / "started").string();
  LocalCiOptions o = options({{"quick", {"sh", "-c", "touch " + started + "; sleep 0.3"}, 10}});
  o.busy_timeout_ms = 50;
  auto ci = LocalCi::open(o, clock_);
  ASSERT_TRUE(ci.ok());
  ASSERT_TRUE((*ci)->jobs("try", node_).ok());
  (*ci)->start();
  for (int i = 0; i < 200 && !fs::exists(started); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(fs::exists(started));
  {
    // Another connection holds the database while the job ends.
    auto db = sqlite::Database::open((dir_ / "ci" / "ci.db").string(), 1000, false);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->exec("BEGIN EXCLUSIVE").ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    ASSERT_TRUE(db->exec("COMMIT").ok());
  }
  ASSERT_TRUE((*ci)->wait_idle(std::chrono::seconds(10)));
  auto jobs = (*ci)->jobs("try", node_);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].state, JobState::completed);
  EXPECT_EQ((*jobs)[0].result, JobResult::success);
}

TEST_F(LocalCiTest, GitRepositoriesAreExportedToo) {
  std::string git = (dir_ / "repo.git").string();
  std::string work = (dir_ / "gitwork").string();
  run({"git", "init", "-q", "--bare", git});
  run({"git", "init", "-q", work});
  std::ofstream(fs::path(work) / "g.txt") << "g\n";
  run({"git", "-C", work, "add", "-A"});
  run({"git", "-C", work, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "base"});
  run({"git", "-C", work, "push", "-q", git, "HEAD:refs/heads/main"});
  std::string sha = run({"git", "--git-dir", git, "rev-parse", "main"});
  sha.pop_back();
  LocalCiOptions o;
  o.state_dir = (dir_ / "ci").string();
  o.branches = {{"main", git, Vcs::git, {{"has-file", {"test", "-f", "g.txt"}, 10}}}};
  auto ci = LocalCi::open(o, clock_);
  ASSERT_TRUE(ci.ok());
  ASSERT_TRUE((*ci)->jobs("main", sha).ok());
  (*ci)->start();
  ASSERT_TRUE((*ci)->wait_idle(std::chrono::seconds(30)));
  EXPECT_EQ(by_name(*(*ci)->jobs("main", sha))["has-file"], JobResult::success);
}

}  // namespace
}  // namespace autoland

namespace autoland {
namespace {

// Push → jobs → verdict → comment in the outbox, with the real runner.
class LocalCiEndToEnd : public LocalCiTest {
 protected:
  void SetUp() override {
    LocalCiTest::SetUp();
    auto s = open_store("sqlite://:memory:", clock_);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    Branch try_branch;
    try_branch.name = "try";
    try_branch.repo_url = repo_;
    try_branch.required_level = 1;
    try_branch.ci_source = "local";
    ASSERT_TRUE(store_->create_branch(try_branch, "t").ok());
  }
  PatchSet testing(BugId bug) {
    return testing::testing_patchset(*store_, clock_,
                                     {.bug_id = bug, .patches = {1}, .branch = "try", .stage = Stage::try_run}, node_);
  }
  // Polls until the patchset ends (or 30 s).
  PatchSet poll_until_done(ResultsPoller& poller, LocalCi& ci, const PatchSet& ps) {
    for (int i = 0; i < 300; ++i) {
      EXPECT_TRUE(poller.pass().ok());
      PatchSet now = *store_->get_patchset(ps.id);
      if (is_terminal(now.state)) return now;
      ci.wait_idle(std::chrono::milliseconds(100));
    }
    return *store_->get_patchset(ps.id);
  }
  std::unique_ptr<Store> store_;
};

TEST_F(LocalCiEndToEnd, IntermittentThenGreenIsReportedOnTheBug) {
  std::string mark = (dir_ / "flaky-ran-once").string();
  auto ci =
      LocalCi::open(options({{"build", {"true"}, 10, true},
                             {"flaky", {"sh", "-c", "test -f " + mark + " || { touch " + mark + "; exit 1; }"}, 10}}),
                    clock_);
  ASSERT_TRUE(ci.ok());
  (*ci)->start();
  ResultsPoller poller(*store_, clock_,
                       [&](const std::string& name) -> CiResults* { return name == "local" ? ci->get() : nullptr; });
  PatchSet ps = poll_until_done(poller, **ci, testing(31));
  EXPECT_EQ(ps.state, State::reported);
  auto comments = store_->comments_for(ps.id);
  ASSERT_FALSE(comments->empty());
  EXPECT_EQ((*comments)[0].bug_id, 31);
  EXPECT_NE((*comments)[0].body.find("flaky"), std::string::npos) << (*comments)[0].body;
  EXPECT_EQ((*ci)->jobs("try", node_)->size(), 3u);  // build, flaky, and flaky's rerun
}

TEST_F(LocalCiEndToEnd, RedAndHangingJobsFailTheTryRun) {
  auto ci = LocalCi::open(
      options({{"build", {"sh", "-c", "echo compile error; exit 2"}, 10, true}, {"hang", {"sleep", "30"}, 1}}), clock_);
  ASSERT_TRUE(ci.ok());
  (*ci)->start();
  ResultsPoller poller(*store_, clock_, [&](const std::string&) -> CiResults* { return ci->get(); });
  PatchSet ps = poll_until_done(poller, **ci, testing(32));
  EXPECT_EQ(ps.state, State::failed);
  auto comments = store_->comments_for(ps.id);
  ASSERT_FALSE(comments->empty());
  EXPECT_NE((*comments)[0].body.find("build"), std::string::npos) << (*comments)[0].body;
}

}  // namespace
}  // namespace autoland
