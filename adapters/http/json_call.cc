#include "adapters/http/json_call.h"

namespace autoland {

using json = nlohmann::json;

Result<json> call_json(HttpTransport& transport, const HttpRequest& request, const std::string& system,
                       const std::string& what) {
  HttpFailure failure;
  auto response = transport.send(request, &failure);
  if (!response) return transient(system + ": " + response.error().message);
  const long status = response->status;
  json parsed = json::parse(response->body, nullptr, false);
  std::string detail = response->body.substr(0, 200);
  if (parsed.is_object()) {
    for (const char* key : {"error", "detail", "message"}) {
      if (parsed.contains(key) && parsed[key].is_string()) detail = parsed[key].get<std::string>();
    }
  }
  if (status >= 500) return transient(system + " answered " + std::to_string(status) + " to " + what + ": " + detail);
  if (status == 404) return not_found(system + " has no " + what + ": " + detail);
  if (status != 200) {
    Error e = invalid_input(system + " refused " + request.method + " " + what + " (" + std::to_string(status) +
                            "): " + detail);
    e.code = static_cast<int>(status);
    return e;
  }
  if (parsed.is_discarded() || !(parsed.is_object() || parsed.is_array())) {
    return transient(system + " answered " + what + " with something that is not JSON");
  }
  return parsed;
}

Result<json> json_list(const json& answer, const char* key, const std::string& system, const std::string& what) {
  if (!answer.is_object()) return transient(system + "'s answer to " + what + " is not a JSON object");
  auto it = answer.find(key);
  if (it == answer.end() || !it->is_array()) {
    return transient(system + "'s answer to " + what + " has no '" + key + "' list");
  }
  return *it;
}

int64_t json_int(const json& object, const char* key, int64_t fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
}

std::string json_string(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool json_bool(const json& object, const char* key, bool fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  return it != object.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

}  // namespace autoland
