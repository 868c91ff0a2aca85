// Each component's options from the config: the one mapping, whichever
// command runs the component (run, trigger, commenter, serve, sandbox, and
// the coming worker).
#pragma once

#include "app/config.h"
#include "core/patch.h"
#include "services/commenter/commenter.h"
#include "services/queue/queue.h"
#include "services/request_limits.h"
#include "services/trigger/trigger.h"

namespace autoland {

RequestLimits request_limits(const Config& config);
PatchLimits patch_limits(const Config& config);
TriggerOptions trigger_options(const Config& config);
QueueOptions queue_options(const Config& config);
CommenterOptions commenter_options(const Config& config);

}  // namespace autoland
