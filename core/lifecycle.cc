#include "core/lifecycle.h"

#include <array>

#include "util/strings.h"

namespace autoland {
namespace {

// Which patchsets an entry applies to.
enum class Guard {
  any,
  try_final,      // try stage, and the request ends with the try results
  try_continues,  // try stage, and a landing follows on green
  landing_stage,
  try_stage,  // either try case
};

struct Row {
  State from;
  Event event;
  Guard guard;
  State to;
  std::vector<Effect> effects;
};

Effect comment(CommentKind k) { return {EffectKind::post_comment, k}; }
Effect effect(EffectKind k) { return {k, std::nullopt}; }

const std::vector<Row>& table() {
  using S = State;
  using E = Event;
  using G = Guard;
  const Effect release = effect(EffectKind::release_marker);
  const std::vector<Effect> restart = {effect(EffectKind::restore_marker), effect(EffectKind::reset_stage)};
  static const std::vector<Row> rows = {
      {S::queued, E::start_validation, G::any, S::validating, {}},
      {S::queued, E::cancel, G::any, S::cancelled, {comment(CommentKind::cancelled), release}},

      {S::validating, E::validated, G::any, S::waiting, {}},
      {S::validating, E::rule_broken, G::any, S::rejected, {comment(CommentKind::rejected), release}},
      {S::validating, E::deferred, G::any, S::queued, {}},
      {S::validating, E::cancel, G::any, S::cancelled, {comment(CommentKind::cancelled), release}},

      {S::waiting, E::start_push, G::any, S::pushing, {effect(EffectKind::push_stage)}},
      {S::waiting, E::cancel, G::any, S::cancelled, {comment(CommentKind::cancelled), release}},
      // Reviews are checked again just before a trunk push.
      {S::waiting, E::rule_broken, G::any, S::rejected, {comment(CommentKind::rejected), release}},

      {S::pushing, E::pushed, G::any, S::testing, {effect(EffectKind::watch_results)}},
      {S::pushing, E::push_failed, G::any, S::failed, {comment(CommentKind::push_failed), release}},
      {S::pushing, E::push_deferred, G::any, S::waiting, {}},
      {S::pushing, E::rule_broken, G::any, S::rejected, {comment(CommentKind::rejected), release}},

      {S::testing, E::results_green, G::try_final, S::reported, {comment(CommentKind::try_results), release}},
      {S::testing,
       E::results_green,
       G::try_continues,
       S::waiting,
       {comment(CommentKind::try_results), effect(EffectKind::begin_landing)}},
      {S::testing, E::results_green, G::landing_stage, S::landed, {comment(CommentKind::landed), release}},
      {S::testing, E::results_orange, G::any, S::retrying, {effect(EffectKind::retrigger_jobs)}},
      {S::testing, E::results_red, G::try_stage, S::failed, {comment(CommentKind::try_results), release}},
      {S::testing, E::results_red, G::landing_stage, S::backing_out, {effect(EffectKind::push_backout)}},
      {S::testing, E::results_cancelled, G::try_stage, S::cancelled, {comment(CommentKind::builds_cancelled), release}},
      // Cancelled trunk builds leave the landing unverified: back it out rather
      // than leave untested code on trunk.
      {S::testing, E::results_cancelled, G::landing_stage, S::backing_out, {effect(EffectKind::push_backout)}},
      {S::testing, E::results_timed_out, G::try_stage, S::timed_out, {comment(CommentKind::timed_out), release}},
      // Unverified code must not stay on trunk: a timed-out landing is backed out.
      {S::testing, E::results_timed_out, G::landing_stage, S::backing_out, {effect(EffectKind::push_backout)}},
      // The CI failed, not the patch: a try run ends without a verdict; a
      // landing is unverified, so it is backed out, saying why.
      {S::testing, E::results_infrastructure, G::try_stage, S::failed, {comment(CommentKind::ci_trouble), release}},
      {S::testing, E::results_infrastructure, G::landing_stage, S::backing_out, {effect(EffectKind::push_backout)}},
      {S::testing, E::cancel, G::try_stage, S::cancelled, {comment(CommentKind::cancelled), release}},
      {S::testing, E::force, G::try_final, S::reported, {comment(CommentKind::forced), release}},
      {S::testing,
       E::force,
       G::try_continues,
       S::waiting,
       {comment(CommentKind::forced), effect(EffectKind::begin_landing)}},
      {S::testing, E::force, G::landing_stage, S::landed, {comment(CommentKind::forced), release}},
      {S::testing, E::backout, G::landing_stage, S::backing_out, {effect(EffectKind::push_backout)}},

      {S::retrying, E::results_green, G::try_final, S::reported, {comment(CommentKind::try_results), release}},
      {S::retrying,
       E::results_green,
       G::try_continues,
       S::waiting,
       {comment(CommentKind::try_results), effect(EffectKind::begin_landing)}},
      {S::retrying, E::results_green, G::landing_stage, S::landed, {comment(CommentKind::landed), release}},
      {S::retrying, E::results_orange, G::any, S::retrying, {effect(EffectKind::retrigger_jobs)}},
      {S::retrying, E::results_red, G::try_stage, S::failed, {comment(CommentKind::try_results), release}},
      {S::retrying, E::results_red, G::landing_stage, S::backing_out, {effect(EffectKind::push_backout)}},
      {S::retrying,
       E::results_cancelled,
       G::try_stage,
       S::cancelled,
       {comment(CommentKind::builds_cancelled), release}},
      {S::retrying, E::results_cancelled, G::landing_stage, S::backing_out, {effect(EffectKind::push_backout)}},
      {S::retrying, E::results_timed_out, G::try_stage, S::timed_out, {comment(CommentKind::timed_out), release}},
      {S::retrying, E::results_timed_out, G::landing_stage, S::backing_out, {effect(EffectKind::push_backout)}},
      {S::retrying, E::results_infrastructure, G::try_stage, S::failed, {comment(CommentKind::ci_trouble), release}},
      {S::retrying, E::results_infrastructure, G::landing_stage, S::backing_out, {effect(EffectKind::push_backout)}},
      {S::retrying, E::cancel, G::try_stage, S::cancelled, {comment(CommentKind::cancelled), release}},
      {S::retrying, E::force, G::try_final, S::reported, {comment(CommentKind::forced), release}},
      {S::retrying,
       E::force,
       G::try_continues,
       S::waiting,
       {comment(CommentKind::forced), effect(EffectKind::begin_landing)}},
      {S::retrying, E::force, G::landing_stage, S::landed, {comment(CommentKind::forced), release}},
      {S::retrying, E::backout, G::landing_stage, S::backing_out, {effect(EffectKind::push_backout)}},

      {S::backing_out, E::backed_out, G::any, S::backed_out, {comment(CommentKind::backed_out), release}},
      {S::backing_out, E::backout_failed, G::any, S::failed, {comment(CommentKind::backout_failed), release}},

      // A push race or a closed tree: try the backout again.
      {S::backing_out, E::push_deferred, G::any, S::backing_out, {effect(EffectKind::push_backout)}},
      {S::landed, E::backout, G::any, S::backing_out, {effect(EffectKind::push_backout)}},

      {S::rejected, E::retry, G::any, S::queued, restart},
      {S::failed, E::retry, G::any, S::queued, restart},
      {S::timed_out, E::retry, G::any, S::queued, restart},
      {S::cancelled, E::retry, G::any, S::queued, restart},
  };
  return rows;
}

bool guard_holds(Guard guard, const TransitionContext& c) {
  switch (guard) {
    case Guard::any: return true;
    case Guard::try_final: return c.stage == Stage::try_run && !c.continues_to_landing;
    case Guard::try_continues: return c.stage == Stage::try_run && c.continues_to_landing;
    case Guard::landing_stage: return c.stage == Stage::landing;
    case Guard::try_stage: return c.stage == Stage::try_run;
  }
  return false;
}

constexpr std::array<std::pair<Event, std::string_view>, 20> kEventNames = {{
    {Event::start_validation, "start_validation"},
    {Event::validated, "validated"},
    {Event::rule_broken, "rule_broken"},
    {Event::deferred, "deferred"},
    {Event::start_push, "start_push"},
    {Event::pushed, "pushed"},
    {Event::push_failed, "push_failed"},
    {Event::push_deferred, "push_deferred"},
    {Event::results_green, "results_green"},
    {Event::results_orange, "results_orange"},
    {Event::results_red, "results_red"},
    {Event::results_cancelled, "results_cancelled"},
    {Event::results_timed_out, "results_timed_out"},
    {Event::results_infrastructure, "results_infrastructure"},
    {Event::backed_out, "backed_out"},
    {Event::backout_failed, "backout_failed"},
    {Event::cancel, "cancel"},
    {Event::force, "force"},
    {Event::retry, "retry"},
    {Event::backout, "backout"},
}};

}  // namespace

std::string_view to_string(Event e) {
  for (const auto& [value, name] : kEventNames) {
    if (value == e) return name;
  }
  return "?";
}

Result<Event> parse_event(std::string_view text) {
  for (const auto& [value, name] : kEventNames) {
    if (util::iequals(name, text)) return value;
  }
  return invalid_input("unknown event '" + util::printable(text) + "'");
}

std::string_view to_string(EffectKind k) {
  switch (k) {
    case EffectKind::post_comment: return "post_comment";
    case EffectKind::push_stage: return "push_stage";
    case EffectKind::watch_results: return "watch_results";
    case EffectKind::retrigger_jobs: return "retrigger_jobs";
    case EffectKind::push_backout: return "push_backout";
    case EffectKind::begin_landing: return "begin_landing";
    case EffectKind::release_marker: return "release_marker";
    case EffectKind::restore_marker: return "restore_marker";
    case EffectKind::reset_stage: return "reset_stage";
  }
  return "?";
}

std::string_view to_string(CommentKind k) {
  switch (k) {
    case CommentKind::try_results: return "try_results";
    case CommentKind::landed: return "landed";
    case CommentKind::push_failed: return "push_failed";
    case CommentKind::rejected: return "rejected";
    case CommentKind::cancelled: return "cancelled";
    case CommentKind::builds_cancelled: return "builds_cancelled";
    case CommentKind::timed_out: return "timed_out";
    case CommentKind::backed_out: return "backed_out";
    case CommentKind::backout_failed: return "backout_failed";
    case CommentKind::forced: return "forced";
    case CommentKind::ci_trouble: return "ci_trouble";
    case CommentKind::refused: return "refused";
    case CommentKind::push_results: return "push_results";
  }
  return "?";
}

Result<Transition> next_transition(State from, Event event, const TransitionContext& context) {
  for (const Row& row : table()) {
    if (row.from == from && row.event == event && guard_holds(row.guard, context)) {
      return Transition{from, event, row.to, row.effects};
    }
  }
  std::string message =
      "cannot apply '" + std::string(to_string(event)) + "' to a patchset that is " + std::string(to_string(from));
  if (from == State::pushing || from == State::backing_out) {
    message += " (it is being pushed right now; try again when it is done)";
  } else if (is_terminal(from)) {
    message += " (it has ended)";
  } else if (context.stage == Stage::landing && event == Event::cancel) {
    message += " (it is already on its final branch; use backout)";
  }
  return conflict(std::move(message));
}

std::vector<Event> legal_events(State from, const TransitionContext& context) {
  std::vector<Event> out;
  for (const Row& row : table()) {
    if (row.from == from && guard_holds(row.guard, context)) out.push_back(row.event);
  }
  return out;
}

}  // namespace autoland
