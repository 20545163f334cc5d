#pragma once
// `herd grade`: every scenario against every submission's herd, run as server processes from one
// command template, each submission's results as Gradescope takes them, and the class's table.
// Sharded over submissions, so a cluster array grades a class in parallel (shard.hpp).

#include <iosfwd>
#include <string>
#include <vector>

#include "sim/campaign/grade_table.hpp"
#include "sim/campaign/shard.hpp"
#include "sim/run/run_scenario.hpp"

namespace herd {

struct GradeSettings {
  std::vector<std::string> submissions;  // folders; each one's name names it
  std::vector<Scenario> scenarios;
  // The servers' command; {submission} (and HERD_SUBMISSION) is the submission's folder.
  ExternalHerd herd;
  // REPORT-DIR/NAME/ holds a submission's servers' folders, its reports and results.json;
  // REPORT-DIR/ the shard's log and, unsharded, grades.csv and grades.html.
  std::string report_dir = "herd-grades";
  Shard shard;
  std::uint16_t places_port = 0;
};

struct GradeOutcome {
  std::vector<GradedSubmission> graded;  // this shard's, in order
  std::vector<std::string> problems;     // files that could not be written
};

// The submissions in the order every shard agrees on (by name); a failure when two share a
// name or one is not a folder.
[[nodiscard]] Expected<std::vector<std::string>> order_submissions(
    const std::vector<std::string>& paths);

// Grades this shard's submissions, a line of progress per scenario to `out`.
[[nodiscard]] GradeOutcome grade(const GradeSettings& settings, std::ostream& out);

}  // namespace herd
