#include "services/queue/queue.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>

#include "core/commit_message.h"
#include "core/landing_policy.h"
#include "core/landing_rules.h"
#include "core/patch.h"
#include "core/try_syntax.h"
#include "core/whiteboard.h"
#include "services/pusher/pusher.h"
#include "services/transitions.h"
#include "util/log.h"
#include "util/mutex.h"
#include "util/strings.h"

namespace autoland {

namespace {

constexpr int kMaxBackoffSeconds = 30 * 60;

bool is_permanent(const Error& e) { return e.kind != ErrorKind::transient; }

// Where a push to `b` goes and comes from; the rest of the spec is the caller's.
// A push or backout spec whose remote is branch `b`'s.
template <class Spec>
Spec spec_for(const Branch& b, int max_race_retries) {
  Spec spec;
  static_cast<RemoteSpec&>(spec) = remote_of(b, max_race_retries);
  return spec;
}

}  // namespace

std::string component_setting(std::string_view component) { return "component/" + std::string(component); }

Queue::Queue(Store& store, BugTracker& bugs, Directory& directory, const Clock& clock, VcsLookup vcs_for,
             QueueOptions options, TreeStatusSource* trees)
    : store_(store),
      bugs_(bugs),
      directory_(directory),
      clock_(clock),
      vcs_for_(std::move(vcs_for)),
      options_(std::move(options)),
      trees_(trees) {}

std::string Queue::who(const PatchSet& ps) const {
  return "patchset " + std::to_string(ps.id) + " (bug " + std::to_string(ps.bug_id) + ")";
}

QueuePassStats& QueuePassStats::operator+=(const QueuePassStats& o) {
  validating += o.validating;
  validated += o.validated;
  rejected += o.rejected;
  withdrawn += o.withdrawn;
  deferred += o.deferred;
  started += o.started;
  pushed += o.pushed;
  failed += o.failed;
  backed_out += o.backed_out;
  tree_status_unknown += o.tree_status_unknown;
  errors += o.errors;
  user_lookups += o.user_lookups;
  return *this;
}

void Queue::validate_all(const std::vector<PatchSet>& validating, QueuePassStats& stats,
                         const std::function<void(Status)>& report) {
  Mutex mu;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < validating.size(); i = next++) {
      QueuePassStats mine;
      Status s;
      try {
        s = validate(validating[i], mine);
      } catch (const std::exception& e) {  // never past a helper thread: that would end the process
        s = internal_error(who(validating[i]) + ": validation threw: " + e.what());
      }
      MutexLock lock(mu);
      stats += mine;
      report(s);
    }
  };
  size_t helpers = std::min(validating.size(), static_cast<size_t>(std::max(options_.validation_concurrency, 1)));
  std::vector<std::thread> threads;
  try {
    for (size_t t = 1; t < helpers; ++t) threads.emplace_back(work);
  } catch (const std::system_error& e) {
    LOG_WARN("queue", std::string("validating with fewer threads: ") + e.what());  // the ones started share the work
  }
  work();
  for (std::thread& t : threads) t.join();
}

Result<std::optional<User>> Queue::user(const std::string& email, QueuePassStats& stats) {
  std::string key = util::to_lower(email);
  auto known = users_.find(key);
  if (known != users_.end()) return known->second;
  ++stats.user_lookups;
  auto found = bugs_.user(email);
  if (!found && found.error().kind == ErrorKind::transient) return found.error();
  std::optional<User> value = found ? std::optional<User>(*found) : std::nullopt;
  users_[key] = value;
  return value;
}

