// GET /metrics in Prometheus' text format (version 0.0.4): what the store
// says at scrape time (patchsets by state, queue depth per branch, pushes,
// comments by kind and outcome, deferrals, time to push and to the end as
// histograms) and what this process saw (API requests and their latency).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "ports/clock.h"
#include "ports/store.h"
#include "util/mutex.h"
#include "util/result.h"

namespace autoland::api {

// A Prometheus histogram: cumulative bucket counts, a sum and a count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size(), 0) {}
  void observe(double value);
  // "# TYPE" is the caller's; these are the _bucket, _sum and _count lines.
  std::string render(const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  // `failover_seconds`: a worker heard from within it counts as up.
  Metrics(Store& store, const Clock& clock, int failover_seconds)
      : store_(store), clock_(clock), failover_seconds_(failover_seconds) {}
  void observe_request(const std::string& route, int status, double seconds);
  Result<std::string> render();

 private:
  Store& store_;
  const Clock& clock_;
  const int failover_seconds_;
  Mutex mu_;
  std::map<std::string, Histogram> latency_ GUARDED_BY(mu_);                  // by route
  std::map<std::pair<std::string, int>, uint64_t> requests_ GUARDED_BY(mu_);  // by route and status
};

}  // namespace autoland::api
