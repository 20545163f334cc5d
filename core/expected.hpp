#pragma once
// What an operation above the I/O layer returns: its value, or a message that says what went
// wrong and where ("herd.json: servers[1].port: expected an integer from 1 to 65535, got \"x\"").
// One style of error for every layer above sockets, where error_code stays; std::expected is not
// in g++ 12. Pure.

#include <string>
#include <utility>
#include <variant>

namespace herd {

// A failure's message, for a reader: what failed, and where.
struct Failure {
  std::string message;
};

[[nodiscard]] inline Failure fail(std::string message) {
  return Failure{std::move(message)};
}

template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Expected(Failure failure) : state_(std::in_place_index<1>, std::move(failure)) {}

  [[nodiscard]] bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // Only when ok().
  [[nodiscard]] T& value() & { return std::get<0>(state_); }
  [[nodiscard]] const T& value() const& { return std::get<0>(state_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // Only when !ok().
  [[nodiscard]] const std::string& error() const { return std::get<1>(state_).message; }
  // The failure, to hand on: `if (!r) return r.failure();`.
  [[nodiscard]] Failure failure() const { return std::get<1>(state_); }

 private:
  std::variant<T, Failure> state_;
};

template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Failure failure) : failed_(true), message_(std::move(failure.message)) {}

  [[nodiscard]] bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  [[nodiscard]] const std::string& error() const { return message_; }
  [[nodiscard]] Failure failure() const { return Failure{message_}; }

 private:
  bool failed_ = false;
  std::string message_;
};

}  // namespace herd
