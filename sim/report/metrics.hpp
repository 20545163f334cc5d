#pragma once
// What a simulation measured, computed from the nodes' events after the run. Pure.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/node_events.hpp"

namespace herd {

// A node event kept after the callback returned, with time relative to the run's start.
struct TimedEvent {
  EventKind kind;
  std::string node, peer, text;
  std::int64_t time_ns = 0;
  std::size_t queue_bytes = 0;
};

struct Metrics {
  std::size_t updates = 0;       // distinct AT records stored at their origin
  std::size_t fully_spread = 0;  // of those, reached every server of the topology
  double converge_p50_ms = 0, converge_p99_ms = 0, converge_max_ms = 0;  // accept to last server
  std::size_t at_messages = 0;  // AT lines written on peer links (floods and snapshots)
  double messages_per_update = 0;
  std::size_t stale_dropped = 0;
  std::size_t peak_queue_bytes = 0;  // the most bytes a link had waiting behind a write
  std::size_t link_ups = 0, link_downs = 0;
};

[[nodiscard]] Metrics compute_metrics(const std::vector<TimedEvent>& events, std::size_t servers);

// The value at quantile q (0..1) of sorted values, nearest-rank; 0 for none.
[[nodiscard]] double quantile(const std::vector<double>& sorted, double q);

}  // namespace herd
