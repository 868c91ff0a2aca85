// AUTOLAND_TRY and AUTOLAND_TRY_ASSIGN: an error passes on untouched, a
// value arrives moved, and the macros take what real call sites give them.
#include "util/result.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

namespace autoland {
namespace {

Result<std::unique_ptr<int>> boxed(int n) {
  if (n < 0) return invalid_input("negative: " + std::to_string(n));
  return std::make_unique<int>(n);
}

Result<std::map<std::string, int>> counted(bool fail) {
  if (fail) return Error{ErrorKind::transient, "busy", 503, true};
  return std::map<std::string, int>{{"a", 1}};
}

Result<int> twice(int n) {
  AUTOLAND_TRY_ASSIGN(std::unique_ptr<int> box, boxed(n));  // a move-only value
  return *box * 2;
}

Result<int> sum_of_both(int a, int b) {
  AUTOLAND_TRY_ASSIGN(auto x, twice(a));
  AUTOLAND_TRY_ASSIGN(auto y, twice(b));  // two in one scope
  return x + y;
}

Status check_counted(bool fail, int* seen) {
  AUTOLAND_TRY(counted(fail));
  AUTOLAND_TRY_ASSIGN(auto m, Result<std::map<std::string, int>>(counted(false)));  // commas in the expression
  *seen = m.at("a");
  return {};
}

Result<int> into_existing(int n) {
  int out = -1;
  AUTOLAND_TRY_ASSIGN(out, twice(n));  // assigns to a variable that exists
  return out;
}

TEST(Result, TryAssignMovesTheValueOut) {
  auto r = sum_of_both(2, 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 10);
  auto e = into_existing(4);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, 8);
}

TEST(Result, TryAssignReturnsTheFirstErrorUntouched) {
  auto r = sum_of_both(1, -7);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::invalid_input);
  EXPECT_EQ(r.error().message, "negative: -7");
  EXPECT_FALSE(into_existing(-1).ok());
}

TEST(Result, TryKeepsEveryFieldOfTheError) {
  int seen = 0;
  Status s = check_counted(true, &seen);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::transient);
  EXPECT_EQ(s.error().code, 503);
  EXPECT_TRUE(s.error().outcome_unknown);
  EXPECT_EQ(seen, 0);
  ASSERT_TRUE(check_counted(false, &seen).ok());
  EXPECT_EQ(seen, 1);
}

}  // namespace
}  // namespace autoland
