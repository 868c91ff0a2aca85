#include "core/lifecycle.h"

#include <gtest/gtest.h>

namespace autoland {
namespace {

const TransitionContext kTryOnly{Stage::try_run, false};
const TransitionContext kTryThenLand{Stage::try_run, true};
const TransitionContext kLanding{Stage::landing, false};

State to(State from, Event e, const TransitionContext& c) {
  auto t = next_transition(from, e, c);
  EXPECT_TRUE(t.ok()) << to_string(from) << " + " << to_string(e) << ": " << (t.ok() ? "" : t.error().message);
  return t.ok() ? t->to : from;
}

bool has_effect(State from, Event e, const TransitionContext& c, Effect want) {
  auto t = next_transition(from, e, c);
  if (!t.ok()) return false;
  for (const Effect& fx : t->effects) {
    if (fx == want) return true;
  }
  return false;
}

TEST(Lifecycle, TryOnlyHappyPath) {
  State s = State::queued;
  for (Event e : {Event::start_validation, Event::validated, Event::start_push, Event::pushed, Event::results_green}) {
    s = to(s, e, kTryOnly);
  }
  EXPECT_EQ(s, State::reported);
  EXPECT_TRUE(
      has_effect(State::testing, Event::results_green, kTryOnly, {EffectKind::post_comment, CommentKind::try_results}));
  EXPECT_TRUE(has_effect(State::testing, Event::results_green, kTryOnly, {EffectKind::release_marker, {}}));
}

TEST(Lifecycle, GreenTryContinuesToLanding) {
  EXPECT_EQ(to(State::testing, Event::results_green, kTryThenLand), State::waiting);
  EXPECT_TRUE(has_effect(State::testing, Event::results_green, kTryThenLand, {EffectKind::begin_landing, {}}));
  EXPECT_FALSE(has_effect(State::testing, Event::results_green, kTryThenLand, {EffectKind::release_marker, {}}));
  EXPECT_EQ(to(State::testing, Event::results_green, kLanding), State::landed);
}

TEST(Lifecycle, RedTrunkBacksOut) {
  EXPECT_EQ(to(State::testing, Event::results_red, kLanding), State::backing_out);
  EXPECT_TRUE(has_effect(State::testing, Event::results_red, kLanding, {EffectKind::push_backout, {}}));
  EXPECT_EQ(to(State::backing_out, Event::backed_out, kLanding), State::backed_out);
  EXPECT_EQ(to(State::backing_out, Event::backout_failed, kLanding), State::failed);
  EXPECT_EQ(to(State::testing, Event::results_red, kTryOnly), State::failed);
}

TEST(Lifecycle, UnverifiedTrunkLandingsAreBackedOut) {
  EXPECT_EQ(to(State::testing, Event::results_timed_out, kLanding), State::backing_out);
  EXPECT_EQ(to(State::retrying, Event::results_timed_out, kLanding), State::backing_out);
  EXPECT_EQ(to(State::testing, Event::results_cancelled, kLanding), State::backing_out);
  EXPECT_EQ(to(State::testing, Event::results_timed_out, kTryOnly), State::timed_out);
  EXPECT_EQ(to(State::backing_out, Event::push_deferred, kLanding), State::backing_out);
  EXPECT_TRUE(has_effect(State::backing_out, Event::push_deferred, kLanding, {EffectKind::push_backout, {}}));
}

TEST(Lifecycle, RetryRestoresTheMarkerAndTheFirstStage) {
  for (State ended : {State::rejected, State::failed, State::timed_out, State::cancelled}) {
    EXPECT_EQ(to(ended, Event::retry, kLanding), State::queued);
    EXPECT_TRUE(has_effect(ended, Event::retry, kLanding, {EffectKind::restore_marker, {}}));
    EXPECT_TRUE(has_effect(ended, Event::retry, kLanding, {EffectKind::reset_stage, {}}));
  }
}

TEST(Lifecycle, OrangesRetry) {
  EXPECT_EQ(to(State::testing, Event::results_orange, kTryOnly), State::retrying);
  EXPECT_EQ(to(State::retrying, Event::results_orange, kTryOnly), State::retrying);
  EXPECT_EQ(to(State::retrying, Event::results_green, kTryOnly), State::reported);
  EXPECT_TRUE(has_effect(State::testing, Event::results_orange, kTryOnly, {EffectKind::retrigger_jobs, {}}));
}

TEST(Lifecycle, SheriffActions) {
  EXPECT_EQ(to(State::retrying, Event::force, kLanding), State::landed);
  EXPECT_EQ(to(State::testing, Event::force, kTryThenLand), State::waiting);
  EXPECT_EQ(to(State::landed, Event::backout, kLanding), State::backing_out);
  EXPECT_EQ(to(State::failed, Event::retry, kTryOnly), State::queued);
  EXPECT_EQ(to(State::waiting, Event::cancel, kTryOnly), State::cancelled);
  EXPECT_EQ(to(State::queued, Event::cancel, kTryOnly), State::cancelled);
}

TEST(Lifecycle, IllegalTransitionsAreErrors) {
  auto busy = next_transition(State::pushing, Event::cancel, kTryOnly);
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().kind, ErrorKind::conflict);
  EXPECT_EQ(
      busy.error().message,
      "cannot apply 'cancel' to a patchset that is pushing (it is being pushed right now; try again when it is done)");
  auto ended = next_transition(State::reported, Event::results_green, kTryOnly);
  ASSERT_FALSE(ended.ok());
  EXPECT_EQ(ended.error().message, "cannot apply 'results_green' to a patchset that is reported (it has ended)");
  auto on_trunk = next_transition(State::testing, Event::cancel, kLanding);
  ASSERT_FALSE(on_trunk.ok());
  EXPECT_EQ(on_trunk.error().message,
            "cannot apply 'cancel' to a patchset that is testing (it is already on its final branch; use backout)");
  EXPECT_FALSE(next_transition(State::queued, Event::pushed, kTryOnly).ok());
  EXPECT_FALSE(next_transition(State::waiting, Event::results_green, kTryOnly).ok());
}

// Every terminal state except those sheriffs can act on has no way out, and
// every transition that ends a patchset releases the bug's marker.
TEST(Lifecycle, EndingStatesReleaseTheMarker) {
  for (State from : all_states()) {
    for (const TransitionContext& c : {kTryOnly, kTryThenLand, kLanding}) {
      for (Event e : legal_events(from, c)) {
        auto t = next_transition(from, e, c);
        ASSERT_TRUE(t.ok());
        bool releases = false;
        for (const Effect& fx : t->effects) releases |= fx.kind == EffectKind::release_marker;
        if (is_terminal(t->to) && !is_terminal(from)) {
          EXPECT_TRUE(releases) << to_string(from) << " + " << to_string(e) << " -> " << to_string(t->to);
        }
        if (!is_terminal(t->to)) {
          EXPECT_FALSE(releases) << to_string(from) << " + " << to_string(e);
        }
      }
    }
  }
}

TEST(Lifecycle, NamesRoundTrip) {
  for (State s : all_states()) EXPECT_EQ(parse_state(to_string(s)).value(), s);
  EXPECT_EQ(parse_event("results_orange").value(), Event::results_orange);
  EXPECT_FALSE(parse_state("flying").ok());
  EXPECT_EQ(parse_state("flying").error().message,
            "unknown state 'flying' (expected one of: queued, validating, waiting, pushing, testing, retrying, "
            "backing_out, reported, landed, rejected, failed, backed_out, cancelled, timed_out)");
}

}  // namespace
}  // namespace autoland
