// A Bugzilla-compatible REST server for the sandbox, the demo and the tests.
// It answers every endpoint the client uses in the shapes recorded from a
// real Bugzilla 5.2 (tests/data/bugzilla): users with API keys,
// private bugs (102), missing bugs (101), attachments with review flags,
// history written on whiteboard and keyword changes, comments.
//
// Fault injection: a share of requests answers an HTML 500, stalls past the
// client's timeout, or has its connection cut mid-answer; each fault happens
// either before the request takes effect or after it (the nasty case for
// exactly-once: the comment is stored but the client never hears so), or
// is answered 504 and carried out later still.
// Never linked into production paths. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/model.h"
#include "util/result.h"

namespace autoland::sandbox {

struct FaultPlan {
  double error_rate = 0;  // share of requests answered with an HTML 500
  double stall_rate = 0;  // share that wait stall_ms before answering
  double reset_rate = 0;  // share whose answer is cut off mid-way
  // Share answered 504 at once and carried out late_ms later, like a proxy
  // that gives up on a slow Bugzilla which still stores the write.
  double late_rate = 0;
  int late_ms = 1000;
  double after_share = 0.5;  // of faulty requests, the share that took effect first
  int stall_ms = 2000;
  int latency_ms = 0;  // added to every request
  uint64_t seed = 1;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  // Upstream 5.2 ignores X-BUGZILLA-API-KEY; BMO and 5.3+ honour it.
  bool honor_header_key = true;
  FaultPlan faults;
  // Serve HTTPS with this certificate and key (PEM files); "" = plain HTTP.
  std::string tls_cert;
  std::string tls_key;
};

struct ServerStats {
  uint64_t requests = 0;
  uint64_t faults = 0;
  uint64_t comments_posted = 0;  // by anyone, through the API
  uint64_t whiteboard_updates = 0;
};

struct PostedComment {
  BugId bug_id = 0;
  int64_t id = 0;
  std::string creator;
  std::string text;
};

class BugzillaServer {
 public:
  // `seed_json`: {"keywords": [...], "users": [...], "bugs": [...]}; see
  // docs/sandbox.md for the format. Listens before it returns.
  static Result<std::unique_ptr<BugzillaServer>> start(const std::string& seed_json, const ServerOptions& options);
  ~BugzillaServer();

  int port() const;
  std::string url() const;
  void set_faults(const FaultPlan& faults);
  ServerStats stats() const;

  // Inspection and changes as a human would make them in the web UI.
  std::vector<PostedComment> comments(BugId bug) const;
  std::string whiteboard(BugId bug) const;
  std::vector<std::string> keywords(BugId bug) const;
  // Sets the whiteboard as `who`, with a history entry.
  Status set_whiteboard(BugId bug, const std::string& whiteboard, const std::string& who);
  // Puts the bug in these groups (["security"]: private to that group's members).
  Status set_groups(BugId bug, const std::vector<std::string>& groups, const std::string& who);
  // Adds more seed data (same format as start()).
  Status add(const std::string& seed_json);

  struct Impl;

 private:
  explicit BugzillaServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace autoland::sandbox
