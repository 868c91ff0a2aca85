// The trigger's and the commenter's rules, one by one, against the sandbox.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/bugzilla/bugzilla_client.h"
#include "app/store_factory.h"
#include "core/comments.h"
#include "core/lifecycle.h"
#include "sandbox/bugzilla/bugzilla_server.h"
#include "services/commenter/commenter.h"
#include "services/trigger/trigger.h"
#include "util/log.h"
#include "util/strings.h"

namespace autoland {
namespace {

using nlohmann::json;

std::string patch(int n, const std::string& file = "f") {
  return "diff --git a/" + file + std::to_string(n) + " b/" + file + std::to_string(n) + "\n--- a/" + file +
         std::to_string(n) + "\n+++ b/" + file + std::to_string(n) + "\n@@ -1 +1 @@\n-a\n+b\n";
}

json att(int id, const std::string& summary, bool obsolete = false, bool is_patch = true) {
  return {{"id", id},
          {"summary", summary},
          {"data", patch(id)},
          {"is_obsolete", obsolete},
          {"is_patch", is_patch},
          {"creator", "dev@example.org"}};
}

// The real client, with a person editing the whiteboard just before autoland's
// first write to it (the race a conditional write would settle).
class EditsFirst final : public BugTracker {
 public:
  EditsFirst(BugTracker& real, sandbox::BugzillaServer& server, std::string their_whiteboard)
      : real_(real), server_(server), theirs_(std::move(their_whiteboard)) {}
  Result<std::vector<BugSummary>> search(const SearchQuery& q) override { return real_.search(q); }
  Result<Bug> get_bug(BugId id) override { return real_.get_bug(id); }
  Result<std::vector<Attachment>> attachments(BugId bug, bool d) override { return real_.attachments(bug, d); }
  Result<Attachment> attachment(BugId bug, AttachmentId id, bool d) override { return real_.attachment(bug, id, d); }
  Result<std::vector<HistoryEntry>> history(BugId bug) override { return real_.history(bug); }
  Result<int64_t> post_comment(BugId bug, const std::string& text) override { return real_.post_comment(bug, text); }
  Result<std::vector<BugComment>> comments(BugId bug, const std::string& since) override {
    return real_.comments(bug, since);
  }
  Result<BugUpdateResult> update_bug(BugId bug, const BugUpdate& update) override {
    if (update.whiteboard && !edited_) {
      edited_ = true;
      EXPECT_TRUE(server_.set_whiteboard(bug, theirs_, "dev@example.org").ok());
    }
    return real_.update_bug(bug, update);
  }
  Result<User> user(const std::string& email) override { return real_.user(email); }

 private:
  BugTracker& real_;
  sandbox::BugzillaServer& server_;
  std::string theirs_;
  bool edited_ = false;
};

class TriggerRules : public ::testing::Test {
 protected:
  void SetUp() override {
    util::set_log_level(getenv("TEST_LOG") ? util::LogLevel::debug : util::LogLevel::off);
    json seed = {{"keywords", {"checkin-needed"}},
                 {"users",
                  {{{"email", "bot@example.org"}, {"api_key", "k"}, {"groups", {"editbugs"}}},
                   {{"email", "dev@example.org"}, {"api_key", "d"}}}}};
    auto s = sandbox::BugzillaServer::start(seed.dump(), {});
    ASSERT_TRUE(s.ok());
    server_ = std::move(*s);
    auto st = open_store("sqlite://:memory:", clock_);
    ASSERT_TRUE(st.ok());
    store_ = std::move(*st);
    add_branch("try", "", 1);
    add_branch("central", "try", 3);
    add_branch("beta", "", 3);
    Branch closed;
    closed.name = "old";
    closed.repo_url = "/r/old";
    closed.status = BranchStatus::disabled;
    ASSERT_TRUE(store_->create_branch(closed, "t").ok());
    client_ = client_with_key("k");
  }

