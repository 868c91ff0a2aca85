// One HTTP exchange, as the REST adapters need it. CurlTransport is the real
// one (libcurl); tests may substitute a transport that injects faults.
// A failure to get any answer (cannot connect, timeout, reset) is a transient
// error; `reached_server` says whether the request may have been processed,
// which matters for non-idempotent calls (a POST must not be blindly resent).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "util/result.h"

namespace autoland {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  long timeout_ms = 30'000;
};

struct HttpResponse {
  long status = 0;
  std::string body;
};

struct HttpFailure {
  Error error;
  bool reached_server = true;  // false: the request certainly never arrived
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // An answer of any status, or a failure to get one.
  virtual Result<HttpResponse> send(const HttpRequest& request, HttpFailure* failure) = 0;
};

struct CurlOptions {
  std::string ca_file;  // "" = the system's CA bundle
  bool verify_tls = true;
  long connect_timeout_ms = 10'000;
};

// Thread-safe: each send uses its own curl handle.
std::unique_ptr<HttpTransport> make_curl_transport(const CurlOptions& options);

// Percent-encodes a query parameter value.
std::string url_encode(std::string_view value);

}  // namespace autoland
