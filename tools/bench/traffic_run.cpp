#include "tools/bench/traffic_run.hpp"

#include "sim/run/run_scenario.hpp"
#include "sim/scenario/scenario.hpp"
#include "tools/bench/load.hpp"

namespace herd::bench {

TimedRun run_traffic(const TrafficRun& run) {
  Scenario scenario;
  scenario.name = run.name;
  scenario.topology = run.topology;
  Step traffic;
  traffic.kind = StepKind::traffic;
  traffic.clients = run.clients;
  traffic.rate = run.rate;
  traffic.duration_ms = run.duration_ms;
  Step converged;
  converged.kind = StepKind::expect_converged;
  converged.ms = run.converge_within_ms;
  scenario.steps = {traffic, converged};
  SimOptions sim;
  sim.network = NetworkKind::virtual_;
  sim.keep_timeline = false;  // as `herd sim --report-dir ""` runs it
  TimedRun timed;
  auto start = SteadyClock::now();
  timed.result = run_scenario(scenario, sim);
  timed.wall_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
  return timed;
}

}  // namespace herd::bench
