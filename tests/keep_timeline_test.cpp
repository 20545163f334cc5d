// A run that writes no report keeps nothing for a timeline, and is otherwise the same run: the
// same verdict, metrics, counts and trace, on the virtual network where a seed replays exactly.

#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "sim/run/run_scenario.hpp"
#include "sim/scenario/scenario.hpp"

using namespace herd;

namespace {

struct TracedRun {
  RunResult result;
  std::string trace;
};

TracedRun run_virtual(bool keep_timeline) {
  auto scenario = parse_scenario(R"({"name": "split", "steps": [
      {"do": "traffic", "clients": 10, "rate": 200, "duration_ms": 100},
      {"do": "expect_converged", "within_ms": 2000},
      {"do": "partition", "groups": [["Clark", "Jaquez"], ["Bailey", "Bona", "Campbell"]]},
      {"do": "traffic", "clients": 10, "rate": 200, "duration_ms": 100},
      {"do": "heal"},
      {"do": "expect_converged", "within_ms": 5000}]})",
                                 "split.json");
  REQUIRE(scenario);
  std::ostringstream trace;
  SimOptions sim;
  sim.network = NetworkKind::virtual_;
  sim.keep_timeline = keep_timeline;
  sim.trace = &trace;
  TracedRun run{run_scenario(*scenario, sim), {}};
  run.trace = trace.str();
  return run;
}

}  // namespace

TEST_CASE("a run kept for no timeline keeps no events or messages and is otherwise the same run") {
  auto kept = run_virtual(true);
  auto unkept = run_virtual(false);
  REQUIRE(kept.result.passed);
  CHECK(unkept.result.passed);
  // What a timeline draws: there in the one, not in the other.
  CHECK_FALSE(kept.result.events.empty());
  CHECK_FALSE(kept.result.messages.empty());
  CHECK(unkept.result.events.empty());
  CHECK(unkept.result.messages.empty());
  // Every line is still counted, and the events a timeline would draw are counted as left out.
  CHECK(unkept.result.messages_sent == kept.result.messages_sent);
  CHECK(unkept.result.at_lines_sent == kept.result.at_lines_sent);
  CHECK(unkept.result.events_left_out == kept.result.events.size() + kept.result.events_left_out);
  const auto& a = kept.result.metrics;
  const auto& b = unkept.result.metrics;
  CHECK(a.updates > 0);
  CHECK(b.updates == a.updates);
  CHECK(b.fully_spread == a.fully_spread);
  CHECK(b.converge_max_ms == a.converge_max_ms);
  CHECK(b.at_messages == a.at_messages);
  CHECK(b.at_bytes == a.at_bytes);
  CHECK(b.stale_dropped == a.stale_dropped);
  CHECK(b.link_ups == a.link_ups);
  CHECK(b.link_downs == a.link_downs);
  REQUIRE(!kept.trace.empty());
  CHECK(unkept.trace == kept.trace);
}
