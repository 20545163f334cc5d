#include "core/reconnect_backoff.hpp"

#include <algorithm>

namespace herd {

ReconnectBackoff::ReconnectBackoff(int initial_ms, int max_ms, int stable_ms, std::uint64_t seed)
    : initial_ms_(std::max(1, initial_ms)),
      max_ms_(std::max(initial_ms_, max_ms)),
      stable_ms_(stable_ms),
      current_ms_(initial_ms_),
      jitter_(seed) {}

int ReconnectBackoff::next_delay_ms() {
  int half = current_ms_ / 2;
  auto delay = static_cast<int>(jitter_.between(half, current_ms_));
  current_ms_ = std::min(current_ms_ * 2, max_ms_);
  return delay;
}

void ReconnectBackoff::connection_ended(std::int64_t lived_ms) {
  if (lived_ms >= stable_ms_) current_ms_ = initial_ms_;
}

}  // namespace herd
