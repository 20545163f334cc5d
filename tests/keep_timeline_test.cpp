// A run that writes no report keeps nothing for a timeline and counts no lines for one, and is
// otherwise the same run: the same verdict, metrics and trace, on the virtual network where a
// seed replays exactly.

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

TracedRun run_virtual(bool keep_timeline, bool traced = true) {
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
  if (traced) sim.trace = &trace;
  TracedRun run{run_scenario(*scenario, sim), {}};
  run.trace = trace.str();
  return run;
}

}  // namespace

TEST_CASE("a run kept for no report keeps no events or messages and is otherwise the same run") {
  auto kept = run_virtual(true);
  auto unkept = run_virtual(false);
  REQUIRE(kept.result.passed);
  CHECK(unkept.result.passed);
  // What a timeline draws: there in the one, not in the other.
  CHECK_FALSE(kept.result.events.empty());
  CHECK_FALSE(kept.result.messages.empty());
  CHECK(unkept.result.events.empty());
  CHECK(unkept.result.messages.empty());
  // The lines between servers are counted for a report only; the events a timeline would draw
  // are counted as left out.
  CHECK(kept.result.at_lines_sent > 0);
  CHECK(unkept.result.messages_sent == 0);
  CHECK(unkept.result.at_lines_sent == 0);
  CHECK(unkept.result.events_left_out == kept.result.events.size() + kept.result.events_left_out);
  // The nodes' own events count the same AT lines for the metrics.
  CHECK(kept.result.metrics.at_messages == kept.result.at_lines_sent);
  // Untraced too, the network's bytes then reach no record at all.
  auto untraced = run_virtual(false, false);
  CHECK(untraced.result.passed);
  CHECK(untraced.result.at_lines_sent == 0);
  const auto& a = kept.result.metrics;
  CHECK(a.updates > 0);
  for (const auto* other : {&unkept.result, &untraced.result}) {
    const auto& b = other->metrics;
    CHECK(b.updates == a.updates);
    CHECK(b.fully_spread == a.fully_spread);
    CHECK(b.converge_max_ms == a.converge_max_ms);
    CHECK(b.at_messages == a.at_messages);
    CHECK(b.at_bytes == a.at_bytes);
    CHECK(b.stale_dropped == a.stale_dropped);
    CHECK(b.link_ups == a.link_ups);
    CHECK(b.link_downs == a.link_downs);
    CHECK(other->simulated_s == kept.result.simulated_s);
  }
  REQUIRE(!kept.trace.empty());
  CHECK(unkept.trace == kept.trace);
}
