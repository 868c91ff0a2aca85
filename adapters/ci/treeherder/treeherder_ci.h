// CiResults over Treeherder's REST API, read only.
//
// A revision's push: GET /api/project/{branch}/push/?revision=R (an unknown
// revision is an empty list, i.e. "not yet"); its jobs: GET
// /api/jobs/?push_id=N, the compressed form the Treeherder UI reads (rows
// zipped with `job_property_names`, 2000 to a page, `next` followed). The
// Treeherder repository is named like the autoland branch.
//
// Tier 3 jobs (hidden, not sheriffed) and superseded runs are left out. A
// 404 means an unknown repository or a wrong URL (invalid_input). Pushes
// since a cursor are read in windows of push ids, re-reading a little before
// the cursor (Treeherder ingests in parallel). Links never carry the URL's
// user:password, and a `next` link is only followed on the configured root.
//
// Treeherder has no retrigger call: its UI reruns jobs through Taskcluster
// actions with a person's Taskcluster credentials. retrigger() therefore
// refuses, and the config requires max_retriggers = 0 on Treeherder
// branches; a rerun that a sheriff starts (same job type, later row) still
// counts in the verdict.
//
// Tested against hand-made fixtures that follow Treeherder's serializers
// (tests/data/treeherder/INDEX.md names the source of each shape), since no
// Treeherder can run here.
#pragma once

#include <memory>
#include <string>

#include "adapters/http/http_transport.h"
#include "ports/ci_results.h"

namespace autoland {

struct TreeherderOptions {
  std::string url;  // e.g. "https://treeherder.example.org"
  long timeout_ms = 30'000;
  std::string user_agent = "autoland";  // Treeherder asks clients to name themselves
};

class TreeherderCi final : public CiResults {
 public:
  TreeherderCi(TreeherderOptions options, std::unique_ptr<HttpTransport> transport);
  ~TreeherderCi() override;

  Result<std::vector<CiJob>> jobs(const std::string& branch, const std::string& revision) override;
  Result<std::string> retrigger(const std::string& branch, const std::string& revision,
                                const std::string& job_id) override;
  Result<CiPushPage> pushes_since(const std::string& branch, const std::string& cursor) override;
  bool jobs_appear_late() const override { return true; }

  uint64_t requests() const;

 private:
  Result<std::vector<CiJob>> jobs_unguarded(const std::string& branch, const std::string& revision);
  struct State;
  TreeherderOptions options_;
  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<State> state_;
};

std::unique_ptr<TreeherderCi> make_treeherder_ci(const std::string& url, int timeout_seconds);

}  // namespace autoland
