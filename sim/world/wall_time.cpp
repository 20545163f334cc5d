#include "sim/world/wall_time.hpp"

#include <algorithm>
#include <thread>

#include "core/clock.hpp"

namespace herd {
namespace {

using Steady = std::chrono::steady_clock;

Steady::time_point at(std::int64_t ns) {
  return Steady::time_point(std::chrono::nanoseconds(ns));
}

}  // namespace

std::int64_t WallTime::now_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now().time_since_epoch())
      .count();
}

std::int64_t WallTime::wall_ns() const {
  return system_clock().now_ns();
}

void WallTime::wait(Steady::time_point deadline, std::uint64_t seen,
                    std::chrono::milliseconds most) {
  auto until = std::min(deadline, Steady::now() + most);
  if (idle_) {
    // Short turns, so the run sees its own changes soon as well as the page's requests.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Steady::now());
    idle_(std::clamp(left, std::chrono::milliseconds(0), std::chrono::milliseconds(20)));
  } else if (changes_ != nullptr) {
    changes_->wait_for_change(seen, until);
  } else {
    std::this_thread::sleep_until(until);
  }
}

bool WallTime::run_until(std::int64_t deadline_ns, const std::function<bool()>& done) {
  const auto deadline = at(deadline_ns);
  while (true) {
    // Noted before the question: a change while it is asked still wakes the wait.
    auto seen = changes_ != nullptr ? changes_->changes() : 0;
    if (done()) return true;
    if (Steady::now() >= deadline || stopping()) return false;
    // At least every 100 ms (50 ms polled), to see whether the run is told to stop.
    wait(deadline, seen, std::chrono::milliseconds(changes_ != nullptr ? 100 : 50));
  }
}

void WallTime::advance_to(std::int64_t deadline_ns) {
  const auto deadline = at(deadline_ns);
  while (!stopping() && Steady::now() < deadline)
    wait(deadline, changes_ != nullptr ? changes_->changes() : 0, std::chrono::milliseconds(100));
}

Expected<ClockState> WallTime::control(const ClockRequest&) {
  return fail(
      "the real network runs on the wall clock: only --net virtual can be paused, slowed or "
      "stepped");
}

}  // namespace herd
