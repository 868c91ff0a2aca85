#include "app/component_options.h"

namespace autoland {

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

QueueOptions queue_options(const Config& c) {
  QueueOptions o;
  o.grace_period_seconds = c.grace_period_seconds;
  o.patch_max_bytes = c.patch_max_bytes;
  o.vcs_max_race_retries = c.vcs_max_race_retries;
  o.allow_self_review = c.allow_self_review;
  o.try_budget.max_in_flight = c.try_max_in_flight;
  o.try_budget.max_pending_jobs = c.try_max_pending_jobs;
  return o;
}

CommenterOptions commenter_options(const Config& c) {
  CommenterOptions o;
  o.bot_login = c.bugzilla.bot_login;
  o.clear_checkin_needed = !c.checkin_needed_branch.empty();
  o.lease_seconds = c.commenter_lease_seconds;
  o.max_per_bug_per_hour = c.commenter_max_per_bug_per_hour;
  o.max_per_minute = c.commenter_max_per_minute;
  return o;
}

}  // namespace autoland
