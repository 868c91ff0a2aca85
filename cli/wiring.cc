#include "cli/wiring.h"

#include "util/log.h"

namespace autoland::cli {

Result<std::unique_ptr<Wiring>> wire(const Invocation& inv, bool with_bugzilla) {
  AUTOLAND_TRY_ASSIGN(auto config, inv.load_config());
  util::set_log_level(util::parse_log_level(config.log_level));
  return open_wiring(std::move(config), with_bugzilla);
}

}  // namespace autoland::cli