Result<QueuePassStats> Queue::pass() {
  QueuePassStats stats;
  users_.clear();
  AUTOLAND_TRY_ASSIGN(auto off, store_.get_setting(component_setting("queue")));
  if (off.value_or("on") == "off") return stats;  // a sheriff switched the queue off

  auto report = [&](const Status& s) {
    if (s.ok()) return;
    ++stats.errors;
    LOG_WARN("queue", s.error().message);
  };
  if (options_.run_intake) {
    report(start_validations(stats));
    AUTOLAND_TRY_ASSIGN(auto validating, store_.find_patchsets({.states = {State::validating}}));
    validate_all(validating, stats, report);
    report(schedule(stats));
  }
  if (!options_.run_pushes) return stats;
  // Each push and backout claimed by this pusher alone, re-read once claimed.
  AUTOLAND_TRY_ASSIGN(auto pushing, store_.find_patchsets({.states = {State::pushing}}));
  for (const PatchSet& seen : pushing) {
    auto ps = patchset_claimed(options_.claims, store_, seen, "push");
    if (!ps) continue;
    report(push(*ps, stats));
    release_patchset(options_.claims, *ps, "push");
  }
  AUTOLAND_TRY_ASSIGN(auto backing_out, store_.find_patchsets({.states = {State::backing_out}}));
  for (const PatchSet& seen : backing_out) {
    if (backing_off(seen)) continue;
    auto ps = patchset_claimed(options_.claims, store_, seen, "backout");
    if (!ps) continue;
    report(back_out(*ps, stats));
    release_patchset(options_.claims, *ps, "backout");
  }
  return stats;
}

bool Queue::backing_off(const PatchSet& ps) const {
  if (ps.retries <= 0) return false;
  int64_t wait = options_.backoff_seconds;
  for (int i = 1; i < ps.retries && wait < kMaxBackoffSeconds; ++i) wait *= 2;
  return clock_.now() < ps.updated_time + std::min<int64_t>(wait, kMaxBackoffSeconds);
}

Status Queue::step(const PatchSet& ps, Event event, std::string reason, PatchSetChanges changes,
                   std::vector<std::string> problems, std::string failed_step, std::string actor) {
  StepRequest r;
  r.event = event;
  r.actor = actor.empty() ? options_.actor : std::move(actor);
  r.reason = std::move(reason);
  r.changes = std::move(changes);
  r.problems = std::move(problems);
  r.step = std::move(failed_step);
  auto out = advance(store_, clock_, ps, r);
  if (!out && out.error().kind == ErrorKind::conflict) {
    // A sheriff or another process moved it meanwhile: the next pass sees that.
    LOG_INFO("queue", out.error().message);
    return {};
  }
  return out ? Status{} : Status(out.error());
}

Status Queue::defer(const PatchSet& ps, Event back, Event give_up, const Error& why, QueuePassStats& stats) {
  if (ps.retries + 1 >= options_.max_deferrals) {
    ++stats.failed;
    return step(ps, give_up,
                "gave up after " + std::to_string(ps.retries + 1) + " temporary failures; the last: " + why.message);
  }
  ++stats.deferred;
  LOG_WARN("queue", who(ps) + ": " + why.message + " (trying again later)");
  PatchSetChanges c;
  c.retries = ps.retries + 1;
  return step(ps, back, why.message, c);
}

Status Queue::start_validations(QueuePassStats& stats) {
  AUTOLAND_TRY_ASSIGN(auto queued, store_.find_patchsets({.states = {State::queued}}));
  for (const PatchSet& ps : queued) {
    // The grace period lets the requester cancel before anything happens.
    if (clock_.now() < ps.creation_time + options_.grace_period_seconds) continue;
    if (backing_off(ps)) continue;
    ++stats.validating;
    AUTOLAND_TRY(step(ps, Event::start_validation, ""));
  }
  return {};
}

Result<std::vector<Attachment>> Queue::fetch_patches(const PatchSet& ps) {
  AUTOLAND_TRY_ASSIGN(auto all, bugs_.attachments(ps.bug_id, true));
  std::vector<Attachment> chosen;
  for (AttachmentId id : ps.patches) {
    auto it = std::find_if(all.begin(), all.end(), [&](const Attachment& a) { return a.id == id; });
    if (it == all.end()) {
      return invalid_input("attachment " + std::to_string(id) + " is not on bug " + std::to_string(ps.bug_id) +
                           " (or autoland cannot see it)");
    }
    chosen.push_back(*it);
  }
  return chosen;
}

