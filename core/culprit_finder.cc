#include "core/culprit_finder.h"

#include <algorithm>
#include <optional>
#include <set>

namespace autoland {

std::string_view to_string(JobOutcome o) {
  switch (o) {
    case JobOutcome::pending: return "pending";
    case JobOutcome::not_run: return "not_run";
    case JobOutcome::passed: return "passed";
    case JobOutcome::failed: return "failed";
  }
  return "?";
}

std::string_view to_string(LandingAction a) {
  switch (a) {
    case LandingAction::wait: return "wait";
    case LandingAction::land: return "land";
    case LandingAction::back_out: return "back_out";
    case LandingAction::sheriff: return "sheriff";
  }
  return "?";
}

namespace {

using Content = std::set<size_t>;

// A revision with what it holds and what the CI said there.
struct Evidence {
  std::string revision;
  Content content;
  const std::map<std::string, JobOutcome>* jobs = nullptr;  // null: the base (everything passed)
  bool is_probe = false;
  bool awaiting_ci = false;

  JobOutcome outcome(const std::string& job) const {
    if (!jobs) return JobOutcome::passed;
    auto it = jobs->find(job);
    if (it != jobs->end()) return it->second;
    return awaiting_ci ? JobOutcome::pending : JobOutcome::not_run;
  }
};

bool includes(const Content& outer, const Content& inner) {
  return std::includes(outer.begin(), outer.end(), inner.begin(), inner.end());
}

std::string short_rev(const std::string& revision) { return revision.substr(0, 12); }

// What is known about one job in one prefix of the kept changes.
struct PrefixState {
  const Evidence* pass = nullptr;      // a revision holding the prefix (or more) where the job passed
  const Evidence* fail = nullptr;      // a revision holding part of the prefix (or all) where it failed
  const Evidence* pending = nullptr;   // a revision holding exactly the prefix, the job still running
  const Evidence* to_rerun = nullptr;  // a revision holding exactly the prefix, the job not run there
};

// One job across the prefixes P_0 (the base) .. P_K.
struct JobLine {
  std::string job;
  std::vector<PrefixState> prefixes;
  bool conflict = false;
  bool already_failing = false;      // it fails on the base: no landing here is to blame
  std::optional<size_t> first_fail;  // smallest k known to fail
  // Largest k below first_fail (or anywhere, with no failure) known to
  // pass; -1 when none, not even the base.
  long last_pass = -1;
};

class Finder {
 public:
  explicit Finder(const TrunkWindow& window) : w_(window) {}

  CulpritReport run() {
    build_contents();
    for (const std::string& job : job_names()) lines_.push_back(line_for(job));
    CulpritReport report;
    for (size_t p = 1; p <= kept_.size(); ++p) {
      const WindowPush& push = w_.pushes[kept_[p - 1]];
      if (push.kind != PushKind::landing) continue;
      report.landings.push_back(decide(p));
    }
    for (const JobLine& line : lines_) add_request(line, report.requests);
    return report;
  }

 private:
  void build_contents() {
    Evidence base;
    base.revision = w_.base_revision;
    if (w_.base_jobs) base.jobs = &*w_.base_jobs;
    evidence_.push_back(base);
    Content current;
    std::set<size_t> reverted;
    for (size_t i = 0; i < w_.pushes.size(); ++i) {
      const WindowPush& push = w_.pushes[i];
      if (push.kind == PushKind::backout) {
        for (size_t j = i; j-- > 0;) {
          const WindowPush& earlier = w_.pushes[j];
          if (earlier.kind == PushKind::landing && earlier.patchset == push.patchset && !reverted.count(j)) {
            reverted.insert(j);
            current.erase(j);
            backed_out_in_[j] = i;
            break;
          }
        }
      } else {
        current.insert(i);
      }
      evidence_.push_back(Evidence{push.revision, current, &push.jobs, false, push.awaiting_ci});
    }
    for (const Probe& probe : w_.probes) {
      Content content(probe.content.begin(), probe.content.end());
      evidence_.push_back(Evidence{probe.revision, content, &probe.jobs, true, false});
    }
    for (size_t i = 0; i < w_.pushes.size(); ++i) {
      if (w_.pushes[i].kind != PushKind::backout && !reverted.count(i)) kept_.push_back(i);
    }
  }

  std::set<std::string> job_names() const {
    std::set<std::string> names;
    for (const WindowPush& push : w_.pushes) {
      for (const auto& [job, outcome] : push.jobs) names.insert(job);
    }
    for (const Probe& probe : w_.probes) {
      for (const auto& [job, outcome] : probe.jobs) names.insert(job);
    }
    return names;
  }

  Content prefix(size_t k) const { return Content(kept_.begin(), kept_.begin() + static_cast<long>(k)); }

