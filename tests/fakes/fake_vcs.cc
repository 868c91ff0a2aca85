#include "tests/fakes/fake_vcs.h"

#include <algorithm>
#include <functional>
#include <iomanip>
#include <sstream>

namespace autoland::fakes {

FakeVcs::Script FakeVcs::next() {
  if (script_.empty()) return Script::ok;
  Script s = script_.front();
  script_.pop_front();
  return s;
}

std::string FakeVcs::node_for(const std::string& push_url, const std::string& what, size_t index) {
  const auto& r = remotes_[push_url];
  std::string tip = r.empty() ? "root" : r.back().node;
  size_t h = std::hash<std::string>{}(tip + "\n" + what + "\n" + std::to_string(index));
  std::ostringstream out;
  out << std::hex << std::setfill('0') << std::setw(16) << h;
  std::string node = out.str();
  while (node.size() < 40) node += node;
  return node.substr(0, 40);
}

void FakeVcs::push_elsewhere(const std::string& push_url, const std::string& summary) {
  remotes_[push_url].push_back({node_for(push_url, summary, 0), summary, 0});
}

bool FakeVcs::on_remote(const std::string& push_url, const std::vector<std::string>& nodes) {
  const auto& r = remotes_[push_url];
  return !nodes.empty() && std::all_of(nodes.begin(), nodes.end(), [&](const std::string& n) {
    return std::any_of(r.begin(), r.end(), [&](const FakeChangeset& c) { return c.node == n; });
  });
}

Result<PushOutcome> FakeVcs::land(const RemoteSpec& spec, const std::vector<FakeChangeset>& made) {
  Script s = next();
  PushOutcome out;
  if (s == Script::race) {
    push_elsewhere(spec.push_url, "someone else's change");
    out.races = 1;
  }
  // Made again on the current tip (after a race the nodes change).
  std::vector<FakeChangeset> changesets = made;
  for (size_t i = 0; i < changesets.size(); ++i) {
    changesets[i].node = node_for(spec.push_url, changesets[i].summary, i);
    out.nodes.push_back(changesets[i].node);
  }
  if (s == Script::refuse) return conflict("remote: the hook refused the push (pretxnchangegroup failed)");
  if (spec.record_intent) AUTOLAND_TRY(spec.record_intent(out.nodes));
  if (s == Script::crash_before) return transient("killed before the push left");
  auto& r = remotes_[spec.push_url];
  r.insert(r.end(), changesets.begin(), changesets.end());
  pushes += static_cast<int>(changesets.size());
  if (s == Script::crash_after) {
    Error lost = transient("killed after the push reached the remote");
    lost.outcome_unknown = true;
    return lost;
  }
  out.tip = out.nodes.back();
  return out;
}

Result<PushOutcome> FakeVcs::apply_and_push(const PushSpec& spec) {
  std::vector<FakeChangeset> made;
  for (const PatchToApply& p : spec.patches) {
    auto parsed = parse_patch(p.text);
    if (!parsed) return invalid_input(name_of(p) + ": " + parsed.error().message);
    std::string message = commit_message_of(p, *parsed);
    made.push_back({"", message.substr(0, message.find('\n')), p.attachment_id});
  }
  if (!spec.try_syntax.empty() && spec.placement == TrySyntaxPlacement::empty_commit) {
    made.push_back({"", spec.try_syntax, 0});
  }
  if (made.empty()) return invalid_input("nothing to push");
  return land(spec, made);
}

Result<PushOutcome> FakeVcs::back_out(const BackoutSpec& spec) {
  if (!on_remote(spec.push_url, spec.revisions)) return not_found("a changeset to back out is not on " + spec.branch);
  return land(spec, {{"",
                      "Backed out " + std::to_string(spec.revisions.size()) + " changesets (bug " +
                          std::to_string(spec.bug_id) + ") for " + spec.reason,
                      0}});
}

Result<std::optional<PushOutcome>> FakeVcs::find_pushed(const PushSpec& spec,
                                                        const std::vector<std::string>& recorded) {
  if (!on_remote(spec.push_url, recorded)) return std::optional<PushOutcome>();
  return std::optional<PushOutcome>(PushOutcome{recorded.back(), recorded, 0});
}

Result<std::optional<PushOutcome>> FakeVcs::find_backed_out(const BackoutSpec& spec,
                                                            const std::vector<std::string>& recorded) {
  if (!on_remote(spec.push_url, recorded)) return std::optional<PushOutcome>();
  return std::optional<PushOutcome>(PushOutcome{recorded.back(), recorded, 0});
}

Result<std::string> FakeVcs::parent_of(const RemoteSpec& spec, const std::string& revision) {
  const auto& r = remotes_[spec.push_url];
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i].node == revision) return i == 0 ? std::string(40, '0') : r[i - 1].node;
  }
  return not_found("no changeset " + revision + " on " + spec.branch);
}

}  // namespace autoland::fakes