Result<std::vector<std::string>> Queue::problems(const PatchSet& ps, const Branch& final_branch,
                                                 const std::vector<Attachment>& patches,
                                                 std::map<AttachmentId, std::vector<std::string>>* add_reviewers) {
  LandingCheck check;
  check.bug_id = ps.bug_id;
  check.requester = ps.requester;
  check.branch = final_branch.name;
  check.trunk = !final_branch.is_try();
  check.required_level = final_branch.required_level;
  check.allow_self_review = options_.allow_self_review;
  check.limits.max_bytes = static_cast<size_t>(options_.patch_max_bytes);
  for (const Attachment& a : patches) {
    PatchUnderReview p{a.id, a.is_obsolete, a.creator, a.data.value_or(""), {}, a.is_private};
    for (const Flag& f : a.flags) p.flags.push_back({f.name, f.status, f.setter});
    check.patches.push_back(std::move(p));
  }
  // The directory's answers first (a lookup that fails defers the patchset),
  // then the rules, which are core's.
  CommitLevels levels;
  for (const std::string& email : people_to_look_up(check)) {
    auto person = directory_.find_by_bugzilla_email(email);
    if (person) {
      levels[email] = person->level;
    } else if (person.error().kind != ErrorKind::not_found) {
      return person.error();
    }
  }
  LandingVerdict verdict = check_landing(check, levels);
  if (add_reviewers) *add_reviewers = std::move(verdict.reviewers_to_add);
  return verdict.problems;
}

Result<std::string> Queue::withdrawn(const PatchSet& ps, const Bug& bug) {
  // Asked through the API: no tag, no marker; a sheriff cancels it there.
  if (ps.origin == RequestOrigin::api) return std::string();
  // A sheriff's retry puts the marker back through the outbox, maybe not yet:
  // then the whiteboard says nothing about what the requester wants.
  AUTOLAND_TRY_ASSIGN(auto outbox, store_.comments_for(ps.id));
  for (const OutboxComment& c : outbox) {
    if (c.kind == kRestoreMarkerAction && c.state == CommentState::pending) return std::string();
  }
  // A keyword request is taken back with the keyword.
  const bool from_keyword = ps.origin == RequestOrigin::keyword;
  const std::string before = " before anything was pushed";
  if (from_keyword) {
    bool kept = std::find(bug.keywords.begin(), bug.keywords.end(), kCheckinNeededKeyword) != bug.keywords.end();
    return kept ? std::string()
                : "the request was taken back: " + std::string(kCheckinNeededKeyword) + " was removed" + before;
  }
  // A tag request with the marker gone. A request tag still there counts as
  // asking: the trigger may not have swapped it for the marker yet.
  if (!scan_whiteboard(bug.whiteboard).tags.empty()) return std::string();
  return "the request was taken back: " + std::string(kInQueueTag) + " was removed from the whiteboard" + before;
}

Status Queue::validate(const PatchSet& ps, QueuePassStats& stats) {
  auto final_branch = store_.get_branch(ps.branch);
  if (!final_branch) {
    ++stats.rejected;
    return step(ps, Event::rule_broken, "branch " + ps.branch + " is not configured any more", {},
                {"branch " + ps.branch + " is not configured any more"});
  }
  auto bug = bugs_.get_bug(ps.bug_id);
  if (!bug) {
    if (bug.error().kind == ErrorKind::transient)
      return defer(ps, Event::deferred, Event::rule_broken, bug.error(), stats);
    ++stats.rejected;
    return step(ps, Event::rule_broken, "bug " + std::to_string(ps.bug_id) + " cannot be seen: " + bug.error().message);
  }
  AUTOLAND_TRY_ASSIGN(auto taken_back, withdrawn(ps, *bug));
  if (!taken_back.empty()) {
    ++stats.withdrawn;
    return step(ps, Event::cancel, taken_back, {}, {}, "", "the requester");
  }
  auto patches = fetch_patches(ps);
  if (!patches) {
    if (!is_permanent(patches.error())) return defer(ps, Event::deferred, Event::rule_broken, patches.error(), stats);
    ++stats.rejected;
    return step(ps, Event::rule_broken, patches.error().message, {}, {patches.error().message});
  }
  auto found = problems(ps, *final_branch, *patches);
  if (!found) {
    if (!is_permanent(found.error())) return defer(ps, Event::deferred, Event::rule_broken, found.error(), stats);
    return found.error();
  }
  if (!found->empty()) {
    ++stats.rejected;
    return step(ps, Event::rule_broken, util::join(*found, "; "), {}, *found);
  }
  ++stats.validated;
  PatchSetChanges c;
  c.retries = 0;
  return step(ps, Event::validated, "", c);
}

