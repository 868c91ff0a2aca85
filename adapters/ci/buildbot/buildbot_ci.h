// CiResults over buildbot 3.x's REST data API (/api/v2).
//
// A push reaches buildbot as a change (an hg hook posting to
// /change_hook/base, or a change source) whose `project` is the autoland
// branch and whose `revision` is the pushed tip. The jobs of a revision are
// the builds of its change (found once through /sourcestamps?revision=R and
// /sourcestamps/ID/changes; then /changes/ID/builds, which also holds
// rebuilds of the same sourcestamp) plus the build requests
// not yet started (a snapshot of /buildrequests?claimed=false, matched to the
// revision through their buildset). A job's name is its builder's name
// (builder ids differ between masters; names are what a config says).
//
// Results: null while running; 0 success, 1 warnings, 2 failure, 3 skipped
// (nothing ran: success), 4 exception, 5 retry, 6 cancelled (usercancel).
// Retrigger is buildbot's rebuild control (JSON-RPC POST /builds/ID).
//
// Requests per poll pass with N revisions in flight: N (the builds of each
// change) plus one for the unstarted requests, plus, once each, the two
// change lookups of a new revision, a new buildset, the builder list, and the steps of
// a failed build (for its log link). Completed builds never change, so
// nothing else is asked again.
#pragma once

#include <memory>
#include <string>

#include "adapters/http/http_transport.h"
#include "ports/ci_results.h"

namespace autoland {

struct BuildbotOptions {
  std::string url;  // the master's web root, e.g. "http://127.0.0.1:8010" (the API is url + "/api/v2")
  long timeout_ms = 30'000;
  // How long one snapshot of the unstarted build requests is reused.
  int snapshot_ttl_ms = 1'000;
};

struct BuildbotStats {
  uint64_t requests = 0;
};

class BuildbotCi final : public CiResults {
 public:
  BuildbotCi(BuildbotOptions options, std::unique_ptr<HttpTransport> transport);
  ~BuildbotCi() override;

  Result<std::vector<CiJob>> jobs(const std::string& branch, const std::string& revision) override;
  Result<std::string> retrigger(const std::string& branch, const std::string& revision,
                                const std::string& job_id) override;
  Result<CiPushPage> pushes_since(const std::string& branch, const std::string& cursor) override;

  BuildbotStats stats() const;

 private:
  struct State;
  BuildbotOptions options_;
  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<State> state_;
};

std::unique_ptr<BuildbotCi> make_buildbot_ci(const std::string& url, int timeout_seconds);

}  // namespace autoland
