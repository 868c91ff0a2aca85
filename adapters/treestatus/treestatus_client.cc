#include "adapters/treestatus/treestatus_client.h"

#include "adapters/http/json_call.h"
#include "util/strings.h"

namespace autoland {

TreeStatusClient::TreeStatusClient(TreeStatusOptions options, std::unique_ptr<HttpTransport> transport)
    : options_(std::move(options)), transport_(std::move(transport)) {
  while (!options_.url.empty() && options_.url.back() == '/') options_.url.pop_back();
}

Result<TreeState> TreeStatusClient::status(const std::string& tree) {
  MutexLock lock(mu_);
  auto now = std::chrono::steady_clock::now();
  auto cached = cache_.find(tree);
  if (cached != cache_.end() && now - cached->second.second < std::chrono::seconds(options_.cache_seconds)) {
    return cached->second.first;
  }
  HttpRequest request;
  request.url = options_.url + "/trees/" + url_encode(tree);
  request.timeout_ms = options_.timeout_ms;
  request.headers = {{"Accept", "application/json"}};
  ++requests_;
  const std::string system = "tree status at " + util::strip_url_credentials(options_.url);
  auto answer = call_json(*transport_, request, system, "/trees/" + tree);
  if (!answer) {
    // Any failure to learn the status holds landings: never "open" by default.
    return transient(answer.error().message);
  }
  const nlohmann::json* result = answer->is_object() && answer->contains("result") ? &(*answer)["result"] : nullptr;
  std::string word = result ? json_string(*result, "status") : "";
  TreeState state;
  state.reason = result ? json_string(*result, "reason") : "";
  if (word == "open") {
    state.status = TreeStatus::open;
  } else if (word == "closed") {
    state.status = TreeStatus::closed;
  } else if (word == "approval required") {
    state.status = TreeStatus::approval_required;
  } else {
    return transient(system + " says '" + word + "' for " + tree + " (open, closed or approval required expected)");
  }
  cache_.insert_or_assign(tree, std::make_pair(state, now));
  return state;
}

std::unique_ptr<TreeStatusClient> make_tree_status_client(const std::string& url, int timeout_seconds,
                                                          int cache_seconds) {
  return std::make_unique<TreeStatusClient>(TreeStatusOptions{url, long{timeout_seconds} * 1000, cache_seconds},
                                            make_curl_transport({}));
}

}  // namespace autoland
