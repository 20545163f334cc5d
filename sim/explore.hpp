#pragma once
// Random scenarios for `herd sim --explore`: client traffic under a random schedule of faults,
// then every fault repaired and convergence checked. The same seed gives the same scenario. Pure.

#include <cstdint>

#include "sim/scenario.hpp"

namespace herd {

[[nodiscard]] Scenario random_scenario(std::uint64_t seed, bool classic);

}  // namespace herd
