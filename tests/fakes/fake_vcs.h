// The VersionControl port in memory: each remote (by push URL) is a list of
// changesets. A push records its intent (the nodes about to leave) before
// they land, as the real adapters do, so a crash can be placed on either
// side of the landing. Scripted per call: races (the remote moved; the push
// is redone), a permanent refusal, and a crash before or after the changesets
// reach the remote. Nodes are derived from the remote's tip and the patch,
// so the same patch pushed on the same tip makes the same node.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "ports/vcs.h"

namespace autoland::fakes {

struct FakeChangeset {
  std::string node;
  std::string summary;
  AttachmentId attachment = 0;  // 0: not from a patch (a backout, try syntax)
};

class FakeVcs final : public VersionControl {
 public:
  enum class Script {
    ok,
    race,          // the remote moved once: pulled, applied again, pushed (counts in `races`)
    refuse,        // a permanent refusal: the hook said no (conflict)
    crash_before,  // intent recorded, nothing reached the remote, the call fails
    crash_after,   // the changesets reached the remote, the answer was lost
  };
  // What the next calls of apply_and_push / back_out do, in order; then ok.
  void script(Script s) { script_.push_back(s); }

  // Somebody else pushes to `push_url` (the remote moves).
  void push_elsewhere(const std::string& push_url, const std::string& summary);

  const std::vector<FakeChangeset>& remote(const std::string& push_url) { return remotes_[push_url]; }
  int pushes = 0;  // changesets that reached a remote through this fake

  Result<PushOutcome> apply_and_push(const PushSpec& spec) override;
  Result<PushOutcome> back_out(const BackoutSpec& spec) override;
  Result<std::optional<PushOutcome>> find_pushed(const PushSpec& spec,
                                                 const std::vector<std::string>& recorded_nodes) override;
  Result<std::optional<PushOutcome>> find_backed_out(const BackoutSpec& spec,
                                                     const std::vector<std::string>& recorded_nodes) override;
  Result<std::string> parent_of(const RemoteSpec& spec, const std::string& revision) override;

 private:
  Script next();
  std::string node_for(const std::string& push_url, const std::string& what, size_t index);
  Result<PushOutcome> land(const RemoteSpec& spec, const std::vector<FakeChangeset>& made);
  bool on_remote(const std::string& push_url, const std::vector<std::string>& nodes);

  std::deque<Script> script_;
  std::map<std::string, std::vector<FakeChangeset>> remotes_;
};

}  // namespace autoland::fakes
