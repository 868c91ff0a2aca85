#include "app/bug_tracker_factory.h"

#include "adapters/bugzilla/bugzilla_client.h"

namespace autoland {

Result<std::unique_ptr<BugTracker>> open_bug_tracker(const BugzillaConfig& c) {
  if (c.url.empty()) return invalid_input("bugzilla.url is not set in the configuration");
  if (c.url.rfind("http://", 0) != 0 && c.url.rfind("https://", 0) != 0) {
    return invalid_input("bugzilla.url must start with http:// or https://");
  }
  return std::unique_ptr<BugTracker>(make_bugzilla_client(c.url, c.api_key, c.auth, c.ca_file, c.timeout_seconds));
}

}  // namespace autoland
