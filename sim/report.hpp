#pragma once
// What a run leaves behind: a summary for the terminal, a JSON report, and a swim-lane timeline.

#include <string>

#include "sim/simulator.hpp"

namespace herd {

// A few lines: verdict, convergence times, message cost, faults seen.
[[nodiscard]] std::string summary_text(const RunResult& run);

[[nodiscard]] std::string report_json(const RunResult& run);

// A self-contained SVG: one lane per node, an arrow per AT message between nodes, marks for
// faults and repairs, so a teacher can show how an update floods and where a partition stops it.
[[nodiscard]] std::string timeline_svg(const RunResult& run);

// Writes DIR/NAME.json and DIR/NAME.timeline.svg; returns an error message, or empty.
[[nodiscard]] std::string write_reports(const RunResult& run, const std::string& dir);

}  // namespace herd
