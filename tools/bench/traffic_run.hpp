#pragma once
// A herd on the virtual network under steady client traffic, then left to converge: the run the
// sim sections time against the wall clock.

#include <string>

#include "core/topology.hpp"
#include "sim/report/run_result.hpp"

namespace herd::bench {

struct TrafficRun {
  std::string name;
  Topology topology;
  int clients = 0;
  double rate = 0;  // updates per second, all clients together
  int duration_ms = 0;
  int converge_within_ms = 0;
};

struct TimedRun {
  RunResult result;
  double wall_s = 0;  // the whole run, the herd's start included
};

[[nodiscard]] TimedRun run_traffic(const TrafficRun& run);

}  // namespace herd::bench
