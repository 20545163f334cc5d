// A convergence check on the wall clock gives a herd that is slow, not stuck, more time: while
// the pairs that are off keep falling past the deadline it waits on, and a late convergence
// passes saying it was late. A herd that stops making progress fails as before. Herd's nodes on
// loopback TCP, the links' latency standing in for a loaded machine.

#include <doctest/doctest.h>

#include <string>

#include "sim/run/run_scenario.hpp"
#include "sim/scenario/scenario.hpp"

using namespace herd;

namespace {

RunResult run_real(const std::string& steps) {
  auto scenario = parse_scenario(R"({"name": "late", "steps": [)" + steps + "]}", "late.json");
  REQUIRE(scenario);
  SimOptions sim;
  sim.network = NetworkKind::real;
  return run_scenario(*scenario, sim);
}

const StepOutcome& last_step(const RunResult& result) {
  REQUIRE(!result.steps.empty());
  return result.steps.back();
}

}  // namespace

TEST_CASE("a flood still spreading at the deadline is waited for, and passes saying it was late") {
  // Two hops of 300 ms from Campbell to Clark: nobody else can hold it 100 ms in.
  auto result = run_real(R"(
      {"do": "latency", "ms": 300},
      {"do": "send", "node": "Campbell", "line": "IAMAT slow +1+1 {now}", "expect": "at"},
      {"do": "expect_converged", "within_ms": 100})");
  const auto& check = last_step(result);
  INFO(check.message);
  CHECK(check.ok);
  CHECK(result.passed);
  CHECK(check.message.find("past the 100 ms asked") != std::string::npos);
}

TEST_CASE("a herd that stops making progress fails at the deadline's first round, without grace") {
  auto result = run_real(R"(
      {"do": "partition", "groups": [["Campbell"], ["Bailey", "Bona", "Clark", "Jaquez"]]},
      {"do": "send", "node": "Campbell", "line": "IAMAT cut-off +1+1 {now}", "expect": "at"},
      {"do": "expect_converged", "within_ms": 100})");
  const auto& check = last_step(result);
  INFO(check.message);
  CHECK_FALSE(check.ok);
  CHECK(check.message.find("lacks the update") != std::string::npos);
  CHECK(check.message.find("past the") == std::string::npos);
}

TEST_CASE("a store with as many records as expected, one of them older, is found lacking") {
  // Bona, cut off, keeps kiwi's first report while the others take its second: every store has
  // one record, and Bona's is not the newest.
  auto scenario = parse_scenario(R"({"name": "stale", "steps": [
      {"do": "send", "node": "Clark", "line": "IAMAT kiwi +1+1 1700000000.5", "expect": "at"},
      {"do": "expect_converged", "within_ms": 1000},
      {"do": "partition", "groups": [["Bona"], ["Bailey", "Campbell", "Clark", "Jaquez"]]},
      {"do": "send", "node": "Clark", "line": "IAMAT kiwi +1+1 1700000001.5", "expect": "at"},
      {"do": "expect_converged", "within_ms": 500}]})",
                                 "stale.json");
  REQUIRE(scenario);
  SimOptions sim;
  sim.network = NetworkKind::virtual_;
  sim.keep_timeline = false;
  auto result = run_scenario(*scenario, sim);
  REQUIRE(result.steps.size() == 5);
  CHECK(result.steps[1].ok);
  const auto& check = result.steps[4];
  INFO(check.message);
  CHECK_FALSE(check.ok);
  CHECK(check.message.find("lacks the update") != std::string::npos);
  CHECK(check.message.find("1700000000.5") != std::string::npos);  // what Bona holds instead
}
