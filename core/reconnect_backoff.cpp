#include "core/reconnect_backoff.hpp"

#include <algorithm>

namespace herd {

ReconnectBackoff::ReconnectBackoff(int initial_ms, int max_ms, int stable_ms, std::uint64_t seed)
    : initial_ms_(std::max(1, initial_ms)),
      max_ms_(std::max(initial_ms_, max_ms)),
      stable_ms_(stable_ms),
      current_ms_(initial_ms_),
      state_(seed) {}

int ReconnectBackoff::next_delay_ms() {
  state_ += 0x9e3779b97f4a7c15ULL;
  std::uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  int half = current_ms_ / 2;
  int delay = half + static_cast<int>(z % static_cast<std::uint64_t>(current_ms_ - half + 1));
  current_ms_ = std::min(current_ms_ * 2, max_ms_);
  return delay;
}

void ReconnectBackoff::connection_ended(std::int64_t lived_ms) {
  if (lived_ms >= stable_ms_) current_ms_ = initial_ms_;
}

}  // namespace herd
