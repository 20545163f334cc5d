#pragma once
// What a run leaves behind: a summary for the terminal, a JSON report, and a swim-lane timeline.

#include <string>

#include "sim/report/run_result.hpp"

namespace herd {

// A few lines: verdict, convergence times, message cost, faults seen.
[[nodiscard]] std::string summary_text(const RunResult& run);
// "PASS", "FAIL" or "INCONCLUSIVE".
[[nodiscard]] std::string verdict_word(const RunResult& run);
// The first failed step (or, when none failed, the first that could not look) as a sentence;
// empty when the run passed.
[[nodiscard]] std::string first_finding(const RunResult& run);

// One scenario's line in the table at the end of a run of several.
struct RunRow {
  std::string scenario;
  bool beyond_course = false;
  std::string verdict;  // verdict_word(), or "SKIPPED"
  std::string first_finding;
};
// The table: scenario, what it checks (the course's minimum or beyond), verdict, first finding;
// then the conformance findings of all the runs, each kind once.
[[nodiscard]] std::string run_table(const std::vector<RunRow>& rows,
                                    const std::vector<Finding>& conformance);

[[nodiscard]] std::string report_json(const RunResult& run);

// A self-contained SVG (timeline.cpp): one lane per server in the topology's order beside a
// sketch of the topology, a time axis with ticks, each AT message between servers drawn from its
// own send to its own arrival in its update's colour (stored and stale arrivals told apart),
// lost and unsent messages, faults and repairs, and a legend for every mark, so a teacher can
// show how an update floods and where a partition stops it. At most `max_messages` messages are
// drawn, and the picture says how many it left out.
inline constexpr std::size_t default_timeline_max = 4000;
[[nodiscard]] std::string timeline_svg(const RunResult& run,
                                       std::size_t max_messages = default_timeline_max);

struct ReportFiles {
  std::string report_path, timeline_path;
  std::string error;  // empty when both were written
};

// Writes DIR/NAME.report.json and DIR/NAME.timeline.svg. The names never match a scenario file's
// (NAME.json), and a report is never written over the scenario that ran.
[[nodiscard]] ReportFiles write_reports(const RunResult& run, const std::string& dir,
                                        std::size_t timeline_max = default_timeline_max);

}  // namespace herd
