// autoland demo: what the main job does, on the embedded default (SQLite
// store), with sample inputs. Until the sandbox (local Bugzilla, hg remotes,
// CI) exists, it runs the parsers over sample inputs and walks one patchset
// through the real lifecycle table, landing policy, CI verdicts and comment
// templates, writing everything to a real SQLite store; it says so up front.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/bug_tracker_factory.h"
#include "app/store_factory.h"
#include "cli/command.h"
#include "core/ci_verdict.h"
#include "core/commit_message.h"
#include "core/landing_policy.h"
#include "core/patch.h"
#include "core/try_syntax.h"
#include "core/whiteboard.h"
#include "sandbox/bugzilla/bugzilla_server.h"
#include "services/commenter/commenter.h"
#include "services/transitions.h"
#include "services/trigger/trigger.h"
#include "util/strings.h"

namespace autoland::cli {
namespace {

constexpr std::string_view kWhiteboard =
    "[perf] [autoland-try,mozilla-central:101:102:-b do -p linux64 -u all] [autoland-try:abc]";

constexpr std::string_view kPatch = R"(# HG changeset patch
# User Jane Doe <jane@example.org>
# Date 1700000000 0
#      Tue Nov 14 22:13:20 2023 +0000
# Node ID 9f8e7d6c5b4a39281706f5e4d3c2b1a098765432
# Parent  0123456789abcdef0123456789abcdef01234567
Bug 4242 - Make the widget frobnicate faster r=alice

The old loop was quadratic.

diff --git a/widget/frob.cpp b/widget/frob.cpp
--- a/widget/frob.cpp
+++ b/widget/frob.cpp
@@ -1,3 +1,3 @@
 int frob(int n) {
-  return slow(n);
+  return fast(n);
 }
diff --git a/widget/fast.h b/widget/fast.h
new file mode 100644
--- /dev/null
+++ b/widget/fast.h
@@ -0,0 +1,1 @@
+int fast(int n);
)";

void heading(const std::string& text) { std::cout << "\n== " << text << " ==\n"; }

struct Demo {
  Store& store;
  ManualClock& clock;