  JobLine line_for(const std::string& job) const {
    JobLine line;
    line.job = job;
    if (evidence_[0].outcome(job) == JobOutcome::failed) {
      line.already_failing = true;
      return line;
    }
    for (size_t k = 0; k <= kept_.size(); ++k) {
      const Content p = prefix(k);
      PrefixState s;
      for (const Evidence& e : evidence_) {
        const JobOutcome o = e.outcome(job);
        if (o == JobOutcome::passed && includes(e.content, p)) {
          // The smallest passing content names the closest parent.
          if (!s.pass || e.content.size() < s.pass->content.size()) s.pass = &e;
        } else if (o == JobOutcome::failed && includes(p, e.content)) {
          if (!s.fail || e.content.size() > s.fail->content.size()) s.fail = &e;
        } else if (e.content == p && e.jobs) {
          if (o == JobOutcome::pending && !s.pending) s.pending = &e;
          // Reruns go to the pushes themselves before any probe.
          if (o == JobOutcome::not_run && (!s.to_rerun || s.to_rerun->is_probe)) s.to_rerun = &e;
        }
      }
      if (s.pass && s.fail) line.conflict = true;
      line.prefixes.push_back(s);
    }
    if (line.conflict) return line;
    for (size_t k = 0; k < line.prefixes.size(); ++k) {
      if (line.prefixes[k].fail) {
        line.first_fail = k;
        break;
      }
    }
    for (size_t k = line.first_fail.value_or(line.prefixes.size()); k-- > 0;) {
      if (line.prefixes[k].pass) {
        line.last_pass = static_cast<long>(k);
        break;
      }
    }
    return line;
  }

  std::string describe(size_t push_index) const {
    const WindowPush& push = w_.pushes[push_index];
    if (push.kind == PushKind::outside) return "the push " + short_rev(push.revision) + " (not autoland's)";
    return "bug " + std::to_string(push.bug) + "'s landing (" + short_rev(push.revision) + ")";
  }

  // The pushes in the window, below the kept change at prefix `p`, whose
  // landings were backed out: the likely reason its own revision failed.
  std::string backed_out_below(size_t p) const {
    std::string text;
    for (const auto& [landing, backout] : backed_out_in_) {
      if (landing >= kept_[p - 1]) continue;
      if (!text.empty()) text += "; ";
      text += "bug " + std::to_string(w_.pushes[landing].bug) + "'s landing, backed out in " +
              short_rev(w_.pushes[backout].revision);
    }
    return text;
  }

  LandingDecision decide(size_t p) const {
    const size_t index = kept_[p - 1];
    const WindowPush& push = w_.pushes[index];
    const Evidence& own = evidence_[index + 1];
    const Evidence& parent = evidence_[index];
    LandingDecision d{push.patchset, push.bug, LandingAction::wait, ""};
    if (lines_.empty()) {
      d.reason = "no CI results on " + short_rev(push.revision) + " yet";
      return d;
    }
    // The strongest finding wins: a culprit, then what only a sheriff can
    // settle, then the first reason to wait; it lands only when every job
    // passes with it.
    std::string wait_reason, sheriff_reason;
    std::vector<std::string> failed_here, failing_before;
    std::set<std::string> passed_on;
    for (const JobLine& line : lines_) {
      if (line.already_failing) {
        failing_before.push_back(line.job);
        continue;
      }
      const PrefixState& s = line.prefixes[p];
      if (own.outcome(line.job) == JobOutcome::failed) failed_here.push_back(line.job);
      if (s.pass && !s.fail) {
        passed_on.insert(short_rev(s.pass->revision));
        continue;
      }
      if (line.conflict) {
        if (sheriff_reason.empty()) {
          sheriff_reason = "job " + line.job + " passed and failed on revisions that contradict each other (" +
                           contradiction(line) + "): a sheriff must judge";
        }
        continue;
      }
      const bool found = line.first_fail && line.last_pass + 1 == static_cast<long>(*line.first_fail);
      if (found && *line.first_fail == p) {
        const std::string failed_rev = s.fail->revision;
        const Evidence* passed = line.prefixes[p - 1].pass;
        d.action = LandingAction::back_out;
        if (s.fail == &own && passed == &parent) {
          d.reason = "job " + line.job + " failed on this push (" + short_rev(failed_rev) +
                     ") and passed on its parent " + short_rev(passed->revision);
        } else {
          d.reason = "job " + line.job + " failed on " + short_rev(failed_rev) + " (with this landing) and passed on " +
                     short_rev(passed->revision) + " (without it)";
        }
        return d;
      }
      if (found && *line.first_fail < p) {
        const size_t culprit = kept_[*line.first_fail - 1];
        if (w_.pushes[culprit].kind == PushKind::outside) {
          if (sheriff_reason.empty()) {
            sheriff_reason = "job " + line.job + " has failed since " + describe(culprit) +
                             ", which autoland does not back out: a sheriff must act";
          }
        } else if (wait_reason.empty()) {
          wait_reason = "presumed innocent: job " + line.job + " has failed since " + describe(culprit) +
                        ", which is being backed out; it runs again without it";
        }
        continue;
      }
      if (!wait_reason.empty()) continue;
      const std::string pending = pending_below(line, p);
      if (!pending.empty()) {
        wait_reason = "waiting for job " + line.job + " on " + pending;
      } else if (line.first_fail) {
        wait_reason = "job " + line.job + " failed with this landing or near it; testing the pushes in between";
      } else {
        wait_reason = "waiting for job " + line.job + ", which the CI has not run on this push";
      }
    }
    if (!sheriff_reason.empty()) {
      d.action = LandingAction::sheriff;
      d.reason = sheriff_reason;
      return d;
    }
    if (!wait_reason.empty()) {
      d.reason = wait_reason;
      return d;
    }
    d.action = LandingAction::land;
    std::string revisions;
    for (const std::string& r : passed_on) revisions += (revisions.empty() ? "" : ", ") + r;
    d.reason = passed_on.empty() ? "" : "every job passed on " + revisions;
    if (!failing_before.empty()) {
      std::string jobs;
      for (const std::string& j : failing_before) jobs += (jobs.empty() ? "" : ", ") + j;
      d.reason += std::string(d.reason.empty() ? "" : "; ") + "already failing without it (on the base " +
                  short_rev(w_.base_revision) + "): " + jobs;
      if (passed_on.empty()) {
        // Nothing this landing can be judged on: a sheriff looks at the tree.
        d.action = LandingAction::sheriff;
        d.reason = "every job is " + d.reason.substr(d.reason.find("already failing"));
      }
    }
    if (!failed_here.empty()) {
      const std::string culprits = backed_out_below(p);
      d.reason = "not backed out: job " + failed_here.front() + " failed on this push because of " +
                 (culprits.empty() ? std::string("a push below it") : culprits) + "; " + d.reason;
    }
    return d;
  }

