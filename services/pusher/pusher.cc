#include "services/pusher/pusher.h"

#include <ctime>

#include "core/patch.h"
#include "util/log.h"
#include "util/strings.h"

namespace autoland {
namespace {

// Bugzilla's "2026-11-25T17:10:45Z"; 0 when it does not parse. The
// attachment's own time, not the clock's: the same patch must make the same
// changeset when a push is redone after a crash.
UnixTime parse_bugzilla_time(const std::string& t) {
  std::tm tm{};
  if (t.size() != 20 || !strptime(t.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return 0;
  return timegm(&tm);
}

}  // namespace

RemoteSpec remote_of(const Branch& b, int max_race_retries) {
  RemoteSpec remote;
  remote.branch = b.name;
  remote.pull_url = b.pull_url.empty() ? b.repo_url : b.pull_url;
  remote.push_url = b.repo_url;
  remote.max_race_retries = max_race_retries;
  return remote;
}

std::string push_intent_key(PatchSetId id, Stage stage) {
  return "patchset/" + std::to_string(id) + "/" + std::string(to_string(stage));
}

std::string backout_intent_key(PatchSetId id) { return "patchset/" + std::to_string(id) + "/backout"; }

RecordIntent Pusher::recorder(const std::string& key, const std::string& branch) {
  return [this, key, branch](const std::vector<std::string>& nodes) {
    return store_.record_push_intent({key, branch, nodes, 0});
  };
}

Result<PushResult> Pusher::push(const std::string& key, PushSpec spec) {
  AUTOLAND_TRY_ASSIGN(auto intent, store_.get_push_intent(key));
  if (intent) {
    AUTOLAND_TRY_ASSIGN(auto found, vcs_.find_pushed(spec, intent->nodes));
    if (found) {
      LOG_INFO("pusher", key + ": already on " + spec.branch + " as " + found->tip.substr(0, 12) +
                             " (pushed before a restart); not pushing again");
      return with_parent(spec, PushResult{*found, true});
    }
  }
  spec.record_intent = recorder(key, spec.branch);
  AUTOLAND_TRY_ASSIGN(auto pushed, vcs_.apply_and_push(spec));
  return with_parent(spec, PushResult{pushed, false});
}

// A failure to read the parent fails the call: the caller tries again
// later and, by the intent, finds the push made instead of making another.
Result<PushResult> Pusher::with_parent(const RemoteSpec& spec, PushResult result) {
  if (result.outcome.nodes.empty()) return result;
  AUTOLAND_TRY_ASSIGN(result.outcome.parent, vcs_.parent_of(spec, result.outcome.nodes.front()));
  return result;
}

Result<PushResult> Pusher::back_out(const std::string& key, BackoutSpec spec) {
  AUTOLAND_TRY_ASSIGN(auto intent, store_.get_push_intent(key));
  if (intent) {
    AUTOLAND_TRY_ASSIGN(auto found, vcs_.find_backed_out(spec, intent->nodes));
    if (found) {
      LOG_INFO("pusher", key + ": backout already on " + spec.branch + " as " + found->tip.substr(0, 12));
      return with_parent(spec, PushResult{*found, true});
    }
  }
  spec.record_intent = recorder(key, spec.branch);
  AUTOLAND_TRY_ASSIGN(auto pushed, vcs_.back_out(spec));
  return with_parent(spec, PushResult{pushed, false});
}

std::vector<PatchToApply> patches_from_attachments(BugId bug, const std::vector<Attachment>& attachments,
                                                   const std::map<std::string, std::string>& real_names) {
  std::vector<PatchToApply> out;
  for (const Attachment& a : attachments) {
    PatchToApply p;
    p.attachment_id = a.id;
    p.text = a.data.value_or("");
    SynthesizedHeaderInput header;
    header.bug_id = bug;
    header.creator_email = a.creator;
    auto name = real_names.find(a.creator);
    if (name != real_names.end()) header.creator_name = name->second;
    header.description = a.description;
    p.user = synthesized_user(header);
    p.message = synthesized_message(header);
    p.date = parse_bugzilla_time(a.creation_time);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace autoland