Status Queue::schedule(QueuePassStats& stats) {
  PolicyInput input;
  AUTOLAND_TRY_ASSIGN(auto kill, store_.get_setting(std::string(kKillSwitchSetting)));
  input.kill_switch = kill.value_or("off") == "on";
  AUTOLAND_TRY_ASSIGN(auto pusher, store_.get_setting(component_setting("pusher")));
  input.pusher_enabled = pusher.value_or("on") != "off";
  AUTOLAND_TRY_ASSIGN(auto branches, store_.list_branches());
  std::map<std::string, Branch> by_name;
  for (Branch b : branches) {
    if (trees_ && !b.is_try()) {
      auto state = trees_->status(b.name);
      if (!state) {
        ++stats.tree_status_unknown;
        LOG_WARN("queue", "the status of the " + b.name + " tree cannot be read (" + state.error().message +
                              "): its landings wait");
        b.tree = TreeStatus::closed;
      } else if (b.tree == TreeStatus::open ||
                 (b.tree == TreeStatus::approval_required && state->status == TreeStatus::closed)) {
        b.tree = state->status;  // the stricter of the sheriffs' setting and the service's
      }
    }
    by_name[b.name] = b;
    input.branches.push_back({b.name, b.threshold, b.status == BranchStatus::enabled, b.tree, b.is_try()});
  }
  AUTOLAND_TRY_ASSIGN(
      auto in_flight,
      store_.find_patchsets({.states = {State::pushing, State::testing, State::retrying, State::backing_out}}));
  for (const PatchSet& ps : in_flight) {
    auto b = by_name.find(ps.branch);
    if (b != by_name.end()) ++input.in_flight[b->second.branch_for(ps.stage)];
  }
  AUTOLAND_TRY_ASSIGN(auto waiting, store_.find_patchsets({.states = {State::waiting}}));
  std::map<PatchSetId, const PatchSet*> by_id;
  for (const PatchSet& ps : waiting) {
    if (backing_off(ps)) continue;
    auto b = by_name.find(ps.branch);
    if (b == by_name.end()) continue;
    const std::string& target = b->second.branch_for(ps.stage);
    WaitingPatchSet w{ps.id, target, ps.priority, ps.creation_time, false};
    auto t = by_name.find(target);
    if (t != by_name.end() && t->second.tree == TreeStatus::approval_required && !t->second.is_try()) {
      // Only then are the messages read for a= (it costs a Bugzilla request).
      auto patches = fetch_patches(ps);
      if (patches) {
        w.has_approval = !patches->empty() && std::all_of(patches->begin(), patches->end(), [&](const Attachment& a) {
          auto parsed = parse_patch(a.data.value_or(""), {static_cast<size_t>(options_.patch_max_bytes)});
          return parsed && !parse_commit_message(parsed->message).approvers.empty();
        });
      }
    }
    input.waiting.push_back(w);
    by_id[ps.id] = &ps;
  }
  input.try_budget = options_.try_budget;
  if (input.try_budget.max_pending_jobs > 0 && options_.try_pending_jobs) {
    for (const auto& [name, b] : by_name) {
      if (!b.is_try()) continue;
      auto pending = options_.try_pending_jobs(name);
      if (!pending) continue;  // the CI cannot say: only the in-flight limit applies
      input.try_budget.pending_jobs = std::max(0, input.try_budget.pending_jobs) + *pending;
    }
  }
  const std::vector<PolicyDecision> decisions = decide_landings(input);
  for (const PolicyDecision& d : decisions) {
    if (!d.start) continue;
    ++stats.started;
    AUTOLAND_TRY(step(*by_id[d.id], Event::start_push, ""));
  }
  // Why the others wait, for GET /queue; written only when it changed.
  std::string holds = encode_holds(decisions);
  if (holds != published_holds_) {
    AUTOLAND_TRY(store_.set_cursor(std::string(kHoldsSetting), holds));
    published_holds_ = std::move(holds);
  }
  return {};
}

