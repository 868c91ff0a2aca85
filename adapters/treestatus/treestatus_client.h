// TreeStatusSource over a Treestatus-compatible REST service:
// GET URL/trees/NAME → {"result": {"status": "open" | "closed" |
// "approval required", "reason": "..."}}. Answers are kept `cache_seconds`
// (trees change by hand, rarely); an error is never cached. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>

#include "adapters/http/http_transport.h"
#include "ports/tree_status.h"
#include "util/mutex.h"

namespace autoland {

struct TreeStatusOptions {
  std::string url;
  long timeout_ms = 10'000;
  int cache_seconds = 30;
};

class TreeStatusClient final : public TreeStatusSource {
 public:
  TreeStatusClient(TreeStatusOptions options, std::unique_ptr<HttpTransport> transport);
  Result<TreeState> status(const std::string& tree) override;
  uint64_t requests() EXCLUDES(mu_) {
    MutexLock lock(mu_);
    return requests_;
  }

 private:
  TreeStatusOptions options_;
  std::unique_ptr<HttpTransport> transport_;
  Mutex mu_;
  std::map<std::string, std::pair<TreeState, std::chrono::steady_clock::time_point>> cache_ GUARDED_BY(mu_);
  uint64_t requests_ GUARDED_BY(mu_) = 0;
};

std::unique_ptr<TreeStatusClient> make_tree_status_client(const std::string& url, int timeout_seconds,
                                                          int cache_seconds);

}  // namespace autoland