  // A client of the sandbox acting with `key` (the bot's is "k").
  std::unique_ptr<BugzillaClient> client_with_key(const std::string& key) {
    BugzillaOptions o;
    o.base_url = server_->url();
    o.api_key = key;
    o.key_in_query = true;
    return std::make_unique<BugzillaClient>(o, make_curl_transport({}));
  }

  void add_branch(const std::string& name, const std::string& pretest, int level) {
    Branch b;
    b.name = name;
    b.repo_url = "/r/" + name;
    b.pretest_branch = pretest;
    b.required_level = level;
    ASSERT_TRUE(store_->create_branch(b, "t").ok());
  }

  void add_bug(int id, const std::string& whiteboard, json attachments, json keywords = json::array()) {
    json seed = {{"bugs",
                  {{{"id", id},
                    {"whiteboard", whiteboard},
                    {"whiteboard_set_by", "dev@example.org"},
                    {"keywords", keywords},
                    {"keywords_set_by", "rev@example.org"},
                    {"attachments", attachments}}}}};
    ASSERT_TRUE(server_->add(seed.dump()).ok());
  }

  TriggerStats poll(TriggerOptions options = {}) {
    Trigger t(*store_, *client_, options);
    auto s = t.poll_once();
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return s.ok() ? *s : TriggerStats{};
  }

  std::vector<PatchSet> patchsets(BugId bug) { return *store_->find_patchsets({.bug_id = bug}); }

  std::string refusal(BugId bug) {
    auto due = store_->due_comments(INT64_MAX, 1000);
    for (const auto& c : *due) {
      if (c.bug_id == bug && c.kind == "refused") return c.body;
    }
    return "";
  }

  ManualClock clock_{1'700'000'000};
  std::unique_ptr<sandbox::BugzillaServer> server_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<BugzillaClient> client_;
};

TEST_F(TriggerRules, PatchesOrderedByPartThenId) {
  add_bug(1, "[autoland-try]",
          {att(14, "Part 2: then this"), att(12, "Part 1: first"), att(13, "old", true), att(15, "log", false, false),
           att(11, "no part number")});
  poll();
  auto ps = patchsets(1);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].patches, (std::vector<AttachmentId>{12, 14, 11}));
  EXPECT_EQ(ps[0].branch, "try");
  EXPECT_EQ(ps[0].stage, Stage::try_run);
  EXPECT_EQ(ps[0].requester, "dev@example.org");
  EXPECT_EQ(server_->whiteboard(1), "[autoland-in-queue]");
}

TEST_F(TriggerRules, IdsKeepTheirOrderAndTrySyntax) {
  add_bug(2, "x [autoland-try:22:21:-b do -p linux] y", {att(21, "a"), att(22, "b")});
  poll();
  auto ps = patchsets(2);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].patches, (std::vector<AttachmentId>{22, 21}));
  EXPECT_EQ(ps[0].try_syntax, "-b do -p linux");
  EXPECT_EQ(server_->whiteboard(2), "x [autoland-in-queue] y");
}

TEST_F(TriggerRules, PretestBranchIsFoldedIntoTheLanding) {
  add_bug(3, "[autoland-try,central]", {att(31, "fix")});
  add_bug(4, "[autoland-try,beta]", {att(41, "fix")});
  poll();
  auto folded = patchsets(3);
  ASSERT_EQ(folded.size(), 1u);
  EXPECT_EQ(folded[0].branch, "central");
  EXPECT_EQ(folded[0].stage, Stage::try_run);  // tests on try first
  auto both = patchsets(4);
  ASSERT_EQ(both.size(), 2u);  // beta has no pretest branch: try run and landing apart
  EXPECT_EQ(both[0].branch, "try");
  EXPECT_EQ(both[1].branch, "beta");
  EXPECT_EQ(both[1].stage, Stage::landing);
}

