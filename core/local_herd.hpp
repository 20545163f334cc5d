#pragma once
// A whole herd in this process: one Node per server of a topology, all on one Runtime, each on
// its own strand. Used by `herd up`, the tests and the simulator (which routes links through its
// fault proxies and crashes and restarts nodes).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/node.hpp"
#include "core/topology.hpp"

namespace herd {

struct HerdSettings {
  Topology topology;  // a port of 0 picks any free port
  // What every node shares (mode, limits, Places, logs, backoff); name, address, port, peers and
  // seed are filled in per server. The peer secret comes from the topology.
  NodeOptions node;
  std::uint64_t seed = 1;
  EventSink sink;
  const Clock* clock = nullptr;  // nullptr: the system clock
  // Where the link from `from` to `to` connects; by default `to`'s own listener. Called once every
  // listener is bound, so `to.port` is the real port.
  std::function<PeerEndpoint(const std::string& from, const ServerSpec& to)> route;
  // Each server's outside world (node.hpp); unset: real sockets. A herd whose Runtime is not
  // started runs on the caller's thread: stop and crash then return at once, and the caller's
  // next poll of the io_context closes what the node held.
  std::function<std::shared_ptr<io::Environment>(const std::string& name)> environment;
};

class LocalHerd {
 public:
  LocalHerd(Runtime& runtime, HerdSettings settings);
  ~LocalHerd();  // stops every node
  LocalHerd(const LocalHerd&) = delete;
  LocalHerd& operator=(const LocalHerd&) = delete;

  // Binds every listener first (so no link starts before its peer listens), then starts all.
  // On failure, a message that names the node and the reason; nothing is left running.
  [[nodiscard]] std::optional<std::string> start();
  // Stops every node and waits until each has closed what it held.
  void stop();

  // The topology with the ports actually bound.
  [[nodiscard]] const Topology& topology() const { return settings_.topology; }
  // nullptr when no such node or it is crashed.
  [[nodiscard]] Node* node(std::string_view name);
  [[nodiscard]] std::vector<std::string> names() const;

  // A crash closes the node's listener and sockets and drops its memory.
  void crash(std::string_view name);
  // A fresh node on the same port; an error message if the port cannot be bound again.
  [[nodiscard]] std::optional<std::string> restart(std::string_view name);

 private:
  [[nodiscard]] NodeOptions options_for(const ServerSpec& server, bool with_peers) const;
  [[nodiscard]] std::size_t index_of(std::string_view name) const;
  [[nodiscard]] std::unique_ptr<Node> make_node(const ServerSpec& server, bool with_peers) const;
  void stop_node(Node& node);
  [[nodiscard]] const Clock& clock() const {
    return settings_.clock != nullptr ? *settings_.clock : system_clock();
  }

  Runtime& runtime_;
  HerdSettings settings_;
  std::vector<std::unique_ptr<Node>> nodes_;  // one slot per server; empty while crashed
};

}  // namespace herd
