// JSON shapes of the domain records: what the API answers and the CLI prints.
#pragma once

#include <nlohmann/json.hpp>

#include "api/workers_view.h"
#include "core/commit_message.h"
#include "core/model.h"
#include "core/patch.h"
#include "core/try_syntax.h"
#include "core/whiteboard.h"
#include "ports/store.h"

namespace autoland {

nlohmann::json to_json(const WhiteboardScan& scan);
nlohmann::json to_json(const TrySyntax& syntax);
nlohmann::json to_json(const Patch& patch);
nlohmann::json to_json(const CommitMessageInfo& info);
nlohmann::json to_json(const Branch& branch);
nlohmann::json to_json(const PatchSet& patchset);
nlohmann::json to_json(const AuditEvent& event);
nlohmann::json to_json(const OutboxComment& comment);
nlohmann::json to_json(const SchemaStatus& status);
nlohmann::json to_json(const api::WorkerView& worker);

}  // namespace autoland
