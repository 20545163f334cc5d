#pragma once
// The one place nodes read wall-clock time, so tests and the simulator can see and report it.

#include <chrono>
#include <cstdint>

namespace herd {

class Clock {
 public:
  virtual ~Clock() = default;
  // Nanoseconds since the POSIX epoch.
  [[nodiscard]] virtual std::int64_t now_ns() const = 0;
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] std::int64_t now_ns() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A process-wide system clock for callers that have no other.
[[nodiscard]] inline const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace herd
