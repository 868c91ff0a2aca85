// Result<T>: a value or an Error, the way every layer reports failure.
//
// Errors are values (see ARCHITECTURE.md): functions that can fail return
// Result<T>, and exceptions only cross into main() and worker loops. The kind
// is a small closed set so that callers can decide "retry later" versus "give
// up" without parsing messages. Own type rather than std::expected because the
// fuzz build uses clang 14, which cannot compile libstdc++ 12's <expected>.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace autoland {

enum class ErrorKind {
  invalid_input,  // the caller's input is wrong; retrying will not help
  not_found,      // the thing asked for does not exist (or cannot be seen)
  denied,         // not allowed: missing permission, rule, level
  conflict,       // state changed meanwhile or the request clashes with it
  transient,      // temporary: network, lock timeout, 5xx; retry later
  internal,       // a bug or broken invariant
};

std::string_view to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;
  // The remote system's own error code when there is one (Bugzilla's 101,
  // an HTTP status, ...); 0 otherwise.
  int code = 0;
  // A request that changes something failed after it may have reached the
  // other side (a timeout, a 5xx from a proxy): it may still take effect, even
  // later. Never repeat it blindly; look for its effect first.
  bool outcome_unknown = false;

  bool retryable() const { return kind == ErrorKind::transient; }
  // "invalid input: <message>"
  std::string describe() const;
};

inline Error invalid_input(std::string message) { return {ErrorKind::invalid_input, std::move(message)}; }
inline Error not_found(std::string message) { return {ErrorKind::not_found, std::move(message)}; }
inline Error denied(std::string message) { return {ErrorKind::denied, std::move(message)}; }
inline Error conflict(std::string message) { return {ErrorKind::conflict, std::move(message)}; }
inline Error transient(std::string message) { return {ErrorKind::transient, std::move(message)}; }
inline Error internal_error(std::string message) { return {ErrorKind::internal, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : data_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return data_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok()
  T& value() & {
    assert(ok());
    return std::get<0>(data_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(data_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(data_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // REQUIRES: !ok()
  const Error& error() const {
    assert(!ok());
    return std::get<1>(data_);
  }

 private:
  std::variant<T, Error> data_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  // REQUIRES: !ok()
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

// The base of a value that does its work by being alive (a held lock, an
// open transaction, a running child): AUTOLAND_TRY refuses to compile on one, since it would
// let it go at once. Keep it with AUTOLAND_TRY_ASSIGN(auto held, ...).
struct HeldWhileAlive {};

template <typename R>
inline constexpr bool kHeldWhileAlive = false;
template <typename T>
inline constexpr bool kHeldWhileAlive<Result<T>> = std::is_base_of_v<HeldWhileAlive, T>;

}  // namespace autoland

// Returns the error of an expression returning Result<...>, if it has one,
// and drops its value. Variadic so that commas in template arguments need
// no extra parentheses.
#define AUTOLAND_TRY(...)                                                                                      \
  do {                                                                                                         \
    auto autoland_try_result_ = (__VA_ARGS__);                                                                 \
    static_assert(!autoland::kHeldWhileAlive<decltype(autoland_try_result_)>,                                  \
                  "this value holds something while alive: keep it with AUTOLAND_TRY_ASSIGN(auto held, ...)"); \
    if (!autoland_try_result_.ok()) {                                                                          \
      return autoland_try_result_.error();                                                                     \
    }                                                                                                          \
  } while (false)

// Evaluates an expression returning Result<T>; returns its error if it has
// one, else moves its value into `lhs`, which may declare a variable
// (`AUTOLAND_TRY_ASSIGN(auto clone, open_clone(path));`) or name one. It
// expands to several statements, so it cannot be the body of an unbraced if.
#define AUTOLAND_TRY_ASSIGN(lhs, ...) \
  AUTOLAND_TRY_ASSIGN_IMPL_(AUTOLAND_TRY_CONCAT_(autoland_try_value_, __COUNTER__), lhs, __VA_ARGS__)
#define AUTOLAND_TRY_ASSIGN_IMPL_(result, lhs, ...) \
  auto result = (__VA_ARGS__);                      \
  if (!result.ok()) return result.error();          \
  lhs = std::move(result).value()
#define AUTOLAND_TRY_CONCAT_(a, b) AUTOLAND_TRY_CONCAT_INNER_(a, b)
#define AUTOLAND_TRY_CONCAT_INNER_(a, b) a##b
