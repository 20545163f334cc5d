#pragma once
// Watching a herd in the bench's own process spread updates, from its nodes' events: who stored
// each AT line and when, and how many AT messages carried it. The flood and scale sections time
// and count floods with it.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/node_events.hpp"
#include "core/topology.hpp"

namespace herd::bench {

// Counts, per AT line, how many nodes stored it and when; wakes waiters on every store.
class StoreWatch {
 public:
  // For every node of the herd; thread-safe.
  [[nodiscard]] EventSink sink();
  bool wait_links(std::size_t n, std::chrono::seconds limit);
  // Waits until every line in `lines` is stored by `nodes` nodes.
  [[nodiscard]] bool wait_spread(const std::vector<std::string>& lines, int nodes,
                                 std::chrono::seconds limit);
  [[nodiscard]] double spread_ms(const std::string& line);
  // AT messages that carried `line` between nodes so far.
  [[nodiscard]] std::size_t messages_for(const std::string& line);

 private:
  struct Spread {
    int count = 0;
    std::int64_t first = 0, last = 0;
  };
  std::mutex mutex_;
  std::condition_variable changed_;
  std::unordered_map<std::string, Spread> spread_;
  std::unordered_map<std::string, std::size_t> received_;
  std::size_t link_ups_ = 0;
};

// What flooding without echoes sends for one update at most: every server tells every neighbour
// but the one it heard it from (the origin tells all), 2 x links - (servers - 1). A server next to
// the origin that hears it first from elsewhere skips the origin too, so a run may send fewer.
[[nodiscard]] double flood_messages(const Topology& topology);

// Sends one more update at `port` and waits until all `servers` stored it: what the herd sent for
// earlier updates has then been sent, so their message counts are final.
[[nodiscard]] bool settle(StoreWatch& watch, std::uint16_t port, int servers);

}  // namespace herd::bench
