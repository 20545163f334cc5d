#pragma once
// What a runner tells the user as a scenario runs, the same for every network: one line per
// step, and a failed check's problems. Pure.

#include <ostream>
#include <string>
#include <vector>

#include "sim/checker/checker.hpp"
#include "sim/scenario/step_context.hpp"

namespace herd {

// "  [ 3]   0.120s  cut Clark -> Bona  ok: ...", and with --verbose each problem below it.
void print_step(std::ostream& out, const StepOutcome& outcome);

// The counts and the first problems on the step's line; with `verbose`, every problem goes to
// `details`, one per line.
[[nodiscard]] std::string summarize_verdict(const Verdict& verdict, bool verbose,
                                            std::vector<std::string>& details);

}  // namespace herd
