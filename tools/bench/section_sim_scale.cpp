#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tools/bench/bench_context.hpp"
#include "tools/bench/child_process.hpp"
#include "tools/bench/sections.hpp"
#include "tools/bench/traffic_run.hpp"

namespace herd::bench {
namespace {

// A scenario run by `herd sim` on the virtual network in a process of its own, as users run it:
// its peak resident size in KiB, or nullopt once it has failed the bench saying why.
std::optional<long> peak_of_sim(BenchContext& bench, const nlohmann::json& scenario,
                                const std::filesystem::path& dir) {
  auto name = scenario.at("name").get<std::string>();
  auto file = dir / (name + ".json");
  auto log = dir / "sim.out";
  std::ofstream(file) << scenario.dump() << "\n";
  reset_peak_resident();
  ChildProcess sim({"sim", file.string(), "--net", "virtual", "--report-dir", ""}, log.string());
  auto ended = sim.wait(300'000);
  long inherited = own_peak_resident_kib();
  if (ended.status != 0) {
    bench.fail("sim-scale: herd sim " + name + " exited with " + std::to_string(ended.status) +
               " (see " + log.string() + ")");
    return std::nullopt;
  }
  if (ended.peak_resident_kib <= inherited) {
    bench.fail("sim-scale: " + name + " peaked at " + std::to_string(ended.peak_resident_kib) +
               " KiB, not above the bench's own " + std::to_string(inherited) +
               " KiB, which Linux carries into a child it spawns: its own peak is unknown");
    return std::nullopt;
  }
  return ended.peak_resident_kib;
}

nlohmann::json ring_scenario(const std::string& name, int servers, nlohmann::json steps) {
  return {{"name", name}, {"topology", {{"ring", servers}}}, {"steps", std::move(steps)}};
}

}  // namespace

// The simulator at sizes no real herd runs on one machine: how fast the virtual network moves
// lines between hundreds of servers, and what thousands of virtual servers cost in memory. Each
// memory figure comes from a `herd sim` process of its own, so nothing the bench ran before is
// counted, and they come first, while the bench's own process is small (reset_peak_resident()).
void bench_sim_scale(BenchContext& bench) {
  auto dir = std::filesystem::temp_directory_path() /
             ("herd-bench-sim-scale-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);

  const int ring = bench.quick() ? 1000 : 5000;
  bench.say("sim-scale: peak memory of a virtual ring of " + std::to_string(ring) + " converging");
  auto converging = ring_scenario(
      "ring-" + std::to_string(ring), ring,
      {{{"do", "send"}, {"node", "N0"}, {"line", "IAMAT around +1+1 {now}"}, {"expect", "at"}},
       {{"do", "expect_converged"}, {"within_ms", 60000}}});
  auto peak = peak_of_sim(bench, converging, dir);
  if (peak)
    bench.add({"sim-scale", "ring of " + std::to_string(ring) + " converging: peak resident", "MB",
               static_cast<double>(*peak) / 1024, 0, "",
               "<= 2048 MB (2,000 servers took 2.3 GB at 350d882)"});

  // Idle rings of two sizes: the difference is what a server costs, without the process's own.
  bench.say("sim-scale: memory per idle virtual server, rings of 200 and 2000");
  auto idle = [](int servers) {
    return ring_scenario("idle-ring-" + std::to_string(servers), servers,
                         {{{"do", "wait"}, {"ms", 1000}}});
  };
  auto small = peak_of_sim(bench, idle(200), dir);
  auto large = small ? peak_of_sim(bench, idle(2000), dir) : std::nullopt;
  if (small && large)
    bench.add({"sim-scale", "idle virtual server, rings of 200 and 2000", "KB/server",
               static_cast<double>(*large - *small) / 1800, 0, "", "<= 64 KB plus records"});

  // AT lines between servers over the whole run's wall time (the herd's start included), on a ring
  // where each update crosses every link. The run counts the lines sent; without faults each one
  // arrives (a quick run keeping every message: 100,200 sent, 100,200 delivered, none in flight).
  const int traffic_ms = bench.quick() ? 200 : 1000;
  bench.say("sim-scale: a virtual ring of 500 under 1000 updates/s for " +
            std::to_string(traffic_ms) + " ms");
  auto busy = run_traffic({"ring-500-traffic", ring_topology(500), 100, 1000, traffic_ms, 60000});
  if (!busy.result.passed)
    bench.fail("sim-scale: the ring of 500 under traffic did not converge");
  else
    bench.add({"sim-scale", "ring of 500 under traffic: AT lines delivered", "lines/s",
               // Lines the servers wrote to their links; the run converged, so every one arrived.
               static_cast<double>(busy.result.metrics.at_messages) / busy.wall_s, 0, "",
               ">= 1,000,000 (110,000 at 350d882)"});

  // A failed run's output stays for reading.
  if (!(peak && small && large)) return;
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace herd::bench
