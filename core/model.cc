#include "core/model.h"

#include <array>
#include <utility>

#include "util/strings.h"

namespace autoland {
namespace {

constexpr std::array<std::pair<State, std::string_view>, 14> kStateNames = {{
    {State::queued, "queued"},
    {State::validating, "validating"},
    {State::waiting, "waiting"},
    {State::pushing, "pushing"},
    {State::testing, "testing"},
    {State::retrying, "retrying"},
    {State::backing_out, "backing_out"},
    {State::reported, "reported"},
    {State::landed, "landed"},
    {State::rejected, "rejected"},
    {State::failed, "failed"},
    {State::backed_out, "backed_out"},
    {State::cancelled, "cancelled"},
    {State::timed_out, "timed_out"},
}};

template <typename Enum, size_t N>
Result<Enum> parse_from(const std::array<std::pair<Enum, std::string_view>, N>& table, std::string_view text,
                        std::string_view what) {
  // Exactly as written: "ENABLED" is not a name, and a reader that folded
  // case would disagree with one that does not.
  for (const auto& [value, name] : table) {
    if (name == text) return value;
  }
  for (const auto& [value, name] : table) {
    if (util::iequals(name, text)) {
      return invalid_input(std::string(what) + " '" + util::printable(text) + "' is written '" + std::string(name) +
                           "' (names are lower case)");
    }
  }
  std::string choices;
  for (const auto& [value, name] : table) {
    if (!choices.empty()) choices += ", ";
    choices += name;
  }
  return invalid_input("unknown " + std::string(what) + " '" + util::printable(text) +
                       "' (expected one of: " + choices + ")");
}

template <typename Enum, size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& table, Enum value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "?";
}

constexpr std::array<std::pair<Stage, std::string_view>, 2> kStageNames = {{
    {Stage::try_run, "try"},
    {Stage::landing, "landing"},
}};
constexpr std::array<std::pair<BranchStatus, std::string_view>, 2> kBranchStatusNames = {{
    {BranchStatus::enabled, "enabled"},
    {BranchStatus::disabled, "disabled"},
}};
constexpr std::array<std::pair<LandingStrategy, std::string_view>, 3> kLandingStrategyNames = {{
    {LandingStrategy::serial, "serial"},
    {LandingStrategy::pipelined, "pipelined"},
    {LandingStrategy::batch, "batch"},
}};
constexpr std::array<std::pair<TreeStatus, std::string_view>, 3> kTreeStatusNames = {{
    {TreeStatus::open, "open"},
    {TreeStatus::closed, "closed"},
    {TreeStatus::approval_required, "approval required"},
}};
constexpr std::array<std::pair<Vcs, std::string_view>, 2> kVcsNames = {{
    {Vcs::hg, "hg"},
    {Vcs::git, "git"},
}};
constexpr std::array<std::pair<RequestOrigin, std::string_view>, 3> kRequestOriginNames = {{
    {RequestOrigin::whiteboard, "whiteboard"},
    {RequestOrigin::keyword, "keyword"},
    {RequestOrigin::api, "api"},
}};
constexpr std::array<std::pair<CommentState, std::string_view>, 3> kCommentStateNames = {{
    {CommentState::pending, "pending"},
    {CommentState::posted, "posted"},
    {CommentState::dropped, "dropped"},
}};

}  // namespace

std::string_view to_string(State s) { return name_of(kStateNames, s); }
std::string_view to_string(Stage s) { return name_of(kStageNames, s); }
std::string_view to_string(BranchStatus s) { return name_of(kBranchStatusNames, s); }
std::string_view to_string(TreeStatus s) { return name_of(kTreeStatusNames, s); }
std::string_view to_string(LandingStrategy s) { return name_of(kLandingStrategyNames, s); }
std::string_view to_string(Vcs v) { return name_of(kVcsNames, v); }
std::string_view to_string(RequestOrigin o) { return name_of(kRequestOriginNames, o); }
std::string_view to_string(CommentState s) { return name_of(kCommentStateNames, s); }

Result<State> parse_state(std::string_view text) { return parse_from(kStateNames, text, "state"); }
Result<Stage> parse_stage(std::string_view text) { return parse_from(kStageNames, text, "stage"); }
Result<BranchStatus> parse_branch_status(std::string_view text) {
  return parse_from(kBranchStatusNames, text, "branch status");
}
Result<LandingStrategy> parse_landing_strategy(std::string_view text) {
  return parse_from(kLandingStrategyNames, text, "landing strategy");
}
Result<TreeStatus> parse_tree_status(std::string_view text) {
  // Treestatus writes "approval required"; config files tend to use "approval_required".
  if (text == "approval_required") return TreeStatus::approval_required;
  return parse_from(kTreeStatusNames, text, "tree status");
}
Result<Vcs> parse_vcs(std::string_view text) { return parse_from(kVcsNames, text, "vcs"); }
Result<RequestOrigin> parse_request_origin(std::string_view text) {
  return parse_from(kRequestOriginNames, text, "request origin");
}
Result<CommentState> parse_comment_state(std::string_view text) {
  return parse_from(kCommentStateNames, text, "comment state");
}

bool is_terminal(State s) {
  switch (s) {
    case State::reported:
    case State::landed:
    case State::rejected:
    case State::failed:
    case State::backed_out:
    case State::cancelled:
    case State::timed_out: return true;
    default: return false;
  }
}

// Someone is working on it: validating (reading Bugzilla), pushing, its CI
// run watched (deleting it then would lose a landing's watch on trunk, and
// with it the backout), or backing out. Cancel first, then delete.
bool is_processing(State s) {
  return s == State::validating || s == State::pushing || s == State::testing || s == State::retrying ||
         s == State::backing_out;
}

std::vector<State> all_states() {
  std::vector<State> out;
  for (const auto& [value, name] : kStateNames) out.push_back(value);
  return out;
}

}  // namespace autoland
