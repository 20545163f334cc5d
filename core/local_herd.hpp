#pragma once
// A whole herd in this process: one Node per server of a topology, all on one Runtime, each on
// its own strand. Used by `herd up`, the tests and the simulator (which routes links through its
// fault proxies and crashes and restarts nodes).

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/node.hpp"
#include "core/topology.hpp"

namespace herd {

class Runtime;

struct HerdSettings {
  Topology topology;  // a port of 0 picks any free port
  // What every node shares (mode, limits, Places, logs, backoff); name, address, port, peers and
  // seed are filled in per server. The peer secret comes from the topology.
  NodeOptions node;
  std::uint64_t seed = 1;
  EventSink sink;
  // Where the link from `from` to `to` connects; by default `to`'s own listener. Called once every
  // listener is bound, so `to.port` is the real port.
  std::function<PeerEndpoint(const std::string& from, const ServerSpec& to)> route;
  // Each server's outside world (node.hpp), made from its options; unset: real sockets on
  // `runtime`, with the system clock. On a world the caller runs itself (the virtual network),
  // stop and crash return at once, and the caller's next poll closes what the node held.
  std::function<std::shared_ptr<io::Environment>(const NodeOptions& options)> environment;
  Runtime* runtime = nullptr;
};

class LocalHerd {
 public:
  explicit LocalHerd(HerdSettings settings);
  ~LocalHerd();  // stops every node
  LocalHerd(const LocalHerd&) = delete;
  LocalHerd& operator=(const LocalHerd&) = delete;

  // Binds every listener first (so no link starts before its peer listens), then starts all.
  // On failure, a message that names the node and the reason; nothing is left running.
  [[nodiscard]] Expected<void> start();
  // Stops every node and waits until each has closed what it held.
  void stop();

  // The topology with the ports actually bound.
  [[nodiscard]] const Topology& topology() const { return settings_.topology; }
  // nullptr when no such node or it is crashed.
  [[nodiscard]] Node* node(std::string_view name);
  [[nodiscard]] std::vector<std::string> names() const;

  // A crash closes the node's listener and sockets and drops its memory.
  void crash(std::string_view name);
  // A fresh node on the same port; fails, saying why, if the port cannot be bound again.
  [[nodiscard]] Expected<void> restart(std::string_view name);

 private:
  // For the topology's server number `index` (also its herd_index).
  [[nodiscard]] NodeOptions options_for(std::size_t index, bool with_peers) const;
  [[nodiscard]] std::size_t index_of(std::string_view name) const;
  [[nodiscard]] std::unique_ptr<Node> make_node(std::size_t index, bool with_peers) const;

  HerdSettings settings_;
  std::vector<std::vector<std::size_t>> neighbours_;  // by server number (Topology::adjacency)
  std::vector<std::unique_ptr<Node>> nodes_;          // one slot per server; empty while crashed
};

}  // namespace herd
