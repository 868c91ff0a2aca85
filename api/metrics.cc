#include "api/metrics.h"

#include <cstdio>

#include "api/workers_view.h"
#include "core/lifecycle.h"

namespace autoland::api {
namespace {

const std::vector<double> kRequestBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
// Patchset times run from seconds (a refusal) to hours (a long try run).
const std::vector<double> kPatchsetBounds = {10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800, 86400};

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// A label value with \, " and newlines escaped.
std::string quoted(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string worker_labels(const WorkerView& w) {
  return "id=" + quoted(w.record.id) + ",host=" + quoted(w.record.host) + ",role=" + quoted(w.record.role);
}

}  // namespace

void Histogram::observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  if (i < bounds_.size()) ++counts_[i];
  sum_ += value;
  ++count_;
}

std::string Histogram::render(const std::string& name, const std::string& labels) const {
  std::string out;
  std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += name + "_bucket{" + labels + sep + "le=\"" + number(bounds_[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(count_) + "\n";
  std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + number(sum_) + "\n";
  out += name + "_count" + braces + " " + std::to_string(count_) + "\n";
  return out;
}

void Metrics::observe_request(const std::string& route, int status, double seconds) {
  MutexLock lock(mu_);
  latency_.try_emplace(route, kRequestBounds).first->second.observe(seconds);
  ++requests_[{route, status}];
}

Result<std::string> Metrics::render() {
  // Every patchset, paged.
  std::vector<PatchSet> all;
  PatchSetQuery q{.after_id = 0, .limit = 1000};
  while (true) {
    AUTOLAND_TRY_ASSIGN(auto page, store_.find_patchsets(q));
    all.insert(all.end(), page.begin(), page.end());
    if (page.size() < q.limit) break;
    q.after_id = page.back().id;
  }
  AUTOLAND_TRY_ASSIGN(auto branches, store_.list_branches());
  std::map<std::string, const Branch*> named;
  for (const Branch& b : branches) named[b.name] = &b;

  std::map<State, int64_t> by_state;
  std::map<std::string, int64_t> depth;
  for (const Branch& b : branches) depth[b.name] = 0;
  int64_t try_pushes = 0, landings = 0, backouts = 0, deferrals = 0;
  Histogram to_push(kPatchsetBounds), to_end(kPatchsetBounds);
  for (const PatchSet& ps : all) {
    ++by_state[ps.state];
    if (!is_terminal(ps.state)) {
      auto b = named.find(ps.branch);
      ++depth[b == named.end() ? ps.branch : b->second->branch_for(ps.stage)];
      deferrals += ps.retries;
    }
    try_pushes += !ps.try_revision.empty();
    landings += !ps.landing_revision.empty();
    backouts += !ps.backout_revision.empty();
    if (ps.push_time) to_push.observe(static_cast<double>(*ps.push_time - ps.creation_time));
    if (ps.completion_time) to_end.observe(static_cast<double>(*ps.completion_time - ps.creation_time));
  }
  AUTOLAND_TRY_ASSIGN(auto comments, store_.count_comments());
  AUTOLAND_TRY_ASSIGN(auto workers, view_workers(store_, clock_.now(), failover_seconds_));

  std::string out;
  out += "# HELP autoland_patchsets Patchsets in the store by state.\n# TYPE autoland_patchsets gauge\n";
  for (State s : all_states()) {
    out += "autoland_patchsets{state=\"" + std::string(to_string(s)) + "\"} " + std::to_string(by_state[s]) + "\n";
  }
  out +=
      "# HELP autoland_queue_depth Patchsets not yet ended, by the branch they are headed to now.\n"
      "# TYPE autoland_queue_depth gauge\n";
  for (const auto& [branch, n] : depth)
    out += "autoland_queue_depth{branch=" + quoted(branch) + "} " + std::to_string(n) + "\n";
  out += "# HELP autoland_pushes Pushes made for the patchsets in the store.\n# TYPE autoland_pushes gauge\n";
  out += "autoland_pushes{kind=\"try\"} " + std::to_string(try_pushes) + "\n";
  out += "autoland_pushes{kind=\"landing\"} " + std::to_string(landings) + "\n";
  out += "autoland_pushes{kind=\"backout\"} " + std::to_string(backouts) + "\n";
  out +=
      "# HELP autoland_deferrals Temporary failures in a row of the patchsets not yet ended.\n"
      "# TYPE autoland_deferrals gauge\nautoland_deferrals " +
      std::to_string(deferrals) + "\n";
  out +=
      "# HELP autoland_comments Bug comments and whiteboard edits in the outbox, by kind and state "
      "(posted, pending, dropped).\n# TYPE autoland_comments gauge\n";
  for (const auto& [kind, states] : comments) {
    for (const auto& [state, n] : states) {
      out += "autoland_comments{kind=" + quoted(kind) + ",state=" + quoted(state) + "} " + std::to_string(n) + "\n";
    }
  }
  out +=
      "# HELP autoland_patchset_time_to_push_seconds From request to its first push.\n"
      "# TYPE autoland_patchset_time_to_push_seconds histogram\n";
  out += to_push.render("autoland_patchset_time_to_push_seconds", "");
  out +=
      "# HELP autoland_patchset_time_to_end_seconds From request to its end state.\n"
      "# TYPE autoland_patchset_time_to_end_seconds histogram\n";
  out += to_end.render("autoland_patchset_time_to_end_seconds", "");

  MutexLock lock(mu_);
  out +=
      "# HELP autoland_worker_up Each worker in the store: 1 while heard from within workers.failover_seconds.\n"
      "# TYPE autoland_worker_up gauge\n";
  for (const WorkerView& w : workers) {
    out += "autoland_worker_up{" + worker_labels(w) + "} " + (w.alive ? "1" : "0") + "\n";
  }
  out +=
      "# HELP autoland_worker_heartbeat_age_seconds Since each worker last said it was alive.\n"
      "# TYPE autoland_worker_heartbeat_age_seconds gauge\n";
  for (const WorkerView& w : workers) {
    out += "autoland_worker_heartbeat_age_seconds{" + worker_labels(w) + "} " +
           std::to_string(w.heartbeat_age_seconds) + "\n";
  }
  out +=
      "# HELP autoland_leader Which worker leads each role that must be single (trigger, queue, push-watcher).\n"
      "# TYPE autoland_leader gauge\n";
  for (const WorkerView& w : workers) {
    for (const std::string& role : w.leads) {
      out += "autoland_leader{leads=" + quoted(role) + "," + worker_labels(w) + "} 1\n";
    }
  }
  out +=
      "# HELP autoland_api_requests_total API requests served, by route and status.\n"
      "# TYPE autoland_api_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out += "autoland_api_requests_total{route=" + quoted(key.first) + ",status=\"" + std::to_string(key.second) +
           "\"} " + std::to_string(n) + "\n";
  }
  out +=
      "# HELP autoland_api_request_duration_seconds Time to answer an API request, by route.\n"
      "# TYPE autoland_api_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_)
    out += h.render("autoland_api_request_duration_seconds", "route=" + quoted(route));
  return out;
}

}  // namespace autoland::api
