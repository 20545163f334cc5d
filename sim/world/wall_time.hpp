#pragma once
// Time on real sockets, for both worlds there: the steady clock for the run, the system clock for
// the date, and waits that end early when the run is told to stop. A world that hears of changes
// (its nodes' events, kept in HeldRecords) asks a wait's condition after each; one that does not
// (server processes) asks it every 50 ms.

#include <chrono>
#include <functional>

#include "sim/world/world.hpp"

namespace herd {

class WallTime final : public Time {
 public:
  // `changes`: the records whose changes wake a wait; nullptr: polled.
  explicit WallTime(const HeldRecords* changes) : changes_(changes) {}

  [[nodiscard]] std::int64_t now_ns() const override;
  [[nodiscard]] std::int64_t wall_ns() const override;
  bool run_until(std::int64_t deadline_ns, const std::function<bool()>& done) override;
  void advance_to(std::int64_t deadline_ns) override;
  void stop_when(std::function<bool()> stopping) override { stopping_ = std::move(stopping); }
  [[nodiscard]] bool stopping() const override { return stopping_ && stopping_(); }
  // The herd runs on its own threads; the caller may wait for a request this long.
  [[nodiscard]] std::chrono::milliseconds keep_pace() override {
    return std::chrono::milliseconds(50);
  }
  [[nodiscard]] Expected<ClockState> control(const ClockRequest&) override;
  void pace_with(std::function<void(std::chrono::milliseconds)> idle) override {
    idle_ = std::move(idle);
  }
  void let_idle_work_run() override {
    if (idle_) idle_(std::chrono::milliseconds(0));
  }

 private:
  // Waits until `deadline` or a change, at most `most`: on `idle_` when there is one.
  void wait(std::chrono::steady_clock::time_point deadline, std::uint64_t seen,
            std::chrono::milliseconds most);

  const HeldRecords* changes_;
  std::function<void(std::chrono::milliseconds)> idle_;
  std::function<bool()> stopping_;
};

}  // namespace herd
