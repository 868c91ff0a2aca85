// The queue end to end with real parts: the sandbox Bugzilla (HTTP), real hg
// remotes (try, non-publishing, and central), the local CI runner, the
// results poller, and a file directory of people. Patchsets are created the
// way the trigger creates them; the queue and the poller take them to the end.
#include "services/queue/queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/bugzilla/bugzilla_client.h"
#include "adapters/ci/local/local_ci.h"
#include "adapters/directory/file/file_directory.h"
#include "adapters/process/subprocess.h"
#include "app/store_factory.h"
#include "app/vcs_factory.h"
#include "sandbox/bugzilla/bugzilla_server.h"
#include "services/queue/sheriff.h"
#include "services/results/results_poller.h"
#include "util/log.h"
#include "util/strings.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A directory that can be made unreachable.
class FlakyDirectory final : public Directory {
 public:
  explicit FlakyDirectory(std::unique_ptr<FileDirectory> inner) : inner_(std::move(inner)) {}
  Result<Person> find_by_bugzilla_email(const std::string& email) override {
    if (down) return transient("the directory is down");
    return inner_->find_by_bugzilla_email(email);
  }
  bool down = false;

 private:
  std::unique_ptr<FileDirectory> inner_;
};

// The real client, counting user lookups and how many bugs are read at once.
class Watching final : public BugTracker {
 public:
  explicit Watching(BugTracker& real) : real_(real) {}
  Result<std::vector<BugSummary>> search(const SearchQuery& q) override { return real_.search(q); }
  Result<Bug> get_bug(BugId id) override {
    int now = ++reading_;
    int seen = most_at_once.load();
    while (now > seen && !most_at_once.compare_exchange_weak(seen, now)) {
    }
    // Long enough for the other validations of the pass to start meanwhile.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto r = real_.get_bug(id);
    --reading_;
    return r;
  }
  Result<std::vector<Attachment>> attachments(BugId bug, bool d) override { return real_.attachments(bug, d); }
  Result<Attachment> attachment(BugId bug, AttachmentId id, bool d) override { return real_.attachment(bug, id, d); }
  Result<std::vector<HistoryEntry>> history(BugId bug) override { return real_.history(bug); }
  Result<int64_t> post_comment(BugId bug, const std::string& text) override { return real_.post_comment(bug, text); }
  Result<std::vector<BugComment>> comments(BugId bug, const std::string& since) override {
    return real_.comments(bug, since);
  }
  Result<BugUpdateResult> update_bug(BugId bug, const BugUpdate& update) override {
    return real_.update_bug(bug, update);
  }
  Result<User> user(const std::string& email) override {
    ++user_lookups;
    return real_.user(email);
  }
  std::atomic<int> most_at_once{0};
  std::atomic<int> user_lookups{0};

 private:
  BugTracker& real_;
  std::atomic<int> reading_{0};
};