TEST_F(TriggerRules, RefusalsSayWhyAndRemoveTheTag) {
  add_bug(5, "[autoland-nowhere]", {att(51, "fix")});
  add_bug(6, "[autoland-old]", {att(61, "fix")});
  add_bug(7, "[autoland-try:71]", {att(71, "fix", true)});
  add_bug(8, "[autoland-try:51]", {att(81, "fix")});
  add_bug(9, "[autoland-try:91]", {att(91, "log", false, false)});
  add_bug(10, "[autoland-try]", json::array());
  json evil = att(111, "evil");
  evil["data"] = "--- a/../x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n";
  add_bug(11, "keep [autoland-try] this", {evil});
  TriggerStats s = poll();
  EXPECT_EQ(s.refusals, 7u);
  EXPECT_EQ(s.patchsets_created, 0u);
  EXPECT_NE(refusal(5).find("Step branch failed (unknown branch 'nowhere' (known: beta, central, old, try))"),
            std::string::npos)
      << refusal(5);
  EXPECT_NE(refusal(6).find("branch 'old' is disabled"), std::string::npos);
  EXPECT_NE(refusal(7).find("attachment 71 is obsolete"), std::string::npos);
  EXPECT_NE(refusal(8).find("attachment 51 is not on bug 8"), std::string::npos);
  EXPECT_NE(refusal(9).find("attachment 91 is not a patch"), std::string::npos);
  EXPECT_NE(refusal(10).find("bug 10 has no non-obsolete patch attached"), std::string::npos);
  EXPECT_NE(
      refusal(11).find("attachment 111 is not a patch autoland can apply: path '../x' climbs out of the repository"),
      std::string::npos);
  EXPECT_EQ(server_->whiteboard(11), "keep  this");
  // The next pass finds nothing to do and refuses nothing again.
  EXPECT_EQ(poll().refusals, 0u);
  EXPECT_EQ(store_->due_comments(INT64_MAX, 100)->size(), 7u);
}

// One whiteboard edit with 40 tags made 40 patchsets and 40 try pushes: a bug
// has at most queue.max_requests_per_bug in flight, the rest are refused in
// one comment that says so, and their tags come off.
TEST_F(TriggerRules, RequestsInFlightAreBoundedPerBugAndSaySo) {
  json atts = json::array();
  std::string whiteboard;
  for (int i = 0; i < 40; ++i) {
    atts.push_back(att(1000 + i, "part " + std::to_string(i)));
    whiteboard += "[autoland-try:" + std::to_string(1000 + i) + "] ";
  }
  add_bug(40, whiteboard, atts);
  TriggerStats s = poll();
  EXPECT_EQ(s.patchsets_created, 5u);
  EXPECT_EQ(s.refusals, 1u);
  EXPECT_EQ(patchsets(40).size(), 5u);
  std::string said = refusal(40);
  EXPECT_NE(said.find("Step limit failed (bug 40 has 5 requests in flight, and one bug may have 5 "
                      "(queue.max_requests_per_bug); tag it again once one has ended) for [autoland-try:1005], "
                      "[autoland-try:1006], [autoland-try:1007], [autoland-try:1008], [autoland-try:1009] and 30 "
                      "more requests on bug 40."),
            std::string::npos)
      << said;
  EXPECT_EQ(util::trim(server_->whiteboard(40)), "[autoland-in-queue]");
  // Nothing more on the next pass: the refused tags are off the whiteboard.
  TriggerStats again = poll();
  EXPECT_EQ(again.patchsets_created + again.refusals, 0u);
  EXPECT_EQ(store_->due_comments(INT64_MAX, 100)->size(), 1u);
}

