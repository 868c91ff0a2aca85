// CiResults over buildbot 3.x's REST data API (/api/v2).
//
// A push reaches buildbot as a change (an hg hook posting to
// /change_hook/base, or a change source) whose `project` is the autoland
// branch and whose `revision` is the pushed tip. The jobs of a revision:
//  - the builds of its change (found once through /sourcestamps?revision=R
//    and /sourcestamps/ID/changes; then /changes/ID/builds, which also holds
//    rebuilds of the same sourcestamp), and
//  - every build request of its buildsets (those in progress come from one
//    snapshot of /buildsets?complete=false per pass) that has no build: not
//    claimed, or claimed with its build not created yet → pending; cancelled
//    before it started → usercancel; ended without a build (collapsed into
//    another push's request: autoland's builders need
//    c['collapseRequests'] = False) → busted, since nothing proves the push.
// A job's name is its builder's name (builder ids differ between masters).
//
// Results: null while running; 0 success, 1 warnings, 2 failure, 3 skipped
// (nothing ran: success), 4 exception, 5 retry, 6 cancelled (usercancel).
// Retrigger is buildbot's rebuild control (JSON-RPC POST /builds/ID).
// Links on bugs never carry the URL's user:password. A 404 from the master
// means a wrong ci.buildbot.url (invalid_input), never "not yet".
//
// Requests per poll pass with N revisions in flight: N (the builds of each
// change), one per buildset still in progress, and one snapshot; plus, once
// each, the two change look-ups of a new revision, the requests of a
// finished buildset, the builder list, and the steps and logs of a failed
// build (its log link is the first failed step's first log).
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
  bool jobs_appear_late() const override { return true; }

  BuildbotStats stats() const;

 private:
  struct State;
  BuildbotOptions options_;
  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<State> state_;
};

std::unique_ptr<BuildbotCi> make_buildbot_ci(const std::string& url, int timeout_seconds);

}  // namespace autoland