  // Where the job is still running on this push or a push below it whose
  // result would settle this one ("" when nowhere).
  std::string pending_below(const JobLine& line, size_t p) const {
    for (long k = static_cast<long>(p); k > line.last_pass; --k) {
      const PrefixState& s = line.prefixes[static_cast<size_t>(k)];
      if (s.pass) break;
      if (!s.pending) continue;
      const Evidence& e = *s.pending;
      if (k == static_cast<long>(p) && &e == &evidence_[kept_[p - 1] + 1]) return "this push";
      if (e.is_probe) return "the test revision " + short_rev(e.revision);
      if (&e == &evidence_[0]) return "the base " + short_rev(e.revision);
      return short_rev(e.revision) + (k == static_cast<long>(p) ? "" : ", below this landing");
    }
    return "";
  }

  std::string contradiction(const JobLine& line) const {
    for (const PrefixState& s : line.prefixes) {
      if (s.pass && s.fail)
        return "failed on " + short_rev(s.fail->revision) + ", passed on " + short_rev(s.pass->revision);
    }
    return "";
  }

  // One test per job at most, and none while an answer is on its way: in a
  // range between a pass and a failure, the middle; with no failure among
  // the kept changes but no pass over all of them (their runs held a
  // change backed out since, or the CI skipped them), the whole.
  void add_request(const JobLine& line, std::vector<TestRequest>& requests) const {
    if (line.conflict || line.already_failing) return;
    const long lo = line.last_pass;
    long hi = 0;
    size_t target = 0;
    std::string why;
    if (line.first_fail) {
      hi = static_cast<long>(*line.first_fail);
      if (hi == lo + 1) return;  // found
      if (lo < 0) {
        // Nothing known to pass, not even the base: the base first, since a
        // job failing there blames no landing.
        target = 0;
        why = "job " + line.job + " failed; is it failing on the base " + short_rev(w_.base_revision) + " too?";
      } else {
        target = static_cast<size_t>(lo + (hi - lo) / 2);
        why = "job " + line.job + " passed with the first " + std::to_string(lo) + " and failed with the first " +
              std::to_string(hi) + " of the " + std::to_string(kept_.size()) + " changes in the window: testing with " +
              std::to_string(target);
      }
    } else {
      if (lo == static_cast<long>(kept_.size())) return;  // passes with every kept change
      hi = static_cast<long>(kept_.size()) + 1;
      target = kept_.size();
      why = "job " + line.job + " has no result with the " + std::to_string(kept_.size()) +
            " changes in the window kept: testing with all of them";
    }
    for (long k = lo + 1; k < hi; ++k) {
      if (line.prefixes[static_cast<size_t>(k)].pending) return;
    }
    TestRequest r;
    r.job = line.job;
    const Content content = prefix(target);
    r.content.assign(content.begin(), content.end());
    if (const Evidence* e = line.prefixes[target].to_rerun) r.revision = e->revision;
    r.why = std::move(why);
    requests.push_back(std::move(r));
  }

  const TrunkWindow& w_;
  std::vector<Evidence> evidence_;          // [0] the base, then one per push, then the probes
  std::vector<size_t> kept_;                // indices of the kept changes, in push order
  std::map<size_t, size_t> backed_out_in_;  // landing index -> its backout's index
  std::vector<JobLine> lines_;
};

}  // namespace

CulpritReport find_culprits(const TrunkWindow& window) { return Finder(window).run(); }

}  // namespace autoland
