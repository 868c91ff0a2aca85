// One JSON request to a CI's REST API, with the answer sorted into the
// error kinds callers act on: no answer or 5xx → transient (try again next
// pass), 404 → not_found, other statuses → invalid_input carrying the status
// as its code, a body that is not a JSON object → transient (a proxy's error
// page, a truncated answer).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "adapters/http/http_transport.h"

namespace autoland {

// `system` names the server in messages ("buildbot at http://..."); `what`
// names the request ("/changes?revision=...").
Result<nlohmann::json> call_json(HttpTransport& transport, const HttpRequest& request, const std::string& system,
                                 const std::string& what);

// The list under `key` of an answer, or a transient error naming the request.
Result<nlohmann::json> json_list(const nlohmann::json& answer, const char* key, const std::string& system,
                                 const std::string& what);

// Runs `f`; a nlohmann exception from reading an answer of an unexpected
// shape deep inside it becomes a transient error naming `system`: a server's
// odd answer is never a reason for autoland to stop.
template <typename F>
auto guard_json(const std::string& system, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const nlohmann::json::exception& e) {
    return transient(system + " sent an answer autoland cannot read: " + e.what());
  }
}

// A field of a JSON object, or the fallback when it is missing or of another type.
int64_t json_int(const nlohmann::json& object, const char* key, int64_t fallback);
std::string json_string(const nlohmann::json& object, const char* key);
bool json_bool(const nlohmann::json& object, const char* key, bool fallback);

}  // namespace autoland