TEST_F(TriggerRules, RequestsInFlightAreBoundedPerRequester) {
  for (int b = 41; b < 45; ++b) add_bug(b, "[autoland-try]", {att(b * 10, "fix")});
  TriggerOptions o;
  o.limits.per_requester = 3;
  TriggerStats s = poll(o);
  EXPECT_EQ(s.patchsets_created, 3u);
  EXPECT_EQ(s.refusals, 1u);
  EXPECT_NE(refusal(44).find("dev@example.org has 3 requests in flight, and one person may have 3 "
                             "(queue.max_requests_per_requester)"),
            std::string::npos)
      << refusal(44);
  // One ends: the same person may ask again.
  PatchSet first = patchsets(41)[0];
  TransitionWrite w{first.id, first.state, first.version, State::cancelled};
  w.actor = "t";
  ASSERT_TRUE(store_->apply_transition(w).ok());
  ASSERT_TRUE(server_->set_whiteboard(44, "[autoland-try]", "dev@example.org").ok());
  EXPECT_EQ(poll(o).patchsets_created, 1u);
}

TEST_F(TriggerRules, CheckinNeededActsLikeATag) {
  add_bug(12, "[good first bug]", {att(121, "fix")}, {"checkin-needed"});
  TriggerOptions o;
  o.checkin_needed_branch = "central";
  poll(o);
  auto ps = patchsets(12);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].branch, "central");
  EXPECT_EQ(ps[0].requester, "rev@example.org");  // who set the keyword
  EXPECT_EQ(server_->whiteboard(12), "[good first bug] [autoland-in-queue]");
  poll(o);  // the marker says it is taken
  EXPECT_EQ(patchsets(12).size(), 1u);
}

