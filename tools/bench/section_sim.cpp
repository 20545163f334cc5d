#include <cstdint>
#include <string>
#include <tuple>

#include "sim/campaign/random_scenario.hpp"
#include "sim/run/run_scenario.hpp"
#include "tools/bench/bench_context.hpp"
#include "tools/bench/sections.hpp"
#include "tools/bench/traffic_run.hpp"

namespace herd::bench {

// The simulator itself: explore on the virtual network against the same seeds on real sockets,
// and how much simulated time a wall-clock second buys.
void bench_sim(BenchContext& bench) {
  bench.say("the simulator: virtual network against real sockets");
  const int real_runs = bench.quick() ? 3 : 8;
  auto explore = [](NetworkKind network, int runs, std::uint64_t first) {
    SimOptions sim;
    sim.network = network;
    sim.keep_timeline = false;  // as explore runs them
    double simulated = 0;
    int passed = 0;
    auto start = SteadyClock::now();
    for (int i = 0; i < runs; ++i) {
      // Without swarm draws: the same scenarios on both networks.
      auto result =
          run_scenario(random_scenario(first + static_cast<std::uint64_t>(i), false), sim);
      simulated += result.simulated_s;
      passed += result.passed ? 1 : 0;
    }
    double wall = std::chrono::duration<double>(SteadyClock::now() - start).count();
    return std::make_tuple(wall / runs, simulated, wall, passed);
  };
  auto [real_per_run, real_sim, real_wall, real_passed] = explore(NetworkKind::real, real_runs, 1);
  // The same seeds, repeated so the clock has something to measure.
  const int repeats = bench.quick() ? 10 : 50;
  double virtual_per_run = 0;
  int virtual_passed = 0;
  for (int r = 0; r < repeats; ++r) {
    auto [per_run, simulated, wall, passed] = explore(NetworkKind::virtual_, real_runs, 1);
    virtual_per_run += per_run / repeats;
    if (r == 0) virtual_passed = passed;
  }
  if (real_passed != real_runs || virtual_passed != real_runs)
    bench.fail("sim: explore runs failed (" + std::to_string(real_passed) + " real, " +
               std::to_string(virtual_passed) + " virtual, of " + std::to_string(real_runs) + ")");
  bench.add({"sim", "explore run, same " + std::to_string(real_runs) + " seeds, virtual network",
             "ms/run", virtual_per_run * 1e3, real_per_run * 1e3, "real sockets", ""});
  bench.add({"sim", "explore run speed-up, virtual over real", "x", real_per_run / virtual_per_run,
             1, "real sockets", "at least 20x"});
  // The default explore as users run it: swarm draws, a thousand seeds.
  const int many = bench.quick() ? 200 : 1000;
  SimOptions sim;
  sim.network = NetworkKind::virtual_;
  sim.keep_timeline = false;
  double simulated = 0;
  auto start = SteadyClock::now();
  for (int i = 0; i < many; ++i)
    simulated += run_scenario(random_scenario(static_cast<std::uint64_t>(i + 1), false, true), sim)
                     .simulated_s;
  double wall = std::chrono::duration<double>(SteadyClock::now() - start).count();
  bench.add({"sim", "virtual explore runs per minute (swarm, " + std::to_string(many) + " seeds)",
             "runs/min", many / wall * 60, real_runs / real_wall * 60, "real explore",
             "1000 runs/min"});
  // Simulated against wall time for the five servers under the default traffic.
  auto steady = run_traffic(
      {"steady-traffic", default_topology(0), 20, 200, bench.quick() ? 5'000 : 30'000, 5000});
  if (!steady.result.passed) bench.fail("sim: the steady-traffic run did not converge");
  bench.add({"sim", "simulated seconds per wall second, 5 servers at 200 updates/s", "x",
             steady.result.simulated_s / steady.wall_s, 1, "wall time", "at least 50x"});
}

}  // namespace herd::bench