Status Queue::push(const PatchSet& ps, QueuePassStats& stats) {
  AUTOLAND_TRY_ASSIGN(auto final_branch, store_.get_branch(ps.branch));
  AUTOLAND_TRY_ASSIGN(auto target, store_.get_branch(final_branch.branch_for(ps.stage)));
  VersionControl* vcs = vcs_for_(target);
  if (!vcs) return internal_error("no version control for branch " + target.name);

  auto attachments = fetch_patches(ps);
  if (!attachments) {
    if (!is_permanent(attachments.error()))
      return defer(ps, Event::push_deferred, Event::push_failed, attachments.error(), stats);
    if (attachments.error().code == bugzilla_code::bug_access_denied) return push_unreadable(ps, target, *vcs, stats);
    ++stats.failed;
    return step(ps, Event::push_failed, attachments.error().message, {}, {}, "patches");
  }

  // Reviews are checked again just before a trunk push: a review+ taken
  // back after the try run stops the landing.
  std::map<AttachmentId, std::vector<std::string>> add_reviewers;
  if (ps.stage == Stage::landing) {
    auto found = problems(ps, final_branch, *attachments, &add_reviewers);
    if (!found) {
      if (!is_permanent(found.error()))
        return defer(ps, Event::push_deferred, Event::push_failed, found.error(), stats);
      return found.error();
    }
    if (!found->empty()) {
      ++stats.failed;
      return step(ps, Event::rule_broken, util::join(*found, "; "), {}, *found);
    }
  }

  // What to push: the patches with their authors' real names, the landed
  // messages naming the reviewers the author left out, the try syntax.
  std::map<std::string, std::string> real_names;
  for (const Attachment& a : *attachments) {
    if (real_names.count(a.creator)) continue;
    auto creator = user(a.creator, stats);
    real_names[a.creator] = creator && *creator ? (*creator)->real_name : "";
  }
  auto spec = spec_for<PushSpec>(target, options_.vcs_max_race_retries);
  spec.patches = patches_from_attachments(ps.bug_id, *attachments, real_names);
  Status named = name_reviewers(spec.patches, add_reviewers, stats);
  if (!named.ok()) return defer(ps, Event::push_deferred, Event::push_failed, named.error(), stats);
  spec.allow_new_head = target.is_try();
  spec.placement = target.try_syntax_in_tip ? TrySyntaxPlacement::tip_message : TrySyntaxPlacement::empty_commit;
  if (ps.stage == Stage::try_run) {
    auto syntax = try_syntax_for(ps, target);
    if (!syntax) {
      ++stats.failed;
      return step(ps, Event::push_failed, syntax.error().message, {}, {}, "try syntax");
    }
    spec.try_syntax = *syntax;
  }

  Pusher pusher(store_, *vcs);
  LOG_INFO("queue", who(ps) + ": pushing " + std::to_string(spec.patches.size()) + " patch(es) to " + target.name);
  auto pushed = pusher.push(push_intent_key(ps.id, ps.stage), spec);
  if (!pushed) {
    if (!is_permanent(pushed.error()))
      return defer(ps, Event::push_deferred, Event::push_failed, pushed.error(), stats);
    ++stats.failed;
    return step(ps, Event::push_failed, pushed.error().message, {}, {}, "push");
  }
  return record_pushed(ps, pushed->outcome, pushed->resumed ? "found on the remote after a restart" : "", stats);
}

// Made private (a security bug, say) since it was queued: nothing more is
// pushed for a bug autoland can no longer read. But a push that went out
// before a restart must be followed (a landing watched, and backed out when
// red): its recorded changesets tell.
Status Queue::push_unreadable(const PatchSet& ps, const Branch& target, VersionControl& vcs, QueuePassStats& stats) {
  AUTOLAND_TRY_ASSIGN(auto intent, store_.get_push_intent(push_intent_key(ps.id, ps.stage)));
  if (intent && !intent->nodes.empty()) {
    const auto spec = spec_for<PushSpec>(target, options_.vcs_max_race_retries);
    auto found = vcs.find_pushed(spec, intent->nodes);
    if (!found) return defer(ps, Event::push_deferred, Event::push_failed, found.error(), stats);
    if (*found) {
      PushOutcome outcome = **found;
      auto parent = vcs.parent_of(spec, outcome.nodes.front());
      if (!parent) return defer(ps, Event::push_deferred, Event::push_failed, parent.error(), stats);
      outcome.parent = *parent;
      return record_pushed(ps, outcome, "found on the remote after a restart (the bug can no longer be read)", stats);
    }
  }
  ++stats.failed;
  return step(ps, Event::push_failed,
              "bug " + std::to_string(ps.bug_id) + " cannot be read by autoland any more (it may have become " +
                  "private), so nothing is pushed for it",
              {}, {}, "patches");
}

