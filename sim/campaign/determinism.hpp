#pragma once
// The determinism check: on the virtual network a seed replays bit for bit, so running a
// scenario twice must give the same trace; a difference is named by its first line.

#include <iosfwd>
#include <string>

#include "sim/run/run_scenario.hpp"

namespace herd {

// The first line where two traces differ, as a message; empty when they are the same.
[[nodiscard]] std::string first_difference(const std::string& a, const std::string& b);

// Runs the scenario, writing its trace to `trace` when given (after a "# scenario NAME seed N"
// line); with `check_determinism`, twice, adding a step that fails if the traces differ.
[[nodiscard]] RunResult run_traced(const Scenario& scenario, const SimOptions& options,
                                   bool check_determinism, std::ostream* trace);

}  // namespace herd
