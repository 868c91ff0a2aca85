#include "services/results/trunk_window.h"

#include <algorithm>
#include <limits>

#include "core/flake_verdict.h"
#include "services/pusher/pusher.h"
#include "services/transitions.h"
#include "util/log.h"

namespace autoland {
namespace {

// A push in the window before it is put in order.
struct Node {
  PushKind kind = PushKind::landing;
  std::string revision;
  std::string parent;
  PatchSetId patchset = 0;
  BugId bug = 0;
};

// Bounds on how far back a window reaches: far more than any tree keeps in
// flight, small enough that a broken chain cannot make a pass crawl.
constexpr size_t kMaxPushes = 500;
constexpr int kMaxOutsideWalk = 50;

// A job's failures must repeat this often before they count, within the
// branch's reruns (max_retriggers 0: the first failure counts).
int failures_to_count(const Branch& b) {
  return std::max(1, std::min(failures_needed(0.05, 0.001), b.max_retriggers + 1));
}

std::string short_rev(const std::string& revision) { return revision.substr(0, 12); }

}  // namespace

Result<TrunkWindowJudge::Built> TrunkWindowJudge::build(const Branch& branch, CiResults& ci) {
  Built built;
  built.window.branch = branch.name;
  VersionControl* vcs = vcs_for_ ? vcs_for_(branch) : nullptr;
  const RemoteSpec remote = remote_of(branch, 0);
  auto parent_of = [&](const std::string& stored, const std::string& revision) -> Result<std::string> {
    if (!stored.empty()) return stored;  // recorded at the push
    if (!vcs) return internal_error("no version control to read what " + short_rev(revision) + " was pushed on");
    return vcs->parent_of(remote, revision);
  };

  std::map<std::string, Node> nodes;
  std::vector<std::string> below;  // parents still to place
  UnixTime oldest = std::numeric_limits<UnixTime>::max();
  AUTOLAND_TRY_ASSIGN(
      auto live,
      store_.find_patchsets({.branch = branch.name, .states = {State::testing, State::retrying, State::backing_out}}));
  for (const PatchSet& ps : live) {
    if (ps.stage != Stage::landing || ps.landing_revision.empty()) continue;
    built.in_flight[ps.id] = ps;
    AUTOLAND_TRY_ASSIGN(auto parent, parent_of(ps.landing_parent, ps.landing_revision));
    nodes[ps.landing_revision] = {PushKind::landing, ps.landing_revision, parent, ps.id, ps.bug_id};
    below.push_back(parent);
    oldest = std::min(oldest, ps.push_time.value_or(ps.updated_time));
  }
  if (built.in_flight.empty()) return built;

  // Backouts pushed since the oldest landing in flight: the kept changes
  // without the culprit, where the landings on top are tested again.
  PatchSetQuery gone{.branch = branch.name, .states = {State::backed_out}, .after_id = 0};
  while (true) {
    AUTOLAND_TRY_ASSIGN(auto page, store_.find_patchsets(gone));
    for (const PatchSet& q : page) {
      if (q.stage != Stage::landing || q.backout_revision.empty() || q.completion_time.value_or(0) < oldest) continue;
      AUTOLAND_TRY_ASSIGN(auto parent, parent_of(q.backout_parent, q.backout_revision));
      nodes[q.backout_revision] = {PushKind::backout, q.backout_revision, parent, q.id, q.bug_id};
      below.push_back(parent);
    }
    if (page.size() < gone.limit) break;
    gone.after_id = page.back().id;
  }

  // Down the parents to a landing found green or a revision autoland did
  // not push: each is a root. A landing found green is a green revision
  // only when nothing below it was backed out since: its own revision
  // holds what the backout took away (it was found green without it).
  // Then the window reaches below it, to the backed-out landing and on.
  std::vector<std::string> roots;
  std::set<std::string> green;
  std::map<std::string, PatchSet> landed;  // green roots: their patchsets
  for (int round = 0;; ++round) {
    while (!below.empty()) {
      const std::string revision = below.back();
      below.pop_back();
      if (nodes.count(revision) || std::count(roots.begin(), roots.end(), revision)) continue;
      if (nodes.size() > kMaxPushes) {
        return internal_error("more than " + std::to_string(kMaxPushes) + " pushes on " + branch.name +
                              " since its last green landing");
      }
      AUTOLAND_TRY_ASSIGN(auto found, store_.find_patchsets({.branch = branch.name, .revision = revision}));
      auto ours = std::find_if(found.begin(), found.end(), [&](const PatchSet& q) {
        return q.stage == Stage::landing && (q.landing_revision == revision || q.backout_revision == revision);
      });
      if (ours == found.end()) {
        roots.push_back(revision);
      } else if (ours->backout_revision == revision) {
        AUTOLAND_TRY_ASSIGN(auto parent, parent_of(ours->backout_parent, revision));
        nodes[revision] = {PushKind::backout, revision, parent, ours->id, ours->bug_id};
        below.push_back(parent);
      } else if (ours->state == State::landed) {
        roots.push_back(revision);
        green.insert(revision);
        landed[revision] = *ours;
      } else {
        AUTOLAND_TRY_ASSIGN(auto parent, parent_of(ours->landing_parent, revision));
        nodes[revision] = {PushKind::landing, revision, parent, ours->id, ours->bug_id};
        below.push_back(parent);
      }
    }
    std::set<PatchSetId> reverted, present;
    for (const auto& [revision, node] : nodes) {
      (node.kind == PushKind::backout ? reverted : present).insert(node.patchset);
    }
    const bool complete =
        std::all_of(reverted.begin(), reverted.end(), [&](PatchSetId id) { return present.count(id); });
    if (complete || landed.empty()) break;
    if (round >= 10) return internal_error("a backout on " + branch.name + " reverts a landing too far below the rest");
    for (const auto& [revision, ps] : landed) {
      roots.erase(std::remove(roots.begin(), roots.end(), revision), roots.end());
      green.erase(revision);
      AUTOLAND_TRY_ASSIGN(auto parent, parent_of(ps.landing_parent, revision));
      nodes[revision] = {PushKind::landing, revision, parent, ps.id, ps.bug_id};
      below.push_back(parent);
    }
    landed.clear();
  }

  // Several roots: all but the lowest are pushes by others on top of the
  // window's own; the VCS says where they sit.
  std::vector<std::string> bases;
  for (const std::string& root : roots) {
    if (roots.size() == 1 || green.count(root)) {
      bases.push_back(root);
      continue;
    }
    std::vector<std::pair<std::string, std::string>> chain;  // revision, parent
    std::string at = root;
    bool placed = false;
    for (int step = 0; step < kMaxOutsideWalk && vcs; ++step) {
      auto parent = vcs->parent_of(remote, at);
      if (!parent && parent.error().kind != ErrorKind::not_found) return parent.error();
      // The start of the history, or a revision the remote does not have:
      // nothing below to place it on.
      if (!parent || *parent == std::string(40, '0')) break;
      chain.emplace_back(at, *parent);
      const std::string& below_it = *parent;
      if (nodes.count(below_it) || (below_it != root && std::count(roots.begin(), roots.end(), below_it))) {
        placed = true;
        break;
      }
      at = below_it;
    }
    if (!placed) {
      bases.push_back(root);
      continue;
    }
    for (const auto& [revision, parent] : chain) nodes[revision] = {PushKind::outside, revision, parent, 0, 0};
  }
  bases.erase(std::remove_if(bases.begin(), bases.end(), [&](const std::string& r) { return nodes.count(r) > 0; }),
              bases.end());

  // In push order, up from the base: the one root whose line of pushes
  // holds every landing in flight. Others are older history reached
  // through a backout (a line that ends in a green landing below the base).
  std::map<std::string, std::string> child;
  std::set<std::string> forked;
  for (const auto& [revision, node] : nodes) {
    if (!child.emplace(node.parent, revision).second) forked.insert(node.parent);
  }
  auto line_from = [&](const std::string& root) -> Result<std::vector<std::string>> {
    std::vector<std::string> line;
    for (auto it = child.find(root); it != child.end(); it = child.find(it->second)) {
      if (forked.count(it->first)) {
        return internal_error("two pushes on " + branch.name + " sit on " + short_rev(it->first) +
                              ": its history is not one line");
      }
      line.push_back(it->second);
    }
    return line;
  };
  std::vector<std::string> line;
  for (const std::string& root : bases) {
    AUTOLAND_TRY_ASSIGN(auto candidate, line_from(root));
    size_t held = 0;
    for (const std::string& revision : candidate) {
      const Node& n = nodes[revision];
      held += n.kind == PushKind::landing && built.in_flight.count(n.patchset);
    }
    if (held == built.in_flight.size()) {
      built.window.base_revision = root;
      line = std::move(candidate);
      break;
    }
  }
  if (built.window.base_revision.empty()) {
    std::string named;
    for (const std::string& r : bases) named += (named.empty() ? "" : ", ") + short_rev(r);
    return internal_error("the landings in flight on " + branch.name + " do not go back to one base (roots: " + named +
                          ")");
  }
  const int needed = failures_to_count(branch);
  const int max_runs = std::max(1, branch.max_retriggers + 1);
  // Each revision's jobs; false when the CI lists none there.
  auto read_jobs = [&](const std::string& revision, std::map<std::string, JobOutcome>& out) -> Result<bool> {
    auto jobs = ci.jobs(branch.name, revision);
    if (!jobs) {
      if (jobs.error().kind == ErrorKind::not_found) return false;
      return jobs.error();
    }
    std::map<std::string, std::vector<JobResult>> runs;
    std::map<std::string, std::string> latest;
    for (const CiJob& j : *jobs) {
      runs[j.name].push_back(j.result);
      latest[j.name] = j.id;
    }
    for (const auto& [name, results] : runs) {
      RevisionJob judged = judge_runs_on_revision(results, needed, max_runs);
      out[name] = judged.outcome;
      if (judged.rerun) built.reruns.emplace_back(revision, latest[name]);
    }
    return !jobs->empty();
  };
  if (!green.count(built.window.base_revision)) {
    std::map<std::string, JobOutcome> base_jobs;
    AUTOLAND_TRY(read_jobs(built.window.base_revision, base_jobs));
    built.window.base_jobs = std::move(base_jobs);
  }
  std::vector<bool> listed;
  for (const std::string& revision : line) {
    const Node& node = nodes[revision];
    WindowPush push{node.kind, node.revision, node.patchset, node.bug, {}, false};
    AUTOLAND_TRY_ASSIGN(bool any, read_jobs(node.revision, push.jobs));
    listed.push_back(any);
    built.window.pushes.push_back(std::move(push));
  }
  // A push with no jobs under one that has some was skipped by the CI
  // (coalesced); above the last listed one, the CI is still to decide.
  bool listed_above = false;
  for (size_t i = listed.size(); i-- > 0;) {
    if (!listed[i]) built.window.pushes[i].awaiting_ci = !listed_above;
    listed_above = listed_above || listed[i];
  }
  return built;
}

Status TrunkWindowJudge::judge(const Branch& branch, WindowPassStats& stats) {
  CiResults* ci = ci_for_(branch.ci_source);
  if (!ci)
    return invalid_input("branch " + branch.name + " names CI source '" + branch.ci_source + "', not configured");
  AUTOLAND_TRY_ASSIGN(auto built, build(branch, *ci));
  if (built.in_flight.empty()) return {};
  return act(branch, *ci, built, stats);
}

Status TrunkWindowJudge::act(const Branch& branch, CiResults& ci, Built& built, WindowPassStats& stats) {
  const CulpritReport report = find_culprits(built.window);
  auto once = [&](const std::string& key, const std::string& text) {
    if (told_.insert(key).second) LOG_WARN("results", text);
  };
  Status first_error;
  auto step = [&](const PatchSet& ps, Event event, const std::string& reason) {
    StepRequest r;
    r.event = event;
    r.actor = actor_;
    r.reason = reason;
    auto out = advance(store_, clock_, ps, r);
    if (!out) {
      if (out.error().kind != ErrorKind::conflict) {  // a conflict: another worker moved it first
        ++stats.errors;
        if (first_error.ok()) first_error = out.error();
      }
      return false;
    }
    (void)store_.append_event({0, clock_.now(), ps.id, actor_, "culprit", reason});
    return true;
  };
  for (const LandingDecision& d : report.landings) {
    auto it = built.in_flight.find(d.patchset);
    if (it == built.in_flight.end()) continue;
    const PatchSet& ps = it->second;
    if (ps.state != State::testing && ps.state != State::retrying) continue;
    ++stats.landings;
    const std::string who = "bug " + std::to_string(ps.bug_id) + " (patchset " + std::to_string(ps.id) + ")";
    switch (d.action) {
      case LandingAction::land:
        if (step(ps, Event::results_green, d.reason)) ++stats.landed;
        break;
      case LandingAction::back_out:
        LOG_INFO("results", who + " broke " + branch.name + ": " + d.reason);
        if (step(ps, Event::results_red, d.reason)) ++stats.backed_out;
        break;
      case LandingAction::sheriff:
        ++stats.for_sheriff;
        if (told_.insert(std::to_string(ps.id) + "/" + d.reason).second) {
          LOG_WARN("results", who + " on " + branch.name + " needs a sheriff: " + d.reason);
          (void)store_.append_event({0, clock_.now(), ps.id, actor_, "culprit.sheriff", d.reason});
        }
        [[fallthrough]];
      case LandingAction::wait: {
        if (d.action == LandingAction::wait) ++stats.waiting;
        const UnixTime since = ps.push_time ? *ps.push_time : ps.updated_time;
        if (clock_.now() - since > UnixTime{branch.results_timeout_minutes} * 60) {
          step(ps, Event::results_timed_out, "no verdict by the deadline: " + d.reason);
        }
        break;
      }
    }
  }
  for (const TestRequest& t : report.requests) {
    if (t.revision.empty()) {
      once("probe/" + t.job + "/" + std::to_string(t.content.size()),
           branch.name + ": " + t.why +
               ", but no push holds exactly those changes and test pushes of them are not "
               "built yet: the landings concerned wait for a sheriff or their deadline");
      continue;
    }
    auto ran = ci.run_job(branch.name, t.revision, t.job);
    if (ran) {
      ++stats.tests;
      LOG_INFO("results", branch.name + ": running " + t.job + " on " + short_rev(t.revision) + " (" + t.why + ")");
    } else {
      once("run/" + t.revision + "/" + t.job, branch.name + ": " + t.why + ", but " + ran.error().message);
    }
  }
  for (const auto& [revision, run_id] : built.reruns) {
    auto again = ci.retrigger(branch.name, revision, run_id);
    if (again) {
      ++stats.tests;
    } else {
      once("rerun/" + revision + "/" + run_id,
           branch.name + ": cannot rerun run " + run_id + " on " + short_rev(revision) + ": " + again.error().message);
    }
  }
  return first_error;
}

}  // namespace autoland
