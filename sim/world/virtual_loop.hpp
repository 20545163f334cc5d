#pragma once
// The virtual network's loop, as a library: one thread runs every handler the nodes have ready
// (the io_context's poll), then the network's next event (a delivery, a timer, a connect), moving
// the virtual clock to that event's time. step() does one round; run_until() rounds until a
// condition holds or the clock reaches a deadline. Everything random comes from one seeded
// source, so a seed replays the same run, event for event, on every machine. Tests run a node or
// two on it; the virtual world runs a whole herd.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/places_client.hpp"
#include "sim/net/virtual_environment.hpp"
#include "sim/net/virtual_network.hpp"

namespace boost::asio {
class io_context;
}

namespace herd {
namespace io {
class Environment;
}

class VirtualLoop {
 public:
  explicit VirtualLoop(std::uint64_t seed);
  // Whatever the nodes still hold is let go, and every handler runs before the network goes.
  ~VirtualLoop();
  VirtualLoop(const VirtualLoop&) = delete;
  VirtualLoop& operator=(const VirtualLoop&) = delete;

  [[nodiscard]] vnet::VirtualNetwork& net() { return net_; }
  [[nodiscard]] vnet::VirtualPlaces& places() { return places_; }
  [[nodiscard]] vnet::Time now() const { return net_.now(); }
  // The date the servers read: a fixed day plus the virtual time.
  [[nodiscard]] std::int64_t wall_ns() const { return vnet::VirtualClock::epoch_ns + net_.now(); }

  // The world of a server named `host` on this network: a node made with it runs on this loop.
  [[nodiscard]] std::shared_ptr<io::Environment> environment(const std::string& host,
                                                             const PlacesSettings& places);

  // Runs every handler that is ready: none when no handler was given to a node's executor since
  // the last poll (a delivery run in place gives none), and then the io_context is not asked.
  void poll();
  // Runs what is ready, then the network's next event; false when no event was left.
  bool step();
  // Rounds until `done()` holds, or the clock reaches `deadline` (then it stands there), or
  // `stop()` says so; whether `done()` held.
  bool run_until(const std::function<bool()>& done, vnet::Time deadline,
                 const std::function<bool()>& stop = {});
  // The end of a run: the last events run (at most a bound of them), the rest are dropped.
  void drain();

 private:
  // The network's next event, right after a poll: its receivers may act in place.
  bool run_next_in_place();

  // Polls the io_context whether or not anything was given to it.
  void poll_io();

  vnet::VirtualNetwork net_;
  vnet::VirtualPlaces places_;
  // Handlers given to the nodes' executors (make_virtual_environment counts them), and how many
  // had been when the last poll began: a poll after it runs everything given up to then. Before
  // the io_context: a handler it destroys as it goes may still give its executor work.
  std::atomic<std::uint64_t> handlers_given_{0};
  std::uint64_t given_before_poll_ = 0;
  std::unique_ptr<boost::asio::io_context> io_;
  // Asio's per-thread cache of handler and coroutine-frame memory, for what runs in place
  // (virtual_loop.cpp).
  struct HandlerMemory;
  std::unique_ptr<HandlerMemory> handler_memory_;
};

}  // namespace herd
