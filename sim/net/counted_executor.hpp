#pragma once
// An executor that counts the work given to it, for a loop that runs its io_context itself: the
// virtual loop polls only when something was given since its last poll, where a poll of an empty
// io_context cost about 400 instructions after every event of a busy run. Internal to the
// virtual network: it includes Asio.

#include <atomic>
#include <cstdint>
#include <utility>

#include "core/executor_adapter.hpp"

namespace herd::vnet {

// Forwards every property to the executor it wraps (ExecutorAdapter).
template <typename Inner>
class CountedExecutor : public ExecutorAdapter<CountedExecutor<Inner>, Inner> {
 public:
  // `given` outlives every copy: the loop that owns the io_context.
  CountedExecutor(Inner inner, std::atomic<std::uint64_t>* given) noexcept
      : ExecutorAdapter<CountedExecutor<Inner>, Inner>(std::move(inner)), given_(given) {}

  // Counted before it is given on: work the inner executor runs at once is counted too, which
  // costs the loop one poll that finds nothing, never a poll it needed.
  template <typename F>
  void execute(F&& f) const {
    given_->fetch_add(1, std::memory_order_relaxed);
    this->inner_.execute(std::forward<F>(f));
  }

  // The same count behind another executor: what require and prefer give back.
  template <typename Next>
  [[nodiscard]] CountedExecutor<Next> rewrap(Next next) const {
    return CountedExecutor<Next>(std::move(next), given_);
  }

  friend bool operator==(const CountedExecutor& a, const CountedExecutor& b) noexcept {
    return a.inner_ == b.inner_ && a.given_ == b.given_;
  }
  friend bool operator!=(const CountedExecutor& a, const CountedExecutor& b) noexcept {
    return !(a == b);
  }

 private:
  std::atomic<std::uint64_t>* given_;
};

}  // namespace herd::vnet