class QueueCycle : public ::testing::Test {
 protected:
  void SetUp() override {
    util::set_log_level(util::LogLevel::warn);
    dir_ = fs::path(::testing::TempDir()) / ("queue-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // central holds a tiny project; try is a non-publishing clone of it.
    central_ = (dir_ / "central").string();
    try_ = (dir_ / "try").string();
    hg({"init", central_});
    std::ofstream(fs::path(central_) / "a.txt") << "one\ntwo\nthree\n";
    hg({"commit", "-R", central_, "-A", "-m", "base", "-u", "base <b@example.org>"});
    hg({"clone", "-q", central_, try_});
    std::ofstream(fs::path(try_) / ".hg" / "hgrc", std::ios::app) << "[phases]\npublish = False\n";

    json seed = {{"users",
                  {{{"email", "bot@example.org"}, {"api_key", "k"}, {"groups", {"editbugs"}}},
                   {{"email", "dev@example.org"}, {"real_name", "Dana Dev [:dana]"}, {"api_key", "d"}},
                   {{"email", "rita@example.org"}, {"real_name", "Rita Reviewer [:rita]"}, {"api_key", "r"}},
                   {{"email", "junior@example.org"}, {"api_key", "j"}}}}};
    auto server = sandbox::BugzillaServer::start(seed.dump(), {});
    ASSERT_TRUE(server.ok());
    server_ = std::move(*server);
    bugs_ = make_bugzilla_client(server_->url(), "k", "query", "", 10);

    auto directory = FileDirectory::from_json(R"({"people": [
        {"bugzilla_email": "dev@example.org", "level": 3},
        {"bugzilla_email": "rita@example.org", "level": 3},
        {"bugzilla_email": "junior@example.org", "level": 1}]})",
                                              "test");
    ASSERT_TRUE(directory.ok());
    directory_ = std::make_unique<FlakyDirectory>(std::move(*directory));

    auto store = open_store("sqlite://:memory:", clock_);
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    Branch t;
    t.name = "try";
    t.repo_url = try_;
    t.required_level = 1;
    t.threshold = 4;
    t.default_try_syntax = "try: -b o -p linux";
    ASSERT_TRUE(store_->create_branch(t, "t").ok());
    Branch c;
    c.name = "central";
    c.repo_url = central_;
    c.pretest_branch = "try";
    c.required_level = 3;
    c.max_retriggers = 1;
    ASSERT_TRUE(store_->create_branch(c, "t").ok());

    auto vcs = open_vcs(Vcs::hg, (dir_ / "cache").string());
    ASSERT_TRUE(vcs.ok());
    vcs_ = std::move(*vcs);
    // CI: a test fails when the tree holds a file named FAIL (try) or
    // FAIL_ON_TRUNK (central).
    LocalCiOptions ci;
    ci.state_dir = (dir_ / "ci").string();
    ci.branches = {{"try", try_, Vcs::hg, {{"test", {"sh", "-c", "test ! -f FAIL"}, 30, true}}},
                   {"central", central_, Vcs::hg, {{"test", {"sh", "-c", "test ! -f FAIL_ON_TRUNK"}, 30, true}}}};
    auto local = LocalCi::open(ci, clock_);
    ASSERT_TRUE(local.ok()) << local.error().message;
    ci_ = std::move(*local);
    ci_->start();
    QueueOptions o;
    o.grace_period_seconds = 0;
    o.backoff_seconds = 0;
    queue_ = std::make_unique<Queue>(
        *store_, *bugs_, *directory_, clock_, [this](const Branch&) { return vcs_.get(); }, o);
    poller_ = std::make_unique<ResultsPoller>(*store_, clock_,
                                              [this](const std::string&) -> CiResults* { return ci_.get(); });
  }
  void TearDown() override {
    ci_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::string hg(std::vector<std::string> args) {
    SpawnOptions o;
    o.argv = {"hg"};
    for (auto& a : args) o.argv.push_back(a);
    o.env_set = {{"HGPLAIN", "1"}};
    auto r = run_program(o);
    EXPECT_TRUE(r.ok() && r->exit_code == 0) << util::join(o.argv, " ") << ": " << (r.ok() ? r->err : "");
    return r.ok() ? r->out : "";
  }

  // An hg export of one change on central's base: `file` gets `content`.
  std::string make_patch(const std::string& file, const std::string& content, const std::string& message) {
    fs::path wc = dir_ / ("wc-" + std::to_string(++patches_));
    hg({"clone", "-q", "-r", "0", central_, wc.string()});
    std::ofstream(wc / file) << content;
    hg({"commit", "-R", wc.string(), "-A", "-m", message, "-u", "Dana Dev <dev@example.org>"});
    return hg({"export", "-R", wc.string(), "-r", "tip"});
  }

  // Bug `id` with one attachment (`attachment`), reviewed by `reviewer` ("" none),
  // and the marker the trigger leaves on a bug it queued.
  void add_bug(BugId id, AttachmentId attachment, const std::string& patch, const std::string& reviewer) {
    json flags = json::array();
    if (!reviewer.empty()) flags.push_back({{"name", "review"}, {"status", "+"}, {"setter", reviewer}});
    json seed = {{"bugs",
                  {{{"id", id},
                    {"summary", "bug " + std::to_string(id)},
                    {"creator", "dev@example.org"},
                    {"whiteboard", "[autoland-in-queue]"},
                    {"attachments",
                     {{{"id", attachment},
                       {"summary", "the fix"},
                       {"data", patch},
                       {"is_patch", true},
                       {"creator", "dev@example.org"},
                       {"flags", flags}}}}}}}};
    ASSERT_TRUE(server_->add(seed.dump()).ok());
  }

  PatchSet request(BugId bug, AttachmentId attachment, const std::string& branch,
                   const std::string& requester = "dev@example.org") {
    Branch b = *store_->get_branch(branch);
    auto ps = store_->create_patchset({.bug_id = bug,
                                       .patches = {attachment},
                                       .branch = branch,
                                       .stage = b.initial_stage(),
                                       .requester = requester,
                                       .request_key = "test/" + std::to_string(bug) + "/" + branch},
                                      "trigger");
    EXPECT_TRUE(ps.ok()) << ps.error().message;
    return *ps;
  }

  // Queue and poller passes until `ps` ends (or 60 s).
  PatchSet run_until_done(const PatchSet& ps) {
    for (int i = 0; i < 600; ++i) {
      auto q = queue_->pass();
      EXPECT_TRUE(q.ok()) << q.error().message;
      EXPECT_TRUE(poller_->pass().ok());
      PatchSet now = *store_->get_patchset(ps.id);
      if (is_terminal(now.state)) return now;
      ci_->wait_idle(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "patchset " << ps.id << " did not end in 60 s";
    return *store_->get_patchset(ps.id);
  }

  std::vector<std::string> comment_kinds(const PatchSet& ps) {
    std::vector<std::string> kinds;
    auto comments = store_->comments_for(ps.id);
    for (const OutboxComment& c : *comments) kinds.push_back(c.kind);
    return kinds;
  }
  int changesets(const std::string& repo) {
    std::string nodes = hg({"log", "-R", repo, "-T", "{node}\n"});
    return static_cast<int>(std::count(nodes.begin(), nodes.end(), '\n'));
  }

  fs::path dir_;
  std::string central_, try_;
  int patches_ = 0;
  SystemClock clock_;
  std::unique_ptr<sandbox::BugzillaServer> server_;
  std::unique_ptr<BugzillaClient> bugs_;
  std::unique_ptr<FlakyDirectory> directory_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<VersionControl> vcs_;
  std::unique_ptr<LocalCi> ci_;
  std::unique_ptr<Queue> queue_;
  std::unique_ptr<ResultsPoller> poller_;
};

TEST_F(QueueCycle, ATryRequestIsPushedTestedAndReported) {
  add_bug(1, 11, make_patch("b.txt", "new\n", "Bug 1 - add b"), "");
  PatchSet ps = run_until_done(request(1, 11, "try"));
  EXPECT_EQ(ps.state, State::reported) << ps.state_reason;
  ASSERT_EQ(ps.try_revision.size(), 40u);
  // The try push ends with the syntax, asking for the results on the bug.
  std::string tip_message = hg({"log", "-R", try_, "-r", ps.try_revision, "-T", "{desc}"});
  EXPECT_EQ(tip_message, "try: -b o -p linux -n --post-to-bug 1");
  EXPECT_EQ(comment_kinds(ps), (std::vector<std::string>{"try_results", "release_marker"}));
  EXPECT_EQ(changesets(central_), 1);  // nothing landed
}

// Issue 14, item 18: one slow bug does not hold the others' validation (they
// run side by side, at most validation_concurrency at once), and a pass asks
// Bugzilla about each person once.
TEST_F(QueueCycle, APassValidatesSideBySideAndLooksEachPersonUpOnce) {
  Watching watching(*bugs_);
  QueueOptions o;
  o.grace_period_seconds = 0;
  o.backoff_seconds = 0;
  o.validation_concurrency = 3;
  Queue queue(
      *store_, watching, *directory_, clock_, [this](const Branch&) { return vcs_.get(); }, o);
  std::vector<PatchSet> requests;
  for (BugId b = 601; b <= 604; ++b) {
    add_bug(b, b * 10, make_patch("f" + std::to_string(b), "x\n", "Bug " + std::to_string(b) + " - Fix r=rita"), "");
    requests.push_back(request(b, b * 10, "try"));
  }
  auto pass = queue.pass();
  ASSERT_TRUE(pass.ok()) << pass.error().message;
  EXPECT_EQ(pass->validated, 4);
  EXPECT_EQ(pass->pushed, 4);
  EXPECT_GE(watching.most_at_once.load(), 2);
  EXPECT_LE(watching.most_at_once.load(), 3);
  // Four pushes by the same author: one lookup of dev@example.org.
  EXPECT_EQ(pass->user_lookups, 1);
  EXPECT_EQ(watching.user_lookups.load(), 1);
  for (const PatchSet& ps : requests) EXPECT_EQ(store_->get_patchset(ps.id)->state, State::testing);
}

TEST_F(QueueCycle, ATrunkRequestGoesToTryFirstThenLandsOnTheCurrentTip) {
  add_bug(2, 21, make_patch("c.txt", "c\n", "Bug 2 - add c r=rita"), "rita@example.org");
  // Trunk moves on meanwhile: the landing is applied on the new tip.
  fs::path wc = dir_ / "other";
  hg({"clone", "-q", central_, wc.string()});
  std::ofstream(wc / "d.txt") << "d\n";
  hg({"commit", "-R", wc.string(), "-A", "-m", "Bug 99 - someone else's r=x", "-u", "x <x@example.org>"});
  hg({"push", "-q", "-R", wc.string(), central_});
  PatchSet ps = run_until_done(request(2, 21, "central"));
  EXPECT_EQ(ps.state, State::landed) << ps.state_reason;
  EXPECT_EQ(ps.stage, Stage::landing);
  EXPECT_EQ(ps.try_revision.size(), 40u);
  EXPECT_EQ(ps.landing_revision.size(), 40u);
  EXPECT_EQ(hg({"log", "-R", central_, "-r", "tip", "-T", "{desc}"}), "Bug 2 - add c r=rita");
  EXPECT_EQ(hg({"log", "-R", central_, "-r", "tip^", "-T", "{desc}"}), "Bug 99 - someone else's r=x");
  // The try syntax commit never reaches trunk.
  EXPECT_EQ(hg({"log", "-R", central_, "-r", "desc('try:')", "-T", "{node}"}), "");
  EXPECT_EQ(comment_kinds(ps), (std::vector<std::string>{"try_results", "landed", "release_marker"}));
}

TEST_F(QueueCycle, ALandingWhoseMessageNamesNoReviewerGetsTheReviewersFromTheFlags) {
  add_bug(12, 121, make_patch("r.txt", "r\n", "Bug 12 - add r\n\nThe long story."), "rita@example.org");
  PatchSet ps = run_until_done(request(12, 121, "central"));
  EXPECT_EQ(ps.state, State::landed) << ps.state_reason;
  // The nick from Rita's Bugzilla name; the body stays as it was.
  EXPECT_EQ(hg({"log", "-R", central_, "-r", "tip", "-T", "{desc}"}), "Bug 12 - add r r=rita\n\nThe long story.");
  EXPECT_EQ(hg({"log", "-R", central_, "-r", "tip", "-T", "{author}"}), "Dana Dev <dev@example.org>");
  // The try run keeps the author's own message.
  EXPECT_EQ(hg({"log", "-R", try_, "-r", "desc('Bug 12 -')", "-T", "{desc|firstline}"}), "Bug 12 - add r");
  // A reviewer without a nick is named by their email's name part. (Dana
  // reviews her own patch here: allowed only with queue.allow_self_review.)
  QueueOptions o;
  o.grace_period_seconds = 0;
  o.backoff_seconds = 0;
  o.allow_self_review = true;
  queue_ = std::make_unique<Queue>(
      *store_, *bugs_, *directory_, clock_, [this](const Branch&) { return vcs_.get(); }, o);
  add_bug(13, 131, make_patch("s.txt", "s\n", "Bug 13 - add s"), "dev@example.org");
  ASSERT_TRUE(server_->set_whiteboard(13, "[autoland-in-queue]", "dev@example.org").ok());
  PatchSet other = run_until_done(request(13, 131, "central"));
  EXPECT_EQ(other.state, State::landed) << other.state_reason;
  EXPECT_EQ(hg({"log", "-R", central_, "-r", "tip", "-T", "{desc}"}), "Bug 13 - add s r=dana");
}

TEST_F(QueueCycle, RemovingTheMarkerDuringTheGracePeriodCancelsTheRequest) {
  // Times are whole seconds on the system clock: 3 s of grace leave room for
  // a slow machine between making the requests and the first pass (with 1 s,
  // crossing a second boundary there ended the grace period: seen on CI).
  QueueOptions o;
  o.grace_period_seconds = 3;
  queue_ = std::make_unique<Queue>(
      *store_, *bugs_, *directory_, clock_, [this](const Branch&) { return vcs_.get(); }, o);
  add_bug(14, 141, make_patch("t.txt", "t\n", "Bug 14 - add t r=rita"), "rita@example.org");
  add_bug(15, 151, make_patch("u.txt", "u\n", "Bug 15 - add u"), "");
  PatchSet taken_back = request(14, 141, "central");
  PatchSet kept = request(15, 151, "try");
  // Still in the grace period: nothing happens to either.
  ASSERT_TRUE(queue_->pass().ok());
  EXPECT_EQ(store_->get_patchset(taken_back.id)->state, State::queued);
  ASSERT_TRUE(server_->set_whiteboard(14, "", "dev@example.org").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  auto stats = queue_->pass();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->withdrawn, 1);
  PatchSet now = *store_->get_patchset(taken_back.id);
  EXPECT_EQ(now.state, State::cancelled);
  EXPECT_NE(now.state_reason.find("[autoland-in-queue] was removed"), std::string::npos) << now.state_reason;
  auto comments = *store_->comments_for(taken_back.id);
  ASSERT_FALSE(comments.empty());
  // The comment names where the request was going, not its try run.
  EXPECT_NE(comments[0].body.find("to central was cancelled by the requester"), std::string::npos) << comments[0].body;
  EXPECT_EQ(hg({"log", "-R", try_, "-r", "desc('Bug 14 -')", "-T", "{node}"}), "");  // nothing pushed
  // A request made through the API has no marker to take off: it goes on.
  add_bug(17, 171, make_patch("w.txt", "w\n", "Bug 17 - add w"), "");
  ASSERT_TRUE(server_->set_whiteboard(17, "", "dev@example.org").ok());
  auto api_request = store_->create_patchset({.bug_id = 17,
                                              .patches = {171},
                                              .branch = "try",
                                              .stage = Stage::try_run,
                                              .requester = "dev@example.org",
                                              .request_key = std::string(kApiRequestKeyPrefix) + "17/r1",
                                              .origin = RequestOrigin::api},
                                             "user:alice");
  ASSERT_TRUE(api_request.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  ASSERT_TRUE(queue_->pass().ok());
  State api_state = store_->get_patchset(api_request->id)->state;
  EXPECT_TRUE(api_state == State::pushing || api_state == State::testing) << to_string(api_state);
  // The other bug kept its marker and goes on.
  State other = store_->get_patchset(kept.id)->state;
  EXPECT_TRUE(other == State::pushing || other == State::testing) << to_string(other);
}

TEST_F(QueueCycle, ABugThatBecomesPrivateBeforeItsLandingGetsNothingPushed) {
  add_bug(16, 161, make_patch("v.txt", "v\n", "Bug 16 - add v r=rita"), "rita@example.org");
  PatchSet ps = request(16, 161, "central");
  // Through the try run, then the bug is made private to a group the bot is not in.
  for (int i = 0; i < 600 && store_->get_patchset(ps.id)->stage != Stage::landing; ++i) {
    ASSERT_TRUE(queue_->pass().ok());
    ASSERT_TRUE(poller_->pass().ok());
    ci_->wait_idle(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(server_->set_groups(16, {"security"}, "rita@example.org").ok());
  PatchSet now = run_until_done(ps);
  EXPECT_EQ(now.state, State::failed);
  EXPECT_NE(now.state_reason.find("bug 16 cannot be read by autoland any more"), std::string::npos) << now.state_reason;
  EXPECT_EQ(changesets(central_), 1);  // nothing landed
}

TEST_F(QueueCycle, TrunkRedAfterLandingIsBackedOut) {
  add_bug(3, 31, make_patch("FAIL_ON_TRUNK", "x\n", "Bug 3 - breaks trunk only r=rita"), "rita@example.org");
  PatchSet ps = run_until_done(request(3, 31, "central"));
  EXPECT_EQ(ps.state, State::backed_out) << ps.state_reason;
  ASSERT_EQ(ps.backout_revision.size(), 40u);
  std::string message = hg({"log", "-R", central_, "-r", "tip", "-T", "{desc}"});
  EXPECT_EQ(message.rfind("Backed out changeset " + ps.landing_revision.substr(0, 12) + " (bug 3) for ", 0), 0u)
      << message;
  EXPECT_FALSE(fs::exists(fs::path(central_) / "FAIL_ON_TRUNK") &&
               hg({"files", "-R", central_, "-r", "tip"}).find("FAIL_ON_TRUNK") != std::string::npos);
  EXPECT_EQ(comment_kinds(ps), (std::vector<std::string>{"try_results", "backed_out", "release_marker"}));
}

TEST_F(QueueCycle, RedOnTryEndsItWithNothingLanded) {
  add_bug(4, 41, make_patch("FAIL", "x\n", "Bug 4 - breaks the tests r=rita"), "rita@example.org");
  PatchSet ps = run_until_done(request(4, 41, "central"));
  EXPECT_EQ(ps.state, State::failed);
  EXPECT_EQ(changesets(central_), 1);
}

TEST_F(QueueCycle, RuleViolationsAreAllListedAndNothingIsPushed) {
  // No review, no r= in the message, and a requester below level 3.
  add_bug(5, 51, make_patch("e.txt", "e\n", "Fix things"), "");
  PatchSet ps = run_until_done(request(5, 51, "central", "junior@example.org"));
  EXPECT_EQ(ps.state, State::rejected);
  auto comments = *store_->comments_for(ps.id);
  ASSERT_FALSE(comments.empty());
  const std::string& body = comments[0].body;
  EXPECT_NE(body.find("needs review+ from a reviewer with commit level 3"), std::string::npos) << body;
  EXPECT_NE(body.find("junior@example.org (who asked) has commit level 1; central needs level 3"), std::string::npos)
      << body;
  EXPECT_NE(body.find("Bug 5"), std::string::npos) << body;  // the message must name the bug
  EXPECT_EQ(changesets(try_), 1);
}

// Hardening issue, item 13: a patch reviewed by its own author landed on a
// trunk. The author's review+ does not count there (queue.allow_self_review).
TEST_F(QueueCycle, ASelfReviewDoesNotCountOnATrunk) {
  add_bug(15, 151, make_patch("s.txt", "s\n", "Bug 15 - add s r=dev"), "dev@example.org");
  PatchSet ps = run_until_done(request(15, 151, "central"));
  EXPECT_EQ(ps.state, State::rejected);
  auto comments = *store_->comments_for(ps.id);
  ASSERT_FALSE(comments.empty());
  EXPECT_NE(comments[0].body.find("dev@example.org is the patch's author (self-review does not count on central)"),
            std::string::npos)
      << comments[0].body;
  EXPECT_EQ(changesets(central_), 1);
}

TEST_F(QueueCycle, APatchThatDoesNotApplyFailsNamingTheFileAndHunk) {
  std::string patch = make_patch("a.txt", "one\nTWO\nthree\n", "Bug 6 - edit a");
  // central's a.txt changes under it.
  fs::path wc = dir_ / "other";
  hg({"clone", "-q", central_, wc.string()});
  std::ofstream(wc / "a.txt") << "uno\ndos\ntres\n";
  hg({"commit", "-R", wc.string(), "-m", "Bug 98 - rewrite a r=x", "-u", "x <x@example.org>"});
  hg({"push", "-q", "-R", wc.string(), central_});
  hg({"pull", "-q", "-R", try_, central_});
  add_bug(6, 61, patch, "");
  PatchSet ps = run_until_done(request(6, 61, "try"));
  EXPECT_EQ(ps.state, State::failed);
  EXPECT_NE(ps.state_reason.find("a.txt"), std::string::npos) << ps.state_reason;
  EXPECT_NE(ps.state_reason.find("attachment 61"), std::string::npos) << ps.state_reason;
}

TEST_F(QueueCycle, SwitchesHoldLandingsAndADirectoryOutageOnlyDelays) {
  add_bug(7, 71, make_patch("g.txt", "g\n", "Bug 7 - add g r=rita"), "rita@example.org");
  ASSERT_TRUE(set_kill_switch(*store_, true, "sam").ok());
  PatchSet ps = request(7, 71, "try");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(queue_->pass().ok());
  EXPECT_EQ(store_->get_patchset(ps.id)->state, State::waiting);
  ASSERT_TRUE(set_kill_switch(*store_, false, "sam").ok());
  ps = run_until_done(ps);
  EXPECT_EQ(ps.state, State::reported);

  // The directory is down: validation waits, it does not reject.
  add_bug(8, 81, make_patch("h.txt", "h\n", "Bug 8 - add h r=rita"), "rita@example.org");
  directory_->down = true;
  PatchSet landing = request(8, 81, "central");
  ASSERT_TRUE(queue_->pass().ok());
  EXPECT_EQ(store_->get_patchset(landing.id)->state, State::queued);
  EXPECT_EQ(store_->get_patchset(landing.id)->retries, 1);
  directory_->down = false;

  // A closed trunk holds the landing after its green try run; try was not held.
  ASSERT_TRUE(set_tree_status(*store_, "central", TreeStatus::closed, "infra trouble", "sam").ok());
  for (int i = 0; i < 600; ++i) {
    ASSERT_TRUE(queue_->pass().ok());
    ASSERT_TRUE(poller_->pass().ok());
    PatchSet now = *store_->get_patchset(landing.id);
    if (now.stage == Stage::landing) break;
    ci_->wait_idle(std::chrono::milliseconds(100));
  }
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(queue_->pass().ok());
  PatchSet held = *store_->get_patchset(landing.id);
  ASSERT_FALSE(is_terminal(held.state)) << held.state_reason;
  EXPECT_EQ(held.stage, Stage::landing);
  EXPECT_EQ(held.state, State::waiting);
  EXPECT_EQ(changesets(central_), 1);
  ASSERT_TRUE(set_tree_status(*store_, "central", TreeStatus::open, "", "sam").ok());
  EXPECT_EQ(run_until_done(landing).state, State::landed);
  EXPECT_EQ(changesets(central_), 2);

  int by_sam = 0;
  auto events = store_->list_events({});
  for (const AuditEvent& e : *events) by_sam += e.actor == "sam";
  EXPECT_EQ(by_sam, 4);  // kill switch on and off, tree closed and opened
}

// A Treestatus source whose answers the test sets.
class ScriptedTrees final : public TreeStatusSource {
 public:
  Result<TreeState> status(const std::string&) override {
    if (down) return transient("treestatus is down");
    return TreeState{state, "by the test"};
  }
  TreeStatus state = TreeStatus::closed;
  bool down = false;
};

TEST_F(QueueCycle, ATreestatusServiceHoldsLandingsAndFailsClosed) {
  ScriptedTrees trees;
  QueueOptions o;
  o.grace_period_seconds = 0;
  o.backoff_seconds = 0;
  queue_ = std::make_unique<Queue>(
      *store_, *bugs_, *directory_, clock_, [this](const Branch&) { return vcs_.get(); }, o, &trees);
  add_bug(9, 91, make_patch("i.txt", "i\n", "Bug 9 - add i r=rita"), "rita@example.org");
  PatchSet ps = request(9, 91, "central");
  for (int i = 0; i < 600 && store_->get_patchset(ps.id)->stage != Stage::landing; ++i) {
    ASSERT_TRUE(queue_->pass().ok());
    ASSERT_TRUE(poller_->pass().ok());
    ci_->wait_idle(std::chrono::milliseconds(100));
  }
  // try went ahead (never held); the landing waits while the service says closed...
  auto held = queue_->pass();
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(store_->get_patchset(ps.id)->state, State::waiting);
  // ...and while the service cannot be asked.
  trees.down = true;
  held = queue_->pass();
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->tree_status_unknown, 1);
  EXPECT_EQ(store_->get_patchset(ps.id)->state, State::waiting);
  EXPECT_EQ(changesets(central_), 1);
  trees.down = false;
  trees.state = TreeStatus::open;
  EXPECT_EQ(run_until_done(ps).state, State::landed);
}

}  // namespace
}  // namespace autoland
