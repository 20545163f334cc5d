#pragma once
// When a peer link tries again after a failed or lost connection. Pure: no I/O.
//
// The delay doubles from `initial_ms` to `max_ms`, with jitter so that a herd whose nodes all lost
// the same peer does not reconnect in lockstep. It starts over only after a connection that stayed
// up for `stable_ms`: a neighbour that accepts and closes at once (a common student design, one
// connection per message) otherwise gets a reconnect, and a full snapshot, every few milliseconds.

#include <cstdint>

#include "core/seeded_random.hpp"

namespace herd {

class ReconnectBackoff {
 public:
  ReconnectBackoff(int initial_ms, int max_ms, int stable_ms, std::uint64_t seed);

  // How long to wait before the next attempt: between half the current delay and all of it.
  // The delay after it doubles, up to the maximum.
  [[nodiscard]] int next_delay_ms();
  // A connection ended after `lived_ms` up: only one that stayed up long enough starts over.
  void connection_ended(std::int64_t lived_ms);

  [[nodiscard]] int current_ms() const { return current_ms_; }

 private:
  int initial_ms_, max_ms_, stable_ms_;
  int current_ms_;
  SeededRandom jitter_;
};

}  // namespace herd
