#pragma once
// The node's outside world on the virtual network: its streams and listeners are the network's
// connections, its timers and clocks read virtual time, its nonces come from the network's seeded
// random source, and Places answers as the mock does, after its faults' latency in virtual time.
// The node's code is the same as on real sockets; only this world differs.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "core/places_client.hpp"
#include "sim/faults/places_faults.hpp"

namespace boost::asio {
class io_context;
}

namespace herd {
namespace io {
class Environment;
}
namespace vnet {

class VirtualNetwork;

// The wall clock of a virtual run: a fixed date plus the network's virtual time, so AT lines'
// timestamps are the same in every run of a seed.
class VirtualClock final : public Clock {
 public:
  static constexpr std::int64_t epoch_ns = 1'767'225'600'000'000'000;  // 2026-01-01 00:00 UTC
  explicit VirtualClock(const VirtualNetwork& net) : net_(net) {}
  [[nodiscard]] std::int64_t now_ns() const override;

 private:
  const VirtualNetwork& net_;
};

// The mock Places of a virtual run: one per run, shared by its servers.
struct VirtualPlaces {
  PlacesFaults faults;
  // Told of each call and answer, for a trace: the server, and the answer's first line.
  std::function<void(const std::string&server, const std::string&what)> on_call, on_answer;
};

// The world of the server `host`, whose handlers run on `io` when the caller polls it; each
// handler given to `io` adds one to `handlers_given`, so the caller can tell when a poll would
// find nothing. `net`, `io`, `handlers_given` and `places` outlive it.
[[nodiscard]] std::shared_ptr<io::Environment> make_virtual_environment(
    VirtualNetwork& net, boost::asio::io_context& io, std::atomic<std::uint64_t>& handlers_given,
    std::string host, VirtualPlaces& places, PlacesSettings settings);

}  // namespace vnet
}  // namespace herd
