// HTTP/1.1 for the REST API, over GNU libmicrohttpd, built so that no client
// can take the daemon down:
// - connections are watched by a few event-loop threads, so a slow client
//   holds a socket, never a thread;
// - every request has deadlines: for its headers (from the connection, or
//   from the end of the previous request on a kept-alive one) and for its
//   body; a client that trickles is cut off when its deadline passes;
// - connections are bounded in all and per client address;
// - each request passes its route's gate once its headers are in and before
//   one byte of its body is read (the API authenticates there); a body over
//   the limit is refused before it is read when its length is declared, and
//   as soon as it passes the limit when it is chunked;
// - handlers run on two worker pools: one for callers the gate marks as
//   urgent (sheriffs: the kill switch stays reachable under a flood), one for
//   everyone else, whose queue is bounded (503 when full).
// Thread-safe; handlers run concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace autoland::api {

struct HttpRequest {
  std::string method;
  std::string path;                                          // decoded, without the query
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // as sent
  std::string body;
  std::vector<std::string> matches;  // the route's pattern: [0] the whole path, then its groups
  std::string client;                // the peer's address

  bool has_param(std::string_view key) const;
  std::string get_param_value(std::string_view key) const;  // the first; "" when absent
  size_t param_count(std::string_view key) const;
  std::string get_header_value(std::string_view name) const;  // case-insensitive; "" when absent
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  void set_content(std::string text, std::string type) {
    body = std::move(text);
    content_type = std::move(type);
  }
};

struct HttpLimits {
  size_t max_body_bytes = size_t{64} * 1024;
  std::chrono::milliseconds header_deadline{10'000};
  std::chrono::milliseconds body_deadline{30'000};
  unsigned max_connections = 1000;
  unsigned max_connections_per_client = 64;
  unsigned event_threads = 2;
  unsigned workers = 16;        // handlers of ordinary requests at once
  unsigned urgent_workers = 4;  // handlers of urgent ones
  size_t max_queued = 256;      // ordinary requests waiting for a worker; more: 503
};

// What a gate decides once the headers are in.
struct GateDecision {
  std::optional<HttpResponse> refusal;  // set: answered now, the body is never read
  bool urgent = false;                  // handled on the urgent pool
};

class HttpServer {
 public:
  using Gate = std::function<GateDecision(const HttpRequest& head)>;
  using Handler = std::function<void(const HttpRequest& request, HttpResponse& response)>;
  // Answers what no route takes (404, 405) and the server's own refusals
  // (408, 411, 413, 503): fills in the body for `status` and `detail`.
  using ErrorBody = std::function<void(HttpResponse& response, const std::string& detail)>;

  HttpServer(HttpLimits limits, ErrorBody error_body);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // `pattern`: a regular expression the whole decoded path must match.
  // Routes are tried in the order they are added. Not after start().
  void route(std::string method, const std::string& pattern, Gate gate, Handler handler);

  // Listens on host:port (0: a free port); returns once it accepts connections.
  Status start(const std::string& host, int port);
  void stop();
  int port() const;

  // Connections open now, and those cut off at a deadline since start.
  size_t open_connections() const;
  uint64_t deadline_cutoffs() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace autoland::api
