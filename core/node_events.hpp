#pragma once
// What a node reports to whoever observes it (the simulator, tests, benchmarks). A node does not
// know who listens; observing costs nothing when no sink is set.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace herd {

enum class EventKind {
  line_in,          // a line read from any connection (text: the line; peer: the neighbour whose
                    // link it came on, once that link has said who it is)
  line_out,         // a line written to a client or a peer (peer: neighbour name for links)
  update_stored,    // an AT record became this node's newest for its client (text: the AT line)
  update_dropped,   // an AT record or IAMAT was not newer than the stored one
  update_refused,   // a record that cannot be kept at all (a limit: see NodeOptions); not flooded
  link_up,          // the outgoing link to `peer` connected
  link_down,        // the outgoing link to `peer` was lost or could not connect
  update_not_sent,  // classic mode: an update not sent to `peer` because its link was down
};

// A node's place in its herd when it has none (a node started alone).
inline constexpr std::uint32_t no_herd_index = 0xffffffff;

struct NodeEvent {
  EventKind kind;
  std::string_view node;
  std::string_view peer;  // neighbour name for link events and link lines; empty for clients
  std::string_view text;
  std::int64_t time_ns = 0;
  std::size_t queue_bytes = 0;  // for line_out on a link: bytes still waiting behind this line
  // For update events, the record's client field, as the node parsed it (so a listener need not
  // split the line again); empty for other events.
  std::string_view client;
  // NodeOptions::herd_index: an observer that keeps a table per server finds this node's entry
  // without looking its name up (it should check the name there: the index is a hint).
  std::uint32_t herd_index = no_herd_index;
};

// Called on the node's strand: a sink shared by several nodes must be thread-safe.
using EventSink = std::function<void(const NodeEvent&)>;

[[nodiscard]] const char* to_string(EventKind kind);

}  // namespace herd
