// The BugTracker over Bugzilla 5's REST API.
//
// The API key goes as the X-BUGZILLA-API-KEY header (BMO, 5.3+) or as the
// api_key query parameter (upstream 5.2 ignores the header), by config, and
// is redacted from every URL that is logged or put in an error. Idempotent
// calls are retried on transient failures (5xx, timeouts, connection errors)
// with exponential backoff and jitter; 4xx never is. A comment POST is resent
// only when the request certainly never reached the server, and only within
// one deadline (timeout_ms in all): otherwise the caller (the commenter) must
// look for the comment on the bug first.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "adapters/http/http_transport.h"
#include "ports/bug_tracker.h"

namespace autoland {

struct BugzillaOptions {
  std::string base_url;  // "https://bugzilla.example.org" (no trailing /rest)
  std::string api_key;
  bool key_in_query = false;  // auth = "query"
  long timeout_ms = 30'000;
  int max_attempts = 4;  // first try included
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_max{8'000};
  // How the client waits between attempts (tests make it instant).
  std::function<void(std::chrono::milliseconds)> sleep;
};

// Counters for /metrics and benchmarks. Thread-safe reads.
struct BugzillaStats {
  uint64_t requests = 0;  // HTTP requests sent, retries included
  uint64_t retries = 0;
};

class BugzillaClient final : public BugTracker {
 public:
  BugzillaClient(BugzillaOptions options, std::unique_ptr<HttpTransport> transport);
  ~BugzillaClient() override;

  Result<std::vector<BugSummary>> search(const SearchQuery& query) override;
  Result<Bug> get_bug(BugId id) override;
  Result<std::vector<Attachment>> attachments(BugId bug, bool with_data) override;
  Result<Attachment> attachment(BugId bug, AttachmentId id, bool with_data) override;
  Result<std::vector<HistoryEntry>> history(BugId bug) override;
  Result<int64_t> post_comment(BugId bug, const std::string& text) override;
  Result<std::vector<BugComment>> comments(BugId bug, const std::string& new_since) override;
  Result<BugUpdateResult> update_bug(BugId bug, const BugUpdate& update) override;
  Result<User> user(const std::string& email) override;

  BugzillaStats stats() const;
  // `url` with the API key replaced by "REDACTED".
  std::string redact(std::string url) const;

 private:
  Result<HttpResponse> call(const std::string& method, const std::string& path,
                            const std::vector<std::pair<std::string, std::string>>& query, const std::string& body,
                            bool idempotent);

  struct State;
  BugzillaOptions options_;
  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<State> state_;
};

// Builds a client from config values; the transport is libcurl.
std::unique_ptr<BugzillaClient> make_bugzilla_client(const std::string& base_url, const std::string& api_key,
                                                     const std::string& auth, const std::string& ca_file,
                                                     int timeout_seconds);

// The longest one comment POST of make_bugzilla_client's client can take,
// resends of requests that never arrived included (they share one deadline). A poster's lease on a
// comment must outlast it, or a second poster takes over a post still in
// flight and the comment goes out twice.
int longest_comment_post_seconds(int timeout_seconds);

}  // namespace autoland
