#pragma once
// What a run leaves behind: a summary for the terminal, a JSON report, and a swim-lane timeline.

#include <string>

#include "sim/runner/runner.hpp"

namespace herd {

// A few lines: verdict, convergence times, message cost, faults seen.
[[nodiscard]] std::string summary_text(const RunResult& run);

[[nodiscard]] std::string report_json(const RunResult& run);

// A self-contained SVG: one lane per node, an arrow per AT message between nodes, marks for
// faults and repairs, so a teacher can show how an update floods and where a partition stops it.
[[nodiscard]] std::string timeline_svg(const RunResult& run);

struct ReportFiles {
  std::string report_path, timeline_path;
  std::string error;  // empty when both were written
};

// Writes DIR/NAME.report.json and DIR/NAME.timeline.svg. The names never match a scenario file's
// (NAME.json), and a report is never written over the scenario that ran.
[[nodiscard]] ReportFiles write_reports(const RunResult& run, const std::string& dir);

}  // namespace herd
