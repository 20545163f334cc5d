#pragma once
// One herd server: listens for clients and peers, keeps the location store, floods updates to its
// neighbours over links that reconnect with backoff, and answers WHATSAT through Places.
// This header stays free of Asio; the node runs on the strand its environment gives it.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/node_events.hpp"
#include "core/places_client.hpp"

namespace herd {

class ClientBudget;  // core/client_budget.hpp
namespace io {
class Environment;  // core/io/environment.hpp
}

// Where the node's link to one neighbour connects. The simulator points this at a fault proxy.
struct PeerEndpoint {
  std::string name;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};

struct NodeOptions {
  std::string name;
  std::string listen_host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port, readable from port() after bind()
  std::vector<PeerEndpoint> peers;
  // Classic mode is the course's minimum: no anti-entropy, and what cannot be sent to a neighbour
  // that is down is dropped.
  bool classic = false;
  // Shared by the herd's servers: links authenticate when they connect, and an AT from any other
  // connection is refused. Empty: AT is accepted on any connection, as the course's servers do.
  std::string peer_secret;
  std::string log_dir;         // empty: no log file
  bool log_to_stderr = false;  // link up/down and start-up lines on stderr as well
  PlacesSettings places;
  // Limits that keep one client from hurting the others. A line longer than max_line_bytes is
  // answered "? [line over N bytes]" and its connection closed; a client that completes no line for
  // idle_timeout_ms is cut off (a neighbour's link that greeted or authenticated is exempt:
  // links may be quiet for long); past max_clients open client connections, or when the
  // process's client budget is spent, the longest-idle client is closed to admit a new one.
  std::size_t max_line_bytes = 64 * 1024;
  int idle_timeout_ms = 300'000;
  std::size_t max_clients = 0;  // 0: no cap of its own, only the budget's
  // Shared by the servers of one process (herd up); null: the node makes its own from the
  // open-file limit, unless max_clients caps it.
  std::shared_ptr<ClientBudget> client_budget;
  // Records that cannot be kept at all: a client timestamp further than this ahead of the
  // server's clock (one report from the year 9999 would make every later honest update of that
  // client stale for ever; 0: no check), a client ID longer than max_client_id_bytes, a new client
  // once max_records are held. Such an IAMAT is still answered; nothing is stored or flooded.
  std::int64_t max_clock_skew_s = 86'400;
  std::size_t max_client_id_bytes = 256;
  std::size_t max_records = 1'000'000;
  int reconnect_initial_ms = 20;
  int reconnect_max_ms = 1000;
  int reconnect_stable_ms = 1000;  // only a link up this long starts its backoff over
  int connect_timeout_ms = 2000;   // a link's connect that hears nothing is tried again
  std::uint64_t seed = 1;          // jitter for reconnect backoff (mixed with the node's name)
  // Where the node stands in its herd's list of servers (LocalHerd numbers them), carried in its
  // events for observers; no_herd_index for a node on its own.
  std::uint32_t herd_index = no_herd_index;
  // Whether every line read is an event (line_in) for the sink; the simulator's worlds read none
  // of them and turn them off, as a flood reads a line at every server.
  bool line_in_events = true;
};

class Node {
 public:
  // `environment`: the node's one seam to the world, as FoundationDB's INetwork: the strand its
  // handlers run on, sockets, timers, both clocks, randomness and Places. Real ones come from
  // core/io/tcp_environment.hpp; the simulator passes its virtual network's.
  Node(NodeOptions options, EventSink sink, std::shared_ptr<io::Environment> environment);
  ~Node();  // stops the node if it is still running
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Opens the listener and the log. What failed is returned, not thrown: "cannot listen on
  // 127.0.0.1:12003: Address already in use", "cannot open its log logs/Clark.log: ...".
  [[nodiscard]] Expected<void> bind();
  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] const std::string& name() const;

  // Replaces the neighbour endpoints; call before start().
  void set_peers(std::vector<PeerEndpoint> peers);
  // Starts accepting and connecting to neighbours. bind() must have succeeded.
  void start();
  // Closes the listener and every socket, stops links and timers. `done` runs once everything the
  // node held is closed (on the node's strand); safe to call from any thread, more than once.
  void stop(std::function<void()> done = {});
  // Blocks until stop() has closed everything. Never call it from the io_context's threads.
  void stop_and_wait();

  // Freezes the whole node, as SIGSTOP freezes a process: no client is answered, no link writes,
  // no timer acts; the kernel still queues connections and bytes. Blocks until nothing of the
  // node runs; never call it from the io_context's threads. stop() and snapshot() still work.
  // When the caller runs the io_context itself (the virtual network), it returns at once.
  void pause();
  // Lets the node go on from where it was frozen.
  void resume();

  // The stored AT lines, read on the node's strand; `done` receives them there. With `newest`,
  // only that many, those with the latest client times: a page asks for a few of a store that
  // may hold a million, and nothing else of it is copied.
  void snapshot(std::function<void(std::vector<std::string>)> done,
                std::size_t newest = static_cast<std::size_t>(-1)) const;
  // Blocking form of snapshot(); never call it from the io_context's threads.
  [[nodiscard]] std::vector<std::string> snapshot_wait(
      std::size_t newest = static_cast<std::size_t>(-1)) const;

  struct Impl;  // defined in node.cpp, where its coroutines live

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace herd
