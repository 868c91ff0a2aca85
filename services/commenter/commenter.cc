#include "services/commenter/commenter.h"

#include <algorithm>

#include "core/comments.h"
#include "core/lifecycle.h"
#include "core/whiteboard.h"
#include "services/whiteboard_write.h"
#include "util/log.h"
#include "util/strings.h"

namespace autoland {
namespace {

bool bug_is_gone(const Error& e) {
  return e.code == bugzilla_code::bug_not_found || e.code == bugzilla_code::invalid_bug_id ||
         e.code == bugzilla_code::bug_access_denied;
}

// Problems with the bot's own account: nothing will work until a human fixes it.
bool account_problem(const Error& e) {
  return e.code == bugzilla_code::invalid_api_key || e.code == bugzilla_code::login_required;
}

}  // namespace

Commenter::Commenter(Store& store, BugTracker& bugs, const Clock& clock, CommenterOptions options)
    : store_(store), bugs_(bugs), clock_(clock), options_(std::move(options)) {}

Result<bool> Commenter::rate_limited(BugId bug) {
  UnixTime now = clock_.now();
  AUTOLAND_TRY_ASSIGN(int64_t on_bug, store_.count_posted_comments(bug, now - 3600 + 1));
  if (on_bug >= options_.max_per_bug_per_hour) return true;
  AUTOLAND_TRY_ASSIGN(int64_t everywhere, store_.count_posted_comments(std::nullopt, now - 60 + 1));
  return everywhere >= options_.max_per_minute;
}

Status Commenter::fail(const OutboxComment& c, const Error& error, Outcome* outcome) {
  if (bug_is_gone(error)) {
    // Drop every pending entry for this bug, once, with the reason.
    std::string reason = "bug " + std::to_string(c.bug_id) + " does not exist or cannot be seen: " + error.message;
    AUTOLAND_TRY(store_.drop_pending_comments(c.bug_id, reason));
    AUTOLAND_TRY(store_.append_event({0, clock_.now(), c.patchset_id, options_.actor, "bug.inaccessible", reason}));
    LOG_WARN("commenter", reason + "; its comments are dropped");
    *outcome = Outcome::dropped;
    return {};
  }
  if (error.kind == ErrorKind::transient || account_problem(error)) {
    UnixTime delay = options_.backoff_base_seconds << std::min(std::max(c.attempts - 1, 0), 12);
    delay = std::min(delay, options_.backoff_max_seconds);
    // Bugzilla may still store a post whose answer was lost (a proxy that
    // answered 504 can deliver it later): it is looked for, and posted again
    // only if missing, after as long as a crash mid-post is given.
    if (error.outcome_unknown) delay = std::max(delay, options_.lease_seconds);
    AUTOLAND_TRY(store_.mark_comment_failed(c.id, error.message, clock_.now() + delay));
    *outcome = Outcome::deferred;
    if (account_problem(error)) return error;  // stop the pass: every other post would fail too
    return {};
  }
  // Anything else will not get better by retrying (an empty comment, ...).
  AUTOLAND_TRY(store_.mark_comment_failed(c.id, error.message, std::nullopt));
  LOG_WARN("commenter",
           "comment " + std::to_string(c.id) + " on bug " + std::to_string(c.bug_id) + " dropped: " + error.message);
  *outcome = Outcome::dropped;
  return {};
}

// Claims the entry for this attempt, or gives up on it after max_attempts.
Status Commenter::claim(const OutboxComment& c, Outcome* outcome, bool* claimed) {
  *claimed = false;
  if (c.attempts >= options_.max_attempts) {
    AUTOLAND_TRY(store_.mark_comment_failed(
        c.id, "gave up after " + std::to_string(c.attempts) + " attempts; last error: " + c.last_error, std::nullopt));
    LOG_ERROR("commenter", "outbox entry " + std::to_string(c.id) + " for bug " + std::to_string(c.bug_id) +
                               " dropped after " + std::to_string(c.attempts) + " attempts: " + c.last_error);
    *outcome = Outcome::dropped;
    return {};
  }
  Status s = store_.record_comment_attempt(c.id, c.attempts, clock_.now() + options_.lease_seconds);
  if (!s.ok()) {
    if (s.error().kind != ErrorKind::conflict) return s;
    *outcome = Outcome::deferred;  // another drain has it
    return {};
  }
  *claimed = true;
  return {};
}

Result<Commenter::Outcome> Commenter::edit_marker(const OutboxComment& c) {
  Outcome outcome = Outcome::edited;
  bool claimed = false;
  AUTOLAND_TRY(claim(c, &outcome, &claimed));
  if (!claimed) return outcome;
  OutboxComment attempted = c;
  ++attempted.attempts;
  bool release = c.kind == kReleaseMarkerAction;

  // Another request on the same bug may still be in flight: it keeps the
  // marker. The keyword goes only with the request that came from it.
  bool others_live = false;
  bool from_keyword = false;
  if (release) {
    AUTOLAND_TRY_ASSIGN(auto live, store_.find_patchsets({.bug_id = c.bug_id}));
    for (const PatchSet& p : live) {
      if (!is_terminal(p.state) && p.id != c.patchset_id.value_or(0)) others_live = true;
      if (p.id == c.patchset_id.value_or(0)) {
        from_keyword = p.origin == RequestOrigin::keyword;
      }
    }
  }

  auto bug = bugs_.get_bug(c.bug_id);
  if (!bug) {
    AUTOLAND_TRY(fail(attempted, bug.error(), &outcome));
    return outcome;
  }
  using Marker = WhiteboardEdit::Marker;
  WhiteboardEdit edit{.marker = !release ? Marker::add : others_live ? Marker::keep : Marker::remove};
  BugUpdate keyword;
  bool has_keyword =
      std::find(bug->keywords.begin(), bug->keywords.end(), kCheckinNeededKeyword) != bug->keywords.end();
  if (release && from_keyword && !others_live && options_.clear_checkin_needed && has_keyword) {
    keyword.remove_keywords.emplace_back(kCheckinNeededKeyword);
  }
  auto written = write_whiteboard(bugs_, c.bug_id, bug->whiteboard, edit, keyword, "commenter");
  if (!written) {
    AUTOLAND_TRY(fail(attempted, written.error(), &outcome));
    return outcome;
  }
  AUTOLAND_TRY(store_.mark_comment_posted(c.id, std::nullopt));
  return outcome;
}

Result<Commenter::Outcome> Commenter::handle(const OutboxComment& c, int64_t* comment_id) {
  if (c.kind == kReleaseMarkerAction || c.kind == kRestoreMarkerAction) return edit_marker(c);
  AUTOLAND_TRY_ASSIGN(bool limited, rate_limited(c.bug_id));
  if (limited) {
    // Step aside so that other bugs' comments are not stuck behind this one.
    Status deferred = store_.defer_comment(c.id, c.attempts, clock_.now() + 60,
                                           "rate limit reached for bug " + std::to_string(c.bug_id));
    if (!deferred.ok() && deferred.error().kind != ErrorKind::conflict) return deferred.error();
    return deferred.ok() ? Outcome::rate_limited : Outcome::deferred;  // a conflict: another poster has it
  }

  Outcome outcome = Outcome::posted;
  // Claimed first: the look below and any failure it meets are this
  // poster's alone (another one's failure must never cut this lease short).
  bool claimed = false;
  AUTOLAND_TRY(claim(c, &outcome, &claimed));
  if (!claimed) return outcome;
  OutboxComment attempted = c;
  ++attempted.attempts;
  if (c.attempts > 0) {
    // It may have gone out before a crash or a lost answer: look first.
    auto existing = bugs_.comments(c.bug_id, "");
    if (!existing) {
      AUTOLAND_TRY(fail(attempted, existing.error(), &outcome));
      return outcome;
    }
    for (const BugComment& bc : *existing) {
      if (!options_.bot_login.empty() && !util::iequals(bc.creator, options_.bot_login)) continue;
      if (find_dedup_marker(bc.text) == c.dedup_key) {
        AUTOLAND_TRY(store_.mark_comment_posted(c.id, bc.id));
        *comment_id = bc.id;
        return Outcome::already_posted;
      }
    }
  }
  // Whoever queued it, the comment carries its marker: without it the look
  // above could never find it, and a retry would post it twice.
  std::string text = find_dedup_marker(c.body) == c.dedup_key ? c.body : with_dedup_marker(c.body, c.dedup_key);
  auto posted = bugs_.post_comment(c.bug_id, text);
  if (!posted) {
    AUTOLAND_TRY(fail(attempted, posted.error(), &outcome));
    return outcome;
  }
  AUTOLAND_TRY(store_.mark_comment_posted(c.id, *posted));
  *comment_id = *posted;
  return Outcome::posted;
}

Result<CommenterStats> Commenter::drain_once() {
  CommenterStats stats;
  AUTOLAND_TRY_ASSIGN(auto due, store_.due_comments(clock_.now(), options_.batch_size));
  for (const OutboxComment& listed : due) {
    // Earlier entries of this pass may have settled this one (a dropped bug).
    AUTOLAND_TRY_ASSIGN(auto fresh, store_.get_comment(listed.id));
    // Settled, or claimed by another poster since it was listed (its lease runs).
    if (fresh.state != CommentState::pending || fresh.next_attempt_time > clock_.now()) continue;
    const OutboxComment& c = fresh;
    int64_t id = 0;
    auto outcome = handle(c, &id);
    if (!outcome) {
      // Another poster (a second process) settled it meanwhile: normal.
      auto now = store_.get_comment(c.id);
      if (outcome.error().kind == ErrorKind::conflict && now && now->state != CommentState::pending) {
        LOG_INFO("commenter", "bug " + std::to_string(c.bug_id) + ": comment " + std::to_string(c.id) +
                                  " was settled by another poster meanwhile");
        continue;
      }
      LOG_ERROR("commenter", "bug " + std::to_string(c.bug_id) + ": " + outcome.error().message);
      return outcome.error();
    }
    switch (*outcome) {
      case Outcome::posted: ++stats.posted; break;
      case Outcome::already_posted: ++stats.found_already_posted; break;
      case Outcome::edited: ++stats.marker_edits; break;
      case Outcome::dropped: ++stats.dropped; break;
      case Outcome::deferred: ++stats.deferred; break;
      case Outcome::rate_limited: ++stats.rate_limited; break;
    }
  }
  if (!due.empty()) {
    LOG_INFO("commenter", std::to_string(due.size()) + " due: " + std::to_string(stats.posted) + " posted, " +
                              std::to_string(stats.found_already_posted) + " found already posted, " +
                              std::to_string(stats.marker_edits) + " whiteboard edits, " +
                              std::to_string(stats.deferred) + " deferred, " + std::to_string(stats.dropped) +
                              " dropped, " + std::to_string(stats.rate_limited) + " rate-limited");
  }
  return stats;
}

Result<int64_t> Commenter::deliver(int64_t outbox_id) {
  AUTOLAND_TRY_ASSIGN(auto c, store_.get_comment(outbox_id));
  if (c.state == CommentState::posted) return c.bugzilla_comment_id.value_or(0);
  if (c.state == CommentState::dropped) return conflict("comment was dropped: " + c.last_error);
  int64_t id = 0;
  AUTOLAND_TRY_ASSIGN(auto outcome, handle(c, &id));
  if (outcome == Outcome::deferred || outcome == Outcome::dropped || outcome == Outcome::rate_limited) {
    auto after = store_.get_comment(outbox_id);
    std::string why = after ? after->last_error : "";
    if (outcome == Outcome::rate_limited) why = "rate limit reached for bug " + std::to_string(c.bug_id);
    return transient("not posted: " + why);
  }
  return id;
}

}  // namespace autoland
