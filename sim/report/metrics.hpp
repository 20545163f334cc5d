#pragma once
// What a simulation measured, tallied from the nodes' events as they happen: nothing of a run
// needs to be kept whole to report on it. Pure.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/node_events.hpp"
#include "sim/report/text_interner.hpp"

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
  std::size_t at_bytes = 0;     // their bytes, line ends included
  // Reconciliation between Herd peers (HERD-SYNC lines, both ways), apart from the AT lines.
  std::size_t sync_messages = 0, sync_bytes = 0;
  double messages_per_update = 0;
  std::size_t stale_dropped = 0;
  std::size_t peak_queue_bytes = 0;  // the most bytes a link had waiting behind a write
  std::size_t link_ups = 0, link_downs = 0;
};

// Counts events as they come; servers are numbered as they first appear, so each update's spread
// is a bit per server.
class MetricsTally {
 public:
  // `herd_index`: the node's place in its herd (NodeEvent::herd_index), a hint that spares
  // looking its name up; checked against the name. `line`: for an update_stored event, the
  // number its caller gives the stored line (equal lines, equal numbers; dense, as a
  // TextInterner's), so an update's spread is found without hashing its line at every server.
  // A stored event without a number is not counted as an update's spread.
  void add(EventKind kind, std::string_view node, std::string_view peer, std::string_view text,
           std::int64_t time_ns, std::size_t queue_bytes, std::uint32_t herd_index = no_herd_index,
           TextInterner::Id line = TextInterner::none);
  // What the events so far say, for a herd of `servers`.
  [[nodiscard]] Metrics result(std::size_t servers) const;

 private:
  struct Spread {
    std::int64_t first = 0, last = 0;
    std::uint32_t reached = 0;
    bool stored = false;  // some server stored the line (its number may come from elsewhere)
    bool at_origin = false;
  };
  std::uint32_t index_of(std::string_view node, std::uint32_t herd_index);
  // Marks server `index` as holding `line`; whether it is the first time.
  bool first_sight(TextInterner::Id line, std::uint32_t index);

  // Heterogeneous lookup: a node's name is looked up as it is, without a copy.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  std::unordered_map<std::string, std::uint32_t, Hash, std::equal_to<>> servers_;
  std::vector<std::string> names_;  // by number
  // By herd index: the server's number + 1 (0: not seen under that index yet).
  std::vector<std::uint32_t> by_herd_index_;
  std::vector<Spread> spread_;  // by line number
  // A row of bits per line number, a bit per server number: which servers stored it. Rows widen
  // (and the table is laid out again) when a server numbered past them appears.
  std::vector<std::uint64_t> seen_;
  std::size_t seen_words_ = 1;  // per row
  Metrics counts_;
};

[[nodiscard]] Metrics compute_metrics(const std::vector<TimedEvent>& events, std::size_t servers);

// The value at quantile q (0..1) of sorted values, nearest-rank; 0 for none.
[[nodiscard]] double quantile(const std::vector<double>& sorted, double q);

}  // namespace herd
