#include "services/trigger/trigger.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <optional>

#include "core/comments.h"
#include "core/whiteboard.h"
#include "services/request_check.h"
#include "services/whiteboard_write.h"
#include "util/log.h"
#include "util/strings.h"

namespace autoland {
namespace {

// "2026-11-25T17:10:45Z" moved by `seconds`; the input back when it does not parse.
std::string shift_time(const std::string& t, int seconds) {
  std::tm tm{};
  if (t.size() != 20 || !strptime(t.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return t;
  std::time_t when = timegm(&tm) + seconds;
  gmtime_r(&when, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

// A refusal waiting to be queued: what was asked, which step failed, why.
struct Refusal {
  std::string step;
  std::string reason;
};

}  // namespace

Trigger::Trigger(Store& store, BugTracker& bugs, TriggerOptions options)
    : store_(store), bugs_(bugs), options_(std::move(options)) {}

// Everything known about one bug during a pass; history and attachments are
// fetched at most once, and only when a request needs them.
struct Trigger::BugWork {
  const BugSummary& bug;
  BugTracker& tracker;
  std::optional<std::vector<HistoryEntry>> history;
  std::optional<std::vector<Attachment>> attachments;
  std::optional<Bug> full;

  Result<const std::vector<HistoryEntry>*> get_history() {
    if (!history) {
      AUTOLAND_TRY_ASSIGN(auto h, tracker.history(bug.id));
      history = std::move(h);
    }
    return &*history;
  }

  Result<const std::vector<Attachment>*> get_attachments() {
    if (!attachments) {
      AUTOLAND_TRY_ASSIGN(auto a, tracker.attachments(bug.id, /*with_data=*/true));
      attachments = std::move(a);
    }
    return &*attachments;
  }

  // Who set `text` (a tag, or the keyword when `keyword`), and when: the
  // latest history entry that introduced it (in what was added, not in what
  // was removed: a later edit elsewhere on the whiteboard repeats the whole
  // value), never autoland's own edits; the bug's creator and creation time
  // when it came with the bug (creation is not in the history).
  Result<std::pair<std::string, std::string>> who_and_when(const std::string& text, bool keyword,
                                                           const std::string& bot_login) {
    AUTOLAND_TRY_ASSIGN(auto h, get_history());
    auto has_keyword = [&](const std::string& list) {
      for (std::string_view k : util::split(list, ',')) {
        if (util::trim(k) == text) return true;
      }
      return false;
    };
    for (auto it = h->rbegin(); it != h->rend(); ++it) {
      if (!bot_login.empty() && util::iequals(it->who, bot_login)) continue;
      for (const HistoryChange& c : it->changes) {
        bool introduced = keyword ? c.field_name == "keywords" && has_keyword(c.added) && !has_keyword(c.removed)
                                  : (c.field_name == "whiteboard" || c.field_name == "status_whiteboard") &&
                                        c.added.find(text) != std::string::npos &&
                                        c.removed.find(text) == std::string::npos;
        if (introduced) return std::make_pair(it->who, it->when);
      }
    }
    if (!full) {
      AUTOLAND_TRY_ASSIGN(auto b, tracker.get_bug(bug.id));
      full = std::move(b);
    }
    return std::make_pair(full->creator, std::string("created"));
  }
};

Result<TriggerStats> Trigger::poll_once() {
  TriggerStats stats;
  AUTOLAND_TRY_ASSIGN(auto cursor, store_.get_setting(std::string(kTriggerCursor)));
  SearchQuery query;
  query.whiteboard_substring = "[autoland-";
  if (!options_.checkin_needed_branch.empty()) query.keyword = std::string(kCheckinNeededKeyword);
  query.changed_since = cursor.value_or("").empty() ? "" : shift_time(*cursor, -options_.cursor_overlap_seconds);
  AUTOLAND_TRY_ASSIGN(auto found, bugs_.search(query));

  std::string newest = cursor.value_or("");
  std::optional<std::string> oldest_failed;
  for (size_t i = 0; i < found.size(); ++i) {
    const BugSummary& bug = found[i];
    ++stats.bugs_seen;
    Status status = process_bug(bug, stats);
    if (!status.ok()) {
      // Only a bug that is gone (or hidden from the bot) is passed over; any
      // other failure keeps the cursor at its time, so the request is read
      // again next pass rather than lost without a word.
      const Error& e = status.error();
      const bool gone = e.kind == ErrorKind::not_found || e.kind == ErrorKind::denied;
      LOG_WARN("trigger", "bug " + std::to_string(bug.id) + ": " + e.message + (gone ? "" : " (will retry)"));
      if (e.retryable()) ++stats.transient_failures;
      if (!gone && (!oldest_failed || bug.last_change_time < *oldest_failed)) oldest_failed = bug.last_change_time;
    }
    newest = std::max(newest, bug.last_change_time);
    if ((i + 1) % options_.batch_size == 0 || i + 1 == found.size()) {
      LOG_INFO("trigger", "batch: " + std::to_string(i + 1) + "/" + std::to_string(found.size()) + " bugs, " +
                              std::to_string(stats.patchsets_created) + " patchsets created, " +
                              std::to_string(stats.refusals) + " refused");
    }
  }
  // The search re-reads an overlap before the cursor (a change may commit
  // after our search with an earlier time); processing is idempotent. A bug
  // that failed for any reason but being gone keeps the cursor at its time.
  std::string next = oldest_failed ? std::min(*oldest_failed, newest) : newest;
  if (next != cursor.value_or("")) AUTOLAND_TRY(store_.set_cursor(std::string(kTriggerCursor), next));
  return stats;
}

// One bug's requests during one pass: the refusals queued, the patchsets
// made, and what the whiteboard edit at the end takes off (`handled`) and
// whether it puts the marker on (`queued_any`).
struct Trigger::BugPass {
  Store& store;
  const TriggerOptions& options;
  const BugSummary& bug;
  BugWork& work;
  TriggerStats& stats;
  std::vector<std::string> handled;  // tags to take off the whiteboard
  bool queued_any = false;
  std::vector<std::pair<std::string, std::string>> over_limit;  // (request, when), refused together
  std::string over_limit_reason;

  // Queues the refusal comment of `request` (once per request and time).
  Status refuse(const std::string& request, const std::string& when, const Refusal& r) {
    CommentInput in;
    in.kind = CommentKind::refused;
    in.bug = bug.id;
    in.step = r.step;
    in.reason = r.reason;
    in.request = request;
    in.dedup_key = "bug" + std::to_string(bug.id) + "/refused/" + request + "@" + when;
    AUTOLAND_TRY_ASSIGN(auto added, store.enqueue_comment({bug.id, std::string(to_string(CommentKind::refused)),
                                                           render_comment(in), in.dedup_key},
                                                          std::nullopt));
    if (added.has_value()) {
      ++stats.refusals;
      LOG_INFO("trigger", "bug " + std::to_string(bug.id) + ": refused " + request + ": " + r.reason);
    }
    return {};
  }

  Status refuse_broken_tag(const TagError& e) {
    AUTOLAND_TRY_ASSIGN(auto ww, work.who_and_when(e.text, false, options.bot_login));
    AUTOLAND_TRY(refuse(e.text, ww.second, {"tag", e.reason}));
    handled.push_back(e.text);
    return {};
  }

  // One request: a tag (or the keyword) asking for some branches.
  Status take(const std::string& text, const std::vector<std::string>& branch_names,
              const std::vector<AttachmentId>& ids, const std::string& try_syntax, bool keyword) {
    AUTOLAND_TRY_ASSIGN(auto ww, work.who_and_when(text, keyword, options.bot_login));
    const auto& [who, when] = ww;
    const std::string key = "bug" + std::to_string(bug.id) + "/" + text + "@" + when;

    AUTOLAND_TRY_ASSIGN(auto branches, check_branches(store, branch_names));
    if (!branches.accepted) return refuse(text, when, {branches.refusal.part, branches.refusal.reason});
    const std::vector<Branch>& finals = *branches.accepted;

    AUTOLAND_TRY_ASSIGN(auto missing, not_yet_made(key, finals));
    if (missing == 0) return {};

    // Over a limit: refused, all such requests of this pass in one comment.
    AUTOLAND_TRY_ASSIGN(auto over, over_request_limit(store, bug.id, who, missing, options.limits));
    if (!over.empty()) {
      over_limit.push_back({text, when});
      over_limit_reason = over;
      return {};
    }

    AUTOLAND_TRY_ASSIGN(auto atts, work.get_attachments());
    AUTOLAND_TRY_ASSIGN(auto patches, choose_patches(bug.id, *atts, ids, options.patch_limits));
    if (!patches.accepted) return refuse(text, when, {patches.refusal.part, patches.refusal.reason});

    for (const Branch& f : finals) {
      AUTOLAND_TRY(create(f, *patches.accepted, key, who, try_syntax, keyword));
    }
    queued_any = true;
    return {};
  }

  // How many of the request's patchsets are not made yet (a crash after
  // making some, or a race, leaves fewer); 0: all taken. The marker stays
  // on only while one of them is still live.
  Result<int> not_yet_made(const std::string& key, const std::vector<Branch>& finals) {
    bool any_live = false;
    int missing = 0;
    for (const Branch& f : finals) {
      AUTOLAND_TRY_ASSIGN(auto existing, store.find_by_request_key(key + "#" + f.name));
      missing += existing.has_value() ? 0 : 1;
      any_live |= existing.has_value() && !is_terminal(existing->state);
    }
    if (missing == 0) {
      ++stats.requests_already_taken;
      queued_any |= any_live;
    }
    return missing;
  }

  Status create(const Branch& f, const ChosenPatches& chosen, const std::string& key, const std::string& who,
                const std::string& try_syntax, bool keyword) {
    NewPatchSet ps;
    ps.bug_id = bug.id;
    ps.patches = chosen.ids;
    ps.branch = f.name;
    ps.stage = f.initial_stage();
    ps.try_syntax = try_syntax;
    ps.author = chosen.author;
    ps.requester = who;
    ps.request_key = key + "#" + f.name;
    ps.origin = keyword ? RequestOrigin::keyword : RequestOrigin::whiteboard;
    auto created = store.create_patchset(ps, options.actor);
    if (!created) {
      if (created.error().kind != ErrorKind::conflict) return created.error();
      ++stats.requests_already_taken;
      return {};
    }
    ++stats.patchsets_created;
    LOG_INFO("trigger", "bug " + std::to_string(bug.id) + ": queued patchset " + std::to_string(created->id) + " to " +
                            f.name + " (attachments " + std::to_string(chosen.ids.size()) + ", requested by " + who +
                            ")");
    return {};
  }

  // The requests over a limit, refused in one comment.
  Status refuse_over_limit() {
    if (over_limit.empty()) return {};
    std::string listed = over_limit.front().first;
    for (size_t i = 1; i < over_limit.size() && i < 5; ++i) listed += ", " + over_limit[i].first;
    if (over_limit.size() > 5) listed += " and " + std::to_string(over_limit.size() - 5) + " more requests";
    AUTOLAND_TRY(refuse(listed, over_limit.front().second + "/" + std::to_string(over_limit.size()),
                        {"limit", over_limit_reason}));
    LOG_WARN("trigger", "bug " + std::to_string(bug.id) + ": " + std::to_string(over_limit.size()) +
                            " requests refused: " + over_limit_reason);
    return {};
  }
};

Status Trigger::process_bug(const BugSummary& bug, TriggerStats& stats) {
  WhiteboardScan scan = scan_whiteboard(bug.whiteboard);
  bool has_marker = false;
  std::vector<const WhiteboardTag*> requests;
  for (const WhiteboardTag& t : scan.tags) {
    if (t.kind == WhiteboardTag::Kind::in_queue) {
      has_marker = true;
    } else {
      requests.push_back(&t);
    }
  }
  bool keyword_request =
      !options_.checkin_needed_branch.empty() && !has_marker &&
      std::find(bug.keywords.begin(), bug.keywords.end(), kCheckinNeededKeyword) != bug.keywords.end();
  if (requests.empty() && scan.errors.empty() && !keyword_request) return {};  // nothing new: no requests made

  BugWork work{bug, bugs_, std::nullopt, std::nullopt, std::nullopt};
  BugPass pass{store_, options_, bug, work, stats};
  for (const TagError& e : scan.errors) AUTOLAND_TRY(pass.refuse_broken_tag(e));
  for (const WhiteboardTag* t : requests) {
    AUTOLAND_TRY(pass.take(t->text, t->branches, t->attachments, t->try_syntax, false));
    pass.handled.push_back(t->text);
  }
  if (keyword_request) {
    AUTOLAND_TRY(pass.take(std::string(kCheckinNeededKeyword), {options_.checkin_needed_branch}, {}, "", true));
  }
  AUTOLAND_TRY(pass.refuse_over_limit());

  // The whiteboard: handled tags off, the marker on (once). A request from
  // the keyword alone has no tag for the marker to replace.
  using Marker = WhiteboardEdit::Marker;
  WhiteboardEdit edit{.remove = pass.handled,
                      .marker = !pass.queued_any  ? Marker::keep
                                : keyword_request ? Marker::add
                                                  : Marker::replace_request};
  AUTOLAND_TRY_ASSIGN(auto writes, write_whiteboard(bugs_, bug.id, bug.whiteboard, edit, {}, "trigger"));
  stats.whiteboard_updates += writes;
  return {};
}

}  // namespace autoland
