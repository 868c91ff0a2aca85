#include "cli/wiring.h"

#include "app/bug_tracker_factory.h"
#include "app/store_factory.h"
#include "util/log.h"

namespace autoland::cli {

Result<std::unique_ptr<Wiring>> wire(const Invocation& inv, bool with_bugzilla) {
  auto w = std::make_unique<Wiring>();
  auto config = inv.load_config();
  if (!config) return config.error();
  w->config = std::move(*config);
  util::set_log_level(util::parse_log_level(w->config.log_level));
  auto store = open_store(w->config.store_url, w->clock);
  if (!store) return store.error();
  w->store = std::move(*store);
  if (with_bugzilla) {
    auto bugs = open_bug_tracker(w->config.bugzilla);
    if (!bugs) return bugs.error();
    w->bugs = std::move(*bugs);
  }
  // Branches from the config file become the store's initial branches; the
  // store (and sheriffs, through the API) own them afterwards.
  for (const Branch& b : w->config.branches) {
    auto existing = w->store->get_branch(b.name);
    if (existing) continue;
    if (existing.error().kind != ErrorKind::not_found) return existing.error();
    auto created = w->store->create_branch(b, "config");
    if (!created && created.error().kind != ErrorKind::conflict) return created.error();
  }
  return w;
}

RequestLimits request_limits(const Config& c) {
  RequestLimits limits;
  limits.per_bug = c.max_requests_per_bug;
  limits.per_requester = c.max_requests_per_requester;
  return limits;
}

PatchLimits patch_limits(const Config& c) {
  PatchLimits limits;
  limits.max_bytes = static_cast<size_t>(c.patch_max_bytes);
  return limits;
}

TriggerOptions trigger_options(const Config& c) {
  TriggerOptions o;
  o.checkin_needed_branch = c.checkin_needed_branch;
  o.bot_login = c.bugzilla.bot_login;
  o.patch_limits = patch_limits(c);
  o.limits = request_limits(c);
  return o;
}

CommenterOptions commenter_options(const Config& c) {
  CommenterOptions o;
  o.bot_login = c.bugzilla.bot_login;
  o.clear_checkin_needed = !c.checkin_needed_branch.empty();
  o.lease_seconds = c.commenter_lease_seconds;
  return o;
}

}  // namespace autoland::cli