TEST_F(TriggerRules, ReTaggingLaterIsANewRequest) {
  add_bug(13, "[autoland-try]", {att(131, "fix")});
  poll();
  ASSERT_EQ(patchsets(13).size(), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // Bugzilla times have whole seconds
  ASSERT_TRUE(server_->set_whiteboard(13, "[autoland-try]", "dev@example.org").ok());
  poll();
  EXPECT_EQ(patchsets(13).size(), 2u);
}

TEST_F(TriggerRules, APassThatCouldNotWriteTheWhiteboardIsFinishedByTheNext) {
  add_bug(14, "[autoland-try]", {att(141, "fix")});
  // The developer's key can read but not edit: the patchset is created, the
  // whiteboard write is refused (115), the tag stays, as after a crash.
  auto no_editbugs_client = client_with_key("d");
  BugzillaClient& no_editbugs = *no_editbugs_client;
  Trigger first(*store_, no_editbugs, {});
  ASSERT_TRUE(first.poll_once().ok());
  ASSERT_EQ(patchsets(14).size(), 1u);
  ASSERT_EQ(server_->whiteboard(14), "[autoland-try]");
  TriggerStats s = poll();
  EXPECT_EQ(s.patchsets_created, 0u);
  EXPECT_EQ(s.requests_already_taken, 1u);
  EXPECT_EQ(patchsets(14).size(), 1u);
  EXPECT_EQ(server_->whiteboard(14), "[autoland-in-queue]");
}

TEST_F(TriggerRules, LaterEditsElsewhereOnTheWhiteboardAreNotNewRequests) {
  add_bug(15, "[autoland-try]", {att(151, "fix")});
  auto no_editbugs_client = client_with_key("d");  // cannot edit: the tag stays after the first pass
  BugzillaClient& no_editbugs = *no_editbugs_client;
  Trigger first(*store_, no_editbugs, {});
  ASSERT_TRUE(first.poll_once().ok());
  ASSERT_EQ(patchsets(15).size(), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  // A sheriff adds a note; the history entry repeats the tag in both values.
  ASSERT_TRUE(server_->set_whiteboard(15, "[autoland-try] [note]", "sheriff@example.org").ok());
  TriggerStats s = poll();
  EXPECT_EQ(s.patchsets_created, 0u);
  ASSERT_EQ(patchsets(15).size(), 1u);
  EXPECT_EQ(patchsets(15)[0].requester, "dev@example.org");
  EXPECT_EQ(server_->whiteboard(15), "[autoland-in-queue] [note]");
}

TEST_F(TriggerRules, ABrokenTagNextToAGoodOneIsCutAtItsOwnPlace) {
  add_bug(16, "[autoland-try] [autoland-try:abc]", {att(161, "fix")});
  TriggerStats s = poll();
  EXPECT_EQ(s.patchsets_created, 1u);
  EXPECT_EQ(s.refusals, 1u);
  EXPECT_EQ(server_->whiteboard(16), "[autoland-in-queue] ");
  // An unclosed one is refused once but never cut: its text may run into
  // the words a person wrote after it.
  add_bug(17, "[autoland-try] [autoland-try please", {att(171, "fix")});
  TriggerStats t = poll();
  EXPECT_EQ(t.patchsets_created, 1u);
  EXPECT_EQ(t.refusals, 1u);
  EXPECT_EQ(server_->whiteboard(17), "[autoland-in-queue] [autoland-try please");
  EXPECT_EQ(poll().refusals, 0u);
}

TEST_F(TriggerRules, AnEditMadeWhileTheMarkerIsWrittenIsKept) {
  // The developer takes the tag off just as autoland swaps it for the marker:
  // their empty whiteboard wins (and the request is then withdrawn), where the
  // marker used to stay, overwriting their edit.
  add_bug(70, "[autoland-try]", {att(701, "p")});
  EditsFirst racing(*client_, *server_, "");
  Trigger t(*store_, racing, {});
  ASSERT_TRUE(t.poll_once().ok());
  EXPECT_EQ(patchsets(70).size(), 1u);
  EXPECT_EQ(server_->whiteboard(70), "");
  // An edit elsewhere on the whiteboard keeps the marker and their text.
  add_bug(71, "[autoland-try] notes", {att(711, "p")});
  EditsFirst elsewhere(*client_, *server_, "[autoland-try] more notes");
  Trigger t2(*store_, elsewhere, {});
  ASSERT_TRUE(t2.poll_once().ok());
  EXPECT_EQ(server_->whiteboard(71), "[autoland-in-queue] more notes");
}

TEST_F(TriggerRules, AutolandsOwnHistoryNeverMakesARequest) {
  add_bug(17, "", {att(171, "fix")});
  // The bot itself wrote the tag (e.g. re-applying an edit): no requester.
  ASSERT_TRUE(server_->set_whiteboard(17, "[autoland-try]", "bot@example.org").ok());
  TriggerOptions o;
  o.bot_login = "BOT@example.org";
  poll(o);
  auto ps = patchsets(17);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_NE(ps[0].requester, "bot@example.org");  // the creator, from the bug
}

class CommenterRules : public TriggerRules {};

TEST_F(CommenterRules, ReleasingATryRunKeepsAnUnrelatedCheckinNeeded) {
  add_bug(24, "[autoland-try]", {att(241, "fix")}, {"checkin-needed"});
  poll();  // checkin-needed is not mapped here: only the tag is a request
  auto ps = patchsets(24);
  ASSERT_EQ(ps.size(), 1u);
  TransitionWrite w{ps[0].id, State::queued, ps[0].version, State::cancelled};
  w.actor = "t";
  w.comments = {{24, std::string(kReleaseMarkerAction), "", "release-24"}};
  ASSERT_TRUE(store_->apply_transition(w).ok());
  CommenterOptions co;
  co.clear_checkin_needed = true;
  Commenter c(*store_, *client_, clock_, co);
  ASSERT_TRUE(c.drain_once().ok());
  EXPECT_EQ(server_->whiteboard(24), "");
  EXPECT_EQ(server_->keywords(24), std::vector<std::string>{"checkin-needed"});
}

TEST_F(CommenterRules, AnEditMadeWhileTheMarkerIsReleasedIsKept) {
  add_bug(72, "[autoland-try] notes", {att(721, "fix")});
  poll();
  EXPECT_EQ(server_->whiteboard(72), "[autoland-in-queue] notes");
  auto ps = patchsets(72);
  ASSERT_EQ(ps.size(), 1u);
  TransitionWrite w{ps[0].id, State::queued, ps[0].version, State::cancelled};
  w.actor = "t";
  w.comments = {{72, std::string(kReleaseMarkerAction), "", "release-72"}};
  ASSERT_TRUE(store_->apply_transition(w).ok());
  // The developer takes the marker off and rewrites the notes at that moment.
  EditsFirst racing(*client_, *server_, "other notes");
  Commenter c(*store_, racing, clock_, {});
  ASSERT_TRUE(c.drain_once().ok());
  EXPECT_EQ(server_->whiteboard(72), "other notes");
}

// The real client; after each post another poster (a second process)
// records the same comment as posted first, as two commenters racing do.
class SettledElsewhere final : public BugTracker {
 public:
  SettledElsewhere(BugTracker& real, std::function<void()> other) : real_(real), other_(std::move(other)) {}
  Result<std::vector<BugSummary>> search(const SearchQuery& q) override { return real_.search(q); }
  Result<Bug> get_bug(BugId id) override { return real_.get_bug(id); }
  Result<std::vector<Attachment>> attachments(BugId bug, bool d) override { return real_.attachments(bug, d); }
  Result<Attachment> attachment(BugId bug, AttachmentId id, bool d) override { return real_.attachment(bug, id, d); }
  Result<std::vector<HistoryEntry>> history(BugId bug) override { return real_.history(bug); }
  Result<int64_t> post_comment(BugId bug, const std::string& text) override {
    auto posted = real_.post_comment(bug, text);
    other_();
    return posted;
  }
  Result<std::vector<BugComment>> comments(BugId bug, const std::string& since) override {
    return real_.comments(bug, since);
  }
  Result<BugUpdateResult> update_bug(BugId bug, const BugUpdate& update) override {
    return real_.update_bug(bug, update);
  }
  Result<User> user(const std::string& email) override { return real_.user(email); }

 private:
  BugTracker& real_;
  std::function<void()> other_;
};

// Hardening issue, item 19: the loser of that race logged an ERROR and ended
// its pass; it is normal, and the pass goes on to the next comment.
TEST_F(CommenterRules, ACommentSettledByAnotherPosterIsNoError) {
  add_bug(24, "", json::array());
  auto queued = store_->enqueue_comment({24, "manual", "one", "k1"}, std::nullopt);
  ASSERT_TRUE(queued.ok() && queued->has_value());
  int64_t first = **queued;
  ASSERT_TRUE(store_->enqueue_comment({24, "manual", "two", "k2"}, std::nullopt).ok());
  bool raced = false;
  SettledElsewhere racing(*client_, [&] {
    if (raced) return;
    raced = true;
    EXPECT_TRUE(store_->mark_comment_posted(first, std::nullopt).ok());
  });
  Commenter c(*store_, racing, clock_, {});
  auto s = c.drain_once();
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->posted, 1u);  // the second; the first is the other poster's
  EXPECT_EQ(store_->get_comment(first)->state, CommentState::posted);
}

TEST_F(CommenterRules, RateLimitPerBug) {
  add_bug(20, "", json::array());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        store_->enqueue_comment({20, "manual", "c" + std::to_string(i), "k" + std::to_string(i)}, std::nullopt).ok());
  }
  CommenterOptions o;
  o.max_per_bug_per_hour = 3;
  Commenter c(*store_, *client_, clock_, o);
  auto s = c.drain_once();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->posted, 3u);
  EXPECT_EQ(s->rate_limited, 2u);
  EXPECT_EQ(server_->comments(20).size(), 3u);
  clock_.advance(3601);
  EXPECT_EQ(c.drain_once()->posted, 2u);
}

