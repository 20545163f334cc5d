#pragma once
// Random scenarios for `herd sim --explore`: client traffic under a random schedule of faults,
// then every fault repaired and convergence checked. The same seed gives the same scenario. Pure.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"

namespace herd {

// What explore may put in a schedule: each is made of scenario steps (a crash and its restart, a
// flap of cuts and restores), so this is explore's menu, not another kind of fault.
enum class ExploreFault { crash, partition, cut, latency, flap, drop, hold, pause, reset, count };
[[nodiscard]] const char* to_string(ExploreFault kind);

// Swarm testing, as TigerBeetle's VOPR does it: each seed also draws which fault kinds are on and
// how hard they hit, so that some runs hammer one kind and others mix them all.
struct Swarm {
  std::vector<ExploreFault> kinds;             // on for this seed
  int episodes = 2;                            // faults, one after the other
  double traffic_scale = 1.0;                  // times the base update rate
  [[nodiscard]] std::string describe() const;  // "crash+cut+hold, 4 episodes, traffic x1.5"
};

// `swarm` false: every kind on, 2 to 4 episodes, the base traffic (the classic explore).
[[nodiscard]] Swarm draw_swarm(std::uint64_t seed, bool swarm);
[[nodiscard]] Scenario random_scenario(std::uint64_t seed, bool classic, bool swarm = false);

}  // namespace herd
