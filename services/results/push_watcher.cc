#include "services/results/push_watcher.h"

#include <algorithm>

#include "core/comments.h"
#include "core/try_syntax.h"
#include "util/log.h"

namespace autoland {

namespace {
constexpr size_t kMaxPagesPerPass = 10;  // bounded work per pass; the rest comes next pass
constexpr size_t kMaxReportsPerPass = 1000;
// One push may ask for its results on this many bugs; more are ignored (a
// typo such as a pasted list of 500 numbers must not spam 500 bugs).
constexpr size_t kMaxBugsPerPush = 10;
}  // namespace

Result<PushWatchStats> PushWatcher::pass() {
  PushWatchStats stats;
  AUTOLAND_TRY_ASSIGN(auto branches, store_.list_branches());
  for (const Branch& b : branches) {
    if (!b.is_try()) continue;
    CiResults* ci = ci_for_(b.ci_source);
    if (!ci) continue;
    if (Status s = list_new_pushes(b, *ci, stats); !s.ok()) {
      ++stats.errors;
      LOG_WARN("results", "pushes on " + b.name + ": " + s.error().message);
    }
  }
  AUTOLAND_TRY_ASSIGN(auto watched, store_.unreported_pushes(kMaxReportsPerPass));
  for (const WatchedPush& push : watched) {
    if (Status s = report_if_done(push, stats); !s.ok()) {
      ++stats.errors;
      LOG_WARN("results", "push " + push.revision + " on " + push.branch + ": " + s.error().message);
    }
  }
  return stats;
}

Result<bool> PushWatcher::is_autolands_own(const std::string& revision) {
  PatchSetQuery q;
  q.revision = revision;
  q.limit = 1;
  AUTOLAND_TRY_ASSIGN(auto found, store_.find_patchsets(q));
  if (!found.empty()) return true;
  // Pushed but not recorded as the patchset's revision yet (a crash, or a
  // cancel, between the push and its record): the intent, written before
  // the push left, knows it.
  AUTOLAND_TRY_ASSIGN(auto intent, store_.find_push_intent_with_node(revision));
  return intent.has_value();
}

Status PushWatcher::list_new_pushes(const Branch& branch, CiResults& ci, PushWatchStats& stats) {
  const std::string key = cursor_key(branch.name);
  AUTOLAND_TRY_ASSIGN(auto stored, store_.get_setting(key));
  std::string cursor = stored.value_or("");
  for (size_t page_number = 0; page_number < kMaxPagesPerPass; ++page_number) {
    AUTOLAND_TRY_ASSIGN(auto page, ci.pushes_since(branch.name, cursor));
    for (const CiPush& push : page.pushes) {
      ++stats.seen;
      auto text = find_try_syntax(push.message);
      if (!text) continue;
      auto syntax = parse_try_syntax(*text);
      if (!syntax) {
        // Not ours to refuse: the push went through without autoland.
        LOG_INFO("results", "push " + push.revision + " on " + branch.name + ": try syntax not understood (" +
                                syntax.error().message + "); no results will be posted for it");
        continue;
      }
      if (syntax->post_to_bugs.empty()) continue;
      AUTOLAND_TRY_ASSIGN(auto own, is_autolands_own(push.revision));
      if (own) continue;
      WatchedPush w;
      w.branch = branch.name;
      w.revision = push.revision;
      for (uint64_t bug : syntax->post_to_bugs) {
        if (w.bugs.size() == kMaxBugsPerPush) {
          LOG_WARN("results", "push " + push.revision + " on " + branch.name + " names more than " +
                                  std::to_string(kMaxBugsPerPush) + " bugs in --post-to-bug; only the first " +
                                  std::to_string(kMaxBugsPerPush) + " get its results");
          break;
        }
        if (bug > 0 && std::find(w.bugs.begin(), w.bugs.end(), static_cast<BugId>(bug)) == w.bugs.end()) {
          w.bugs.push_back(static_cast<BugId>(bug));
        }
      }
      if (w.bugs.empty()) continue;
      w.pusher = push.author;
      w.push_time = push.time;
      AUTOLAND_TRY_ASSIGN(auto added, store_.watch_push(w));
      if (added) {
        ++stats.watched;
        std::string bugs;
        for (BugId b : w.bugs) bugs += (bugs.empty() ? "" : ", ") + std::to_string(b);
        LOG_INFO("results", "watching " + branch.name + " push " + push.revision.substr(0, 12) +
                                " for its results on bug(s) " + bugs);
      }
    }
    // Only now: a crash before this line lists the same pushes again, and
    // watching them again adds nothing.
    if (page.next_cursor != cursor) AUTOLAND_TRY(store_.set_cursor(key, page.next_cursor));
    if (page.pushes.empty() || page.next_cursor == cursor) break;
    cursor = page.next_cursor;
  }
  return {};
}

Status PushWatcher::report_if_done(const WatchedPush& push, PushWatchStats& stats) {
  // A push that can no longer be followed (its branch or CI source gone from
  // the config) ends without a comment, and the audit log says why.
  auto drop = [&](const std::string& why) -> Status {
    LOG_WARN("results", "push " + push.revision + " on " + push.branch + ": " + why + "; no results will be posted");
    Status s = store_.report_watched_push(push.branch, push.revision, {}, actor_);
    if (!s.ok() && s.error().kind == ErrorKind::conflict) return {};
    return s;
  };
  auto branch = store_.get_branch(push.branch);
  if (!branch) {
    if (branch.error().kind == ErrorKind::not_found) return drop("the branch is not configured any more");
    return branch.error();
  }
  CiResults* ci = ci_for_(branch->ci_source);
  if (!ci) return drop("its CI source '" + branch->ci_source + "' is not configured");
  const bool late = clock_.now() - push.seen_time > UnixTime{branch->results_timeout_minutes} * 60;

  std::optional<VerdictReport> report;
  auto jobs = ci->jobs(push.branch, push.revision);
  // An error that stays (a revision CI refuses) still ends at the deadline.
  if (!jobs && jobs.error().kind != ErrorKind::not_found && !late) return jobs.error();
  if (jobs && !jobs->empty()) report = judge(to_job_runs(*jobs), branch->max_retriggers);
  // Orange counts as done: nobody reruns somebody else's jobs.
  const bool done = report && report->verdict != Verdict::pending;
  if (!done && !late) {
    ++stats.waiting;
    return {};
  }
  // A push that turned out to be autoland's (its record came after CI saw it)
  // is reported by the results poller on its own bug.
  AUTOLAND_TRY_ASSIGN(auto own, is_autolands_own(push.revision));

  std::vector<NewComment> comments;
  if (!own) {
    for (BugId bug : push.bugs) {
      CommentInput in;
      in.kind = CommentKind::push_results;
      in.bug = bug;
      in.branch = push.branch;
      in.revision = push.revision;
      in.pusher = push.pusher;
      in.report = report;
      if (!done) in.timeout_minutes = branch->results_timeout_minutes;
      in.dedup_key = make_push_dedup_key(push.branch, push.revision, bug);
      comments.push_back({bug, std::string(to_string(CommentKind::push_results)), render_comment(in), in.dedup_key});
    }
  }
  Status s = store_.report_watched_push(push.branch, push.revision, comments, actor_);
  if (!s.ok() && s.error().kind == ErrorKind::conflict) return {};  // another process reported it
  if (s.ok()) ++stats.reported;
  return s;
}

}  // namespace autoland