TEST_F(CommenterRules, MarkerStaysWhileAnotherRequestIsLive) {
  add_bug(21, "[autoland-try] [autoland-try:211]", {att(211, "fix")});
  poll();
  auto ps = patchsets(21);
  ASSERT_EQ(ps.size(), 2u);
  ASSERT_EQ(server_->whiteboard(21), "[autoland-in-queue] ");
  // The first one ends: its release must not drop the marker of the second.
  TransitionWrite w{ps[0].id, State::queued, ps[0].version, State::cancelled};
  w.actor = "t";
  w.comments = {{21, std::string(kReleaseMarkerAction), "", "release-1"}};
  ASSERT_TRUE(store_->apply_transition(w).ok());
  Commenter c(*store_, *client_, clock_, {});
  ASSERT_TRUE(c.drain_once().ok());
  EXPECT_EQ(server_->whiteboard(21), "[autoland-in-queue] ");
  TransitionWrite w2{ps[1].id, State::queued, ps[1].version, State::cancelled};
  w2.actor = "t";
  w2.comments = {{21, std::string(kReleaseMarkerAction), "", "release-2"}};
  ASSERT_TRUE(store_->apply_transition(w2).ok());
  ASSERT_TRUE(c.drain_once().ok());
  EXPECT_EQ(server_->whiteboard(21), "");
}

