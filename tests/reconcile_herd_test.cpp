// Reconciliation between Herd nodes on the virtual network, with stores of 10,000 clients: a
// heal, a restart and a flapping link converge as before, and a heal after one missed update
// costs a few kilobytes of reconciliation, not the store again on every link.

#include <doctest/doctest.h>

#include <string>

#include "sim/run/run_scenario.hpp"
#include "sim/scenario/scenario.hpp"

using namespace herd;

namespace {

RunResult run_virtual(const std::string& steps) {
  auto scenario = parse_scenario(R"({"name": "big-store", "steps": [
      {"do": "traffic", "clients": 10000, "rate": 100000, "duration_ms": 100},
      {"do": "expect_converged", "within_ms": 10000},)" +
                                     steps + "]}",
                                 "big-store.json");
  REQUIRE(scenario);
  SimOptions sim;
  sim.network = NetworkKind::virtual_;
  auto result = run_scenario(*scenario, sim);
  for (const auto& step : result.steps)
    if (!step.ok) FAIL("steps[" << step.index << "] " << step.description << ": " << step.message);
  return result;
}

}  // namespace

TEST_CASE("a heal after one missed update reconciles in kilobytes, not the whole store") {
  auto result = run_virtual(R"(
      {"do": "partition", "groups": [["Jaquez"], ["Bailey", "Bona", "Campbell", "Clark"]]},
      {"do": "send", "node": "Clark", "line": "IAMAT missed +1+1 {now}", "expect": "at"},
      {"do": "wait", "ms": 100},
      {"do": "heal"},
      {"do": "expect_converged", "within_ms": 5000})");
  REQUIRE(result.passed);
  const auto& m = result.metrics;
  // Every update crossed each of the six links once each way at most, less the flood's skips:
  // 8 lines an update in this herd. A snapshot on the four links that came back would add
  // 4 x 10,001 lines.
  CHECK(m.updates == 10'001);
  CHECK(m.at_messages <= m.updates * 8 + 10);
  CHECK(m.sync_messages >= 4);  // each of the four links asked at least once
  CHECK(m.sync_bytes < 16 * 1024);
  MESSAGE("heal: " << m.at_messages << " AT lines, reconciliation " << m.sync_messages
                   << " messages, " << m.sync_bytes << " bytes");
}

TEST_CASE("a restarted server gets every record back: its neighbours see it holds nothing") {
  auto result = run_virtual(R"(
      {"do": "crash", "node": "Jaquez"},
      {"do": "restart", "node": "Jaquez"},
      {"do": "expect_converged", "within_ms": 5000})");
  REQUIRE(result.passed);
  const auto& m = result.metrics;
  // Jaquez's two neighbours each send it the store (a list of nothing asks for all of it), and it
  // floods on what is new to it: the store's worth again at most, and no more than a snapshot.
  CHECK(m.at_messages >= m.updates * 8 + 10'000);
  CHECK(m.at_messages <= m.updates * 8 + 4 * 10'001);
}

TEST_CASE("a flapping link under traffic converges, reconciling at each reconnect") {
  auto result = run_virtual(R"(
      {"do": "cut", "from": "Bona", "to": "Clark"},
      {"do": "traffic", "clients": 200, "rate": 2000, "duration_ms": 50, "nodes": ["Clark", "Bona"]},
      {"do": "restore", "from": "Bona", "to": "Clark"},
      {"do": "wait", "ms": 400},
      {"do": "cut", "from": "Bona", "to": "Clark"},
      {"do": "traffic", "clients": 200, "rate": 2000, "duration_ms": 50, "nodes": ["Clark", "Bona"]},
      {"do": "restore", "from": "Bona", "to": "Clark"},
      {"do": "reset", "from": "Bona", "to": "Clark"},
      {"do": "traffic", "clients": 200, "rate": 2000, "duration_ms": 50, "nodes": ["Clark", "Bona"]},
      {"do": "wait", "ms": 400},
      {"do": "expect_converged", "within_ms": 5000})");
  REQUIRE(result.passed);
  // Both directions of the link come back after each restore, and ask at least once each time.
  CHECK(result.metrics.link_ups >= 12 + 4);
  CHECK(result.metrics.sync_messages >= 4);
  // Far below the 10,000-line store the reconnects would each have sent.
  CHECK(result.metrics.at_messages < result.metrics.updates * 8 + 10'000);
}
