#include "services/results/results_poller.h"

#include "services/transitions.h"
#include "util/log.h"
#include "util/strings.h"

namespace autoland {

Result<ResultsPassStats> ResultsPoller::pass() {
  ResultsPassStats stats;
  AUTOLAND_TRY_ASSIGN(auto branches, store_.list_branches());
  std::map<std::string, const Branch*> windowed;  // trunks whose landings are judged together
  for (const Branch& b : branches) {
    if (b.landing_strategy != LandingStrategy::serial) windowed[b.name] = &b;
  }
  PatchSetQuery q;
  q.states = {State::testing, State::retrying};
  q.after_id = resume_after_;
  q.limit = options_.max_per_pass;
  AUTOLAND_TRY_ASSIGN(auto watched, store_.find_patchsets(q));
  // A short page means the end of the list: the next pass starts over.
  resume_after_ = watched.size() < q.limit || watched.empty() ? 0 : watched.back().id;
  for (const PatchSet& seen : watched) {
    if (seen.stage == Stage::landing && windowed.count(seen.branch)) continue;
    auto ps = patchset_claimed(options_.claims, store_, seen, "results");
    if (!ps) continue;
    ++stats.watched;
    if (Status s = watch(*ps, stats); !s.ok()) {
      ++stats.errors;
      LOG_WARN("results", "patchset " + std::to_string(ps->id) + " (bug " + std::to_string(ps->bug_id) +
                              "): " + s.error().message);
    }
    release_patchset(options_.claims, *ps, "results");
  }
  for (const auto& [name, branch] : windowed) {
    // One poller at a time per window: its steps depend on each other.
    const std::string key = "window/" + name;
    if (options_.claims && !options_.claims->take(key)) continue;
    if (Status s = windows_.judge(*branch, stats.windows); !s.ok()) {
      ++stats.errors;
      LOG_WARN("results", name + ": " + s.error().message);
    }
    if (options_.claims) options_.claims->release(key);
  }
  return stats;
}

Status ResultsPoller::watch(const PatchSet& ps, ResultsPassStats& stats) {
  AUTOLAND_TRY_ASSIGN(auto branch, store_.get_branch(ps.branch));
  const std::string& target = branch.branch_for(ps.stage);
  AUTOLAND_TRY_ASSIGN(auto target_branch, store_.get_branch(target));
  auto step = [&](Event event, std::string reason, std::optional<VerdictReport> report) -> Result<StepOutcome> {
    StepRequest r;
    r.event = event;
    r.actor = options_.actor;
    r.reason = std::move(reason);
    r.report = std::move(report);
    auto out = advance(store_, clock_, ps, r);
    if (out) ++stats.stepped;
    return out;
  };
  // From the push; a patchset with no push time on record (written by an
  // older version, or by hand) counts from when it last moved.
  const UnixTime since = ps.push_time ? *ps.push_time : ps.updated_time;
  bool late = clock_.now() - since > UnixTime{target_branch.results_timeout_minutes} * 60;
  // A problem that stays (a CI source gone from the config, a CI that
  // refuses the question) still ends the patchset at its deadline.
  auto trouble = [&](const Error& e) -> Status {
    if (!late) return e;
    auto out = step(Event::results_timed_out, "no results by the deadline: " + e.message, std::nullopt);
    return out ? Status(e) : Status(out.error());
  };

  CiResults* ci = ci_for_(target_branch.ci_source);
  if (!ci) {
    return trouble(invalid_input("branch " + target + " names CI source '" + target_branch.ci_source +
                                 "', which is not configured"));
  }
  const std::string& revision = ps.revision();
  if (revision.empty()) {
    return trouble(internal_error("no revision recorded for the " + std::string(to_string(ps.stage)) + " push"));
  }

  auto jobs = ci->jobs(target, revision);
  if (!jobs && jobs.error().kind != ErrorKind::not_found) return trouble(jobs.error());
  if (!jobs || jobs->empty()) {
    // CI has not picked the push up (yet).
    if (!late) {
      ++stats.waiting;
      return {};
    }
    auto out = step(Event::results_timed_out, "no results from CI", std::nullopt);
    return out ? Status{} : Status(out.error());
  }
  VerdictReport report = judge(to_job_runs(*jobs), target_branch.max_retriggers);
  switch (report.verdict) {
    case Verdict::pending: {
      if (!late) {
        ++stats.waiting;
        return {};
      }
      auto out = step(Event::results_timed_out, "results incomplete after the deadline", report);
      return out ? Status{} : Status(out.error());
    }
    case Verdict::green: {
      if (ci->jobs_appear_late()) {
        // Green only when the same runs were green on the last look too.
        std::string seen;
        for (const CiJob& j : *jobs) seen += j.id + "\n";
        auto [it, first] = green_once_.try_emplace(ps.id, seen);
        if (first || it->second != seen) {
          it->second = seen;
          ++stats.waiting;
          return {};
        }
        green_once_.erase(it);
      }
      auto out = step(Event::results_green, "", report);
      return out ? Status{} : Status(out.error());
    }
    case Verdict::red: {
      auto out = step(Event::results_red, "CI failed", report);
      return out ? Status{} : Status(out.error());
    }
    case Verdict::cancelled: {
      auto out = step(Event::results_cancelled, "the builds were cancelled", report);
      return out ? Status{} : Status(out.error());
    }
    case Verdict::infrastructure: {
      auto out = step(Event::results_infrastructure,
                      "CI infrastructure trouble, not the patch: " + util::join(report.infrastructure, ", ") +
                          " killed or interrupted on every rerun",
                      report);
      return out ? Status{} : Status(out.error());
    }
    case Verdict::orange: {
      // The step first, then the reruns (see the header on crashes).
      AUTOLAND_TRY(
          step(Event::results_orange, "retriggering " + std::to_string(report.retrigger.size()) + " job(s)", report));
      for (const std::string& name : report.retrigger) {
        // The latest run of the job is the one to repeat.
        std::string id;
        for (const CiJob& j : *jobs) {
          if (j.name == name) id = j.id;
        }
        AUTOLAND_TRY(ci->retrigger(target, revision, id));
        ++stats.retriggered;
      }
      return {};
    }
  }
  return {};
}

}  // namespace autoland