TEST_F(CommenterRules, MarkersFromOtherAuthorsAreNotTrusted) {
  add_bug(22, "", json::array());
  // Someone else pasted autoland's marker into a comment.
  auto dev_client = client_with_key("d");
  BugzillaClient& dev = *dev_client;
  ASSERT_TRUE(dev.post_comment(22, "quoting the bot:\nautoland-dedup: spoofed").ok());
  ASSERT_TRUE(store_->enqueue_comment({22, "manual", "real\nautoland-dedup: spoofed", "spoofed"}, std::nullopt).ok());
  auto due = store_->due_comments(INT64_MAX, 10);
  ASSERT_TRUE(store_->record_comment_attempt((*due)[0].id, 0, clock_.now()).ok());  // as if a post had been tried
  CommenterOptions co;
  co.bot_login = "bot@example.org";
  Commenter c(*store_, *client_, clock_, co);
  auto s = c.drain_once();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->posted, 1u);
  EXPECT_EQ(s->found_already_posted, 0u);
  EXPECT_EQ(server_->comments(22).size(), 2u);
}

TEST_F(CommenterRules, BadKeyStopsThePassAndLosesNothing) {
  add_bug(23, "", json::array());
  ASSERT_TRUE(store_->enqueue_comment({23, "manual", "a", "a"}, std::nullopt).ok());
  ASSERT_TRUE(store_->enqueue_comment({23, "manual", "b", "b"}, std::nullopt).ok());
  auto revoked_client = client_with_key("revoked");
  BugzillaClient& revoked = *revoked_client;
  Commenter c(*store_, revoked, clock_, {});
  auto s = c.drain_once();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, 306);
  clock_.advance(100000);
  EXPECT_EQ(store_->due_comments(clock_.now(), 10)->size(), 2u);  // both still pending
}

// A proxy answers 504 and Bugzilla stores the post later (here 1.5 s; in the
// field, 40 s): the commenter leaves the post alone for its lease, then finds
// it on the bug instead of posting it again.
TEST_F(CommenterRules, APostStoredAfterItsAnswerWasLostIsFoundNotPostedAgain) {
  std::vector<int64_t> ids;
  for (BugId b = 30; b < 42; ++b) {
    add_bug(static_cast<int>(b), "", json::array());
    std::string key = "late/" + std::to_string(b);
    auto q = store_->enqueue_comment({b, "manual", with_dedup_marker("note", key), key}, std::nullopt);
    ASSERT_TRUE(q.ok() && q->has_value());
    ids.push_back(**q);
  }
  sandbox::FaultPlan late;
  late.late_rate = 1;
  late.late_ms = 1500;
  server_->set_faults(late);
  CommenterOptions co;
  co.bot_login = "bot@example.org";
  co.lease_seconds = 120;
  Commenter c(*store_, *client_, clock_, co);
  auto first = c.drain_once();
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->deferred, 12u);
  EXPECT_EQ(server_->stats().requests, 12u);  // one POST each: none resent blindly

  // The backoff alone (30 s) would have posted them again here, before the
  // late stores arrived (Bugzilla answers normally again meanwhile).
  server_->set_faults({});
  clock_.advance(60);
  auto early = c.drain_once();
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->posted + early->found_already_posted, 0u);

  // The late stores land (within the lease, which is the promise).
  for (int i = 0; i < 500 && server_->stats().comments_posted < 12; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(server_->stats().comments_posted, 12u);
  clock_.advance(61);
  auto after = c.drain_once();
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->found_already_posted, 12u);
  EXPECT_EQ(after->posted, 0u);
  for (BugId b = 30; b < 42; ++b) EXPECT_EQ(server_->comments(b).size(), 1u) << "bug " << b;
  for (int64_t id : ids) EXPECT_EQ(store_->get_comment(id)->state, CommentState::posted);
}