  Result<PatchSet> step(const PatchSet& p, Event e, StepRequest r = {}) {
    r.event = e;
    if (r.actor.empty()) r.actor = "demo";
    clock.advance(60);
    auto out = advance(store, clock, p, r);
    if (!out) return out.error();
    std::cout << "  " << to_string(p.state) << " --" << to_string(e) << "--> " << to_string(out->patchset.state);
    for (const Effect& fx : out->effects) {
      std::cout << "  [" << to_string(fx.kind);
      if (fx.comment) std::cout << ":" << to_string(*fx.comment);
      std::cout << "]";
    }
    std::cout << "\n";
    return out->patchset;
  }
};

int run_demo(const Invocation& inv, const std::string& db_path) {
  std::cout << "autoland demo, on the embedded default (SQLite at " << db_path
            << ").\n"
               "A sandbox Bugzilla runs in this process; the hg remotes and the CI runner come with later\n"
               "work, so pushes and CI results are simulated by the lifecycle steps below and say so.\n";

  heading("whiteboard");
  std::cout << "  " << kWhiteboard << "\n";
  WhiteboardScan scan = scan_whiteboard(kWhiteboard);
  for (const auto& t : scan.tags) {
    std::cout << "  tag " << t.text << ": branches";
    for (const auto& b : t.branches) std::cout << " " << b;
    std::cout << ", attachments";
    for (auto a : t.attachments) std::cout << " " << a;
    std::cout << ", try syntax \"" << t.try_syntax << "\"\n";
  }
  for (const auto& e : scan.errors) std::cout << "  refused " << e.text << ": " << e.reason << "\n";
  if (scan.tags.empty()) return fail("the sample whiteboard has no usable tag");
  const WhiteboardTag& tag = scan.tags.front();
  auto syntax = parse_try_syntax(tag.try_syntax);
  if (!syntax) return fail(syntax.error());
  std::cout << "  try syntax normalized: " << format_try_syntax(*syntax) << "\n";
  auto replaced = replace_tag(kWhiteboard, tag, kInQueueTag);
  if (!replaced) return fail(replaced.error());
  std::cout << "  whiteboard after pick-up: " << *replaced << "\n";

  heading("patch");
  auto patch = parse_patch(kPatch);
  if (!patch) return fail(patch.error());
  std::cout << "  " << to_string(patch->format) << " by " << patch->author << ": " << patch->summary() << "\n";
  for (const auto& f : patch->files) {
    std::cout << "  " << to_string(f.kind) << " " << f.path << " (+" << f.lines_added << " -" << f.lines_removed
              << ")\n";
  }
  CommitMessageInfo info = parse_commit_message(patch->message);
  auto problems = landing_message_problems(info, 4242);
  std::cout << "  landing rule for bug 4242: " << (problems.empty() ? "passes" : problems.front()) << "\n";

  heading("store");
  ManualClock clock(1'700'000'000);
  auto store = open_store("sqlite://" + db_path, clock, /*migrate=*/true, /*create=*/true);
  if (!store) return fail(store.error());
  auto config = inv.load_config();
  if (!config) return fail(config.error());
  std::vector<Branch> branches = config->branches;
  if (branches.empty()) {
    Branch try_branch{.name = "try", .repo_url = "/tmp/try", .threshold = 2, .required_level = 1};
    Branch central{.name = "mozilla-central", .repo_url = "/tmp/central", .pretest_branch = "try"};
    branches = {try_branch, central};
  }
  for (const Branch& b : branches) {
    auto existing = (*store)->get_branch(b.name);
    if (existing) continue;
    auto created = (*store)->create_branch(b, "demo");
    if (!created) return fail(created.error());
    std::cout << "  branch " << created->name << " (threshold " << created->threshold << ")\n";
  }

  heading("sandbox Bugzilla: the trigger picks the request up");
  nlohmann::json seed = {
      {"users",
       {{{"email", "autoland-bot@example.org"},
         {"real_name", "Autoland Bot"},
         {"api_key", "demo-bot-key"},
         {"groups", {"editbugs"}}},
        {{"email", "jane@example.org"}, {"real_name", "Jane Doe [:jane]"}, {"api_key", "demo-jane-key"}}}},
      {"bugs",
       {{{"id", 4242},
         {"summary", "Make the widget frobnicate faster"},
         {"creator", "jane@example.org"},
         {"whiteboard", "[perf] [autoland-mozilla-central]"},
         {"whiteboard_set_by", "jane@example.org"},
         {"attachments",
          {{{"id", 101},
            {"summary", "Part 1: faster frobnication"},
            {"data", std::string(kPatch)},
            {"creator", "jane@example.org"},
            {"flags", {{{"name", "review"}, {"status", "+"}, {"setter", "alice@example.org"}}}}}}}},
        {{"id", 4243},
         {"summary", "A typo in a tag"},
         {"creator", "jane@example.org"},
         {"whiteboard", "[autoland-try:abc]"},
         {"whiteboard_set_by", "jane@example.org"}}}}};
  auto server = sandbox::BugzillaServer::start(seed.dump(), {});
  if (!server) return fail(server.error());
  std::cout << "  sandbox Bugzilla on " << (*server)->url() << "; bug 4242 whiteboard: " << (*server)->whiteboard(4242)
            << "\n";
  BugzillaConfig bz;
  bz.url = (*server)->url();
  bz.api_key = "demo-bot-key";
  bz.auth = "query";
  bz.timeout_seconds = 5;
  auto tracker = open_bug_tracker(bz);
  if (!tracker) return fail(tracker.error());
  TriggerOptions trigger_options;
  trigger_options.bot_login = "autoland-bot@example.org";
  Trigger trigger(**store, **tracker, clock, trigger_options);
  auto picked = trigger.poll_once();
  if (!picked) return fail(picked.error());
  std::cout << "  trigger: " << picked->bugs_seen << " bugs seen, " << picked->patchsets_created << " queued, "
            << picked->refusals << " refused\n";
  std::cout << "  bug 4242 whiteboard now: " << (*server)->whiteboard(4242) << "\n";
  auto queued = (*store)->find_patchsets({.bug_id = 4242});
  if (!queued || queued->empty()) return fail("the trigger queued nothing for bug 4242");
  PatchSet queued_ps = queued->back();
  std::cout << "  patchset " << queued_ps.id << ": bug " << queued_ps.bug_id << " to " << queued_ps.branch
            << " via try, "
            << "requested by " << queued_ps.requester << "\n";
  auto ps = Result<PatchSet>(queued_ps);

  heading("lifecycle");
  Demo demo{**store, clock};
  PatchSet p = *ps;
  auto go = [&](Event e, StepRequest r = {}) -> bool {
    auto next = demo.step(p, e, std::move(r));
    if (!next) {
      fail(next.error());
      return false;
    }
    p = *next;
    return true;
  };
  if (!go(Event::start_validation) || !go(Event::validated)) return kExitFailed;

  auto decisions = decide_landings({.branches = {{"try", 2, true, TreeStatus::open, true}},
                                    .in_flight = {{"try", 0}},
                                    .waiting = {{p.id, "try", 0, p.creation_time, false}}});
  if (decisions.empty() || !decisions.front().start) return fail("the landing policy held the sample patchset");
  std::cout << "  landing policy: start\n";

  std::cout << "  (simulated: the pusher is not built yet)\n";
  StepRequest pushed;
  pushed.changes.try_revision = "a1b2c3d4e5f6";
  if (!go(Event::start_push) || !go(Event::pushed, pushed)) return kExitFailed;

  std::cout << "  (simulated CI results: the CI runner is not built yet)\n";
  std::vector<JobRun> runs = {{"1", "build-linux64", JobResult::success, "", ""},
                              {"2", "mochitest-1", JobResult::testfailed, "", "https://ci.example/logs/2"},
                              {"3", "xpcshell", JobResult::success, "", ""}};
  VerdictReport first = judge(runs, 2);
  if (first.verdict != Verdict::orange || first.retrigger.empty()) return fail("unexpected verdict on sample jobs");
  std::cout << "  CI verdict: " << to_string(first.verdict) << ", retrigger " << first.retrigger.front() << "\n";
  if (!go(Event::results_orange)) return kExitFailed;
  runs.push_back({"4", "mochitest-1", JobResult::success, "", ""});
  VerdictReport second = judge(runs, 2);
  std::cout << "  CI verdict after the rerun: " << to_string(second.verdict)
            << " (intermittent: " << util::join(second.intermittent, ", ") << ")\n";
  StepRequest green;
  green.report = second;
  if (!go(Event::results_green, green)) return kExitFailed;

  StepRequest landed_push;
  landed_push.changes.landing_revision = "f6e5d4c3b2a1";
  if (!go(Event::start_push) || !go(Event::pushed, landed_push)) return kExitFailed;
  StepRequest trunk_green;
  trunk_green.report = judge({{"9", "build-linux64", JobResult::success, "", ""}}, 2);
  if (!go(Event::results_green, trunk_green)) return kExitFailed;

  heading("the commenter posts to the sandbox Bugzilla");
  CommenterOptions commenter_options;
  commenter_options.bot_login = "autoland-bot@example.org";
  Commenter commenter(**store, **tracker, clock, commenter_options);
  auto drained = commenter.drain_once();
  if (!drained) return fail(drained.error());
  std::cout << "  " << drained->posted << " comments posted, " << drained->marker_edits << " whiteboard edits\n";
  for (BugId bug : {BugId{4242}, BugId{4243}}) {
    std::cout << "  bug " << bug << " whiteboard: '" << (*server)->whiteboard(bug) << "'\n";
    for (const auto& c : (*server)->comments(bug)) {
      std::cout << "  -- comment " << c.id << " by " << c.creator << ":\n";
      for (std::string_view line : util::split_lines(c.text)) std::cout << "     " << line << "\n";
    }
  }

  heading("outbox (as stored)");
  auto comments = (*store)->comments_for(p.id);
  if (!comments) return fail(comments.error());
  for (const auto& c : *comments) {
    if (c.body.empty()) {
      std::cout << "-- bug " << c.bug_id << " [" << c.kind << "]: remove [autoland-in-queue] from the whiteboard\n";
    } else {
      std::cout << "-- bug " << c.bug_id << " [" << c.kind << "]\n" << c.body << "\n";
    }
  }

  heading("audit log");
  auto events = (*store)->list_events({.patchset_id = p.id});
  if (!events) return fail(events.error());
  for (const auto& e : *events) std::cout << "  " << e.actor << " " << e.what << ": " << e.detail << "\n";

  std::cout << "\ndemo finished: patchset " << p.id << " is " << to_string(p.state) << "\n";
  return kExitOk;
}

}  // namespace

void register_demo_command(CLI::App& app, Invocation& inv) {
  auto* demo = app.add_subcommand("demo", "Run the parsers and the lifecycle on sample inputs (embedded default)");
  auto db = std::make_shared<std::string>();
  demo->add_option("--db", *db, "SQLite file to write (default: a fresh one under the temp dir)");
  demo->callback([&inv, db] {
    inv.action = [&inv, db] {
      std::string path = *db;
      if (path.empty()) {
        auto dir = std::filesystem::temp_directory_path() / ("autoland-demo-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        path = (dir / "autoland.db").string();
      }
      return run_demo(inv, path);
    };
  });
}

}  // namespace autoland::cli