// The landed message names the reviewers the author left out: their
// Bugzilla nicks ([:rita]), else their email's name part.
Status Queue::name_reviewers(std::vector<PatchToApply>& patches,
                             const std::map<AttachmentId, std::vector<std::string>>& add_reviewers,
                             QueuePassStats& stats) {
  for (PatchToApply& p : patches) {
    auto emails = add_reviewers.find(p.attachment_id);
    if (emails == add_reviewers.end()) continue;
    std::vector<std::string> nicks;
    for (const std::string& email : emails->second) {
      AUTOLAND_TRY_ASSIGN(auto reviewer, user(email, stats));
      std::string nick = reviewer ? nick_of(reviewer->real_name) : "";
      nicks.push_back(nick.empty() ? email.substr(0, email.find('@')) : nick);
    }
    auto parsed = parse_patch(p.text, {static_cast<size_t>(options_.patch_max_bytes)});
    if (parsed) p.landing_message = add_reviewers_to_message(parsed->message, nicks);
  }
  return {};
}

// The try push ends with the syntax, asking for notification and for the
// results on the bug (docs/design.md §4); never on a landing.
Result<std::string> Queue::try_syntax_for(const PatchSet& ps, const Branch& target) {
  std::string text = !ps.try_syntax.empty() ? ps.try_syntax : target.default_try_syntax;
  auto syntax = parse_try_syntax(text);
  if (!syntax) return invalid_input("try syntax '" + text + "': " + syntax.error().message);
  syntax->notify = true;
  if (std::find(syntax->post_to_bugs.begin(), syntax->post_to_bugs.end(), ps.bug_id) == syntax->post_to_bugs.end()) {
    syntax->post_to_bugs.push_back(ps.bug_id);
  }
  return format_try_syntax(*syntax);
}

Status Queue::record_pushed(const PatchSet& ps, const PushOutcome& outcome, const std::string& reason,
                            QueuePassStats& stats) {
  ++stats.pushed;
  PatchSetChanges c;
  c.retries = 0;
  if (ps.stage == Stage::try_run) {
    c.try_revision = outcome.tip;
  } else {
    c.landing_revision = outcome.tip;
    c.landing_parent = outcome.parent;
  }
  return step(ps, Event::pushed, reason, c);
}

Status Queue::back_out(const PatchSet& ps, QueuePassStats& stats) {
  AUTOLAND_TRY_ASSIGN(auto final_branch, store_.get_branch(ps.branch));
  VersionControl* vcs = vcs_for_(final_branch);
  if (!vcs) return internal_error("no version control for branch " + final_branch.name);
  auto spec = spec_for<BackoutSpec>(final_branch, options_.vcs_max_race_retries);
  spec.bug_id = ps.bug_id;
  spec.reason = ps.state_reason.empty() ? "failing on " + final_branch.name : ps.state_reason;
  // Every changeset the landing pushed (its intent stays after the push).
  AUTOLAND_TRY_ASSIGN(auto intent, store_.get_push_intent(push_intent_key(ps.id, Stage::landing)));
  if (intent && !intent->nodes.empty()) {
    spec.revisions = intent->nodes;
  } else if (!ps.landing_revision.empty()) {
    spec.revisions = {ps.landing_revision};
  } else {
    ++stats.failed;
    return step(ps, Event::backout_failed, "no landed revision on record to back out");
  }
  Pusher pusher(store_, *vcs);
  LOG_INFO("queue", who(ps) + ": backing out " + std::to_string(spec.revisions.size()) + " changeset(s) of " +
                        final_branch.name);
  auto done = pusher.back_out(backout_intent_key(ps.id), spec);
  if (!done) {
    if (!is_permanent(done.error())) {
      return defer(ps, Event::push_deferred, Event::backout_failed, done.error(), stats);
    }
    ++stats.failed;
    return step(ps, Event::backout_failed, done.error().message);
  }
  ++stats.backed_out;
  PatchSetChanges c;
  c.backout_revision = done->outcome.tip;
  c.backout_parent = done->outcome.parent;
  return step(ps, Event::backed_out, spec.reason, c);
}

}  // namespace autoland