// The sibling: a post refused before it took effect (an HTML 500) after the
// same wait is looked for, missing, and posted once.
TEST_F(CommenterRules, APostLostBeforeItWasStoredIsPostedOnceAfterTheWait) {
  add_bug(43, "", json::array());
  auto q = store_->enqueue_comment({43, "manual", with_dedup_marker("note", "lost/43"), "lost/43"}, std::nullopt);
  ASSERT_TRUE(q.ok() && q->has_value());
  sandbox::FaultPlan lost;
  lost.error_rate = 1;
  lost.after_share = 0;
  server_->set_faults(lost);
  CommenterOptions co;
  co.bot_login = "bot@example.org";
  co.lease_seconds = 120;
  Commenter c(*store_, *client_, clock_, co);
  ASSERT_EQ(c.drain_once()->deferred, 1u);
  server_->set_faults({});
  clock_.advance(60);
  EXPECT_EQ(c.drain_once()->posted, 0u);
  clock_.advance(61);
  EXPECT_EQ(c.drain_once()->posted, 1u);
  ASSERT_EQ(server_->comments(43).size(), 1u);
  EXPECT_EQ(find_dedup_marker(server_->comments(43)[0].text), "lost/43");
}

// `autoland comment --text` writes a person's text: it carries the marker too,
// so a post cut off by a crash is found on the bug, not posted again.
TEST_F(CommenterRules, AManualCommentCutOffByACrashIsFoundNotPostedAgain) {
  add_bug(44, "", json::array());
  std::string body = with_dedup_marker("Please back this out.\n", "manual/44/1/2");
  EXPECT_EQ(body, "Please back this out.\n\nautoland-dedup: manual/44/1/2");
  auto q = store_->enqueue_comment({44, "manual", body, "manual/44/1/2"}, std::nullopt);
  ASSERT_TRUE(q.ok() && q->has_value());
  // The crash: the attempt was recorded and the post went out, nothing after.
  ASSERT_TRUE(store_->record_comment_attempt(**q, 0, clock_.now() + 300).ok());
  ASSERT_TRUE(client_->post_comment(44, body).ok());
  CommenterOptions co;
  co.bot_login = "bot@example.org";
  Commenter c(*store_, *client_, clock_, co);
  EXPECT_EQ(c.drain_once()->posted, 0u);  // still leased
  clock_.advance(301);
  auto s = c.drain_once();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->found_already_posted, 1u);
  EXPECT_EQ(server_->comments(44).size(), 1u);
}

// Any entry queued without its marker gets it when posted, so that a retry
// can find it (the manual comment had none and went out twice).
TEST_F(CommenterRules, EveryPostCarriesItsMarker) {
  add_bug(45, "", json::array());
  ASSERT_TRUE(store_->enqueue_comment({45, "manual", "Landing after the freeze.", "manual/45/1/3"}, std::nullopt).ok());
  Commenter c(*store_, *client_, clock_, {});
  EXPECT_EQ(c.drain_once()->posted, 1u);
  ASSERT_EQ(server_->comments(45).size(), 1u);
  EXPECT_EQ(server_->comments(45)[0].text, "Landing after the freeze.\n\nautoland-dedup: manual/45/1/3");
}

}  // namespace
}  // namespace autoland
