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
