#pragma once
// A class's grades: what each submission's herd did in each scenario, as the course staff read
// it (grades.csv, grades.html), as Gradescope's autograder takes it (results.json, one per
// submission), and as shards log it (grades-shard-I-of-N.jsonl, a line per submission) so that
// `herd grade --merge` makes one table of many shards. Pure apart from writing the files.

#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "sim/campaign/shard.hpp"

namespace herd {

struct GradedScenario {
  std::string scenario;
  std::string verdict;  // pass, fail, inconclusive (the harness could not judge) or skipped
  double points = 0;    // what it earned: max_points when it passed, else 0
  double max_points = 1;
  std::string finding;  // the first failed (or unreadable) step, or why it was skipped
  std::string report;   // its report file, when one was written
  double seconds = 0;
};

struct GradedSubmission {
  std::string name;  // the submission folder's name
  std::string path;
  std::vector<GradedScenario> scenarios;
  [[nodiscard]] double score() const;
  [[nodiscard]] double max_score() const;
};

[[nodiscard]] std::string graded_line(const GradedSubmission& graded, const Shard& shard);
[[nodiscard]] Expected<GradedSubmission> parse_graded_line(std::string_view line);
// "grades-shard-2-of-4.jsonl"
[[nodiscard]] std::string grade_log_name(const Shard& shard);
inline constexpr std::string_view grade_log_prefix = "grades-";

struct GradeTable {
  std::vector<std::string> scenarios;  // the columns, by name
  std::vector<GradedSubmission> rows;  // by submission name
  std::vector<std::string> notes;      // lines skipped, submissions graded twice
};

// Sorted rows and columns, so that any split of a grading run gives the same table.
[[nodiscard]] GradeTable make_grade_table(std::vector<GradedSubmission> rows,
                                          std::vector<std::string> notes = {});
// Every grades-*.jsonl in the folders (or files) given.
[[nodiscard]] Expected<GradeTable> merge_grade_logs(const std::vector<std::string>& paths);

// A row per submission: submission, score, max_score, a column per scenario (pass, fail,
// inconclusive, skipped), then the first finding. Cells a spreadsheet would run as formulas
// (=, +, -, @) are quoted as text.
[[nodiscard]] std::string grades_csv(const GradeTable& table);
// The same table as a page, each failure's message under it; every herd-made text escaped.
[[nodiscard]] std::string grades_html(const GradeTable& table);
// Gradescope's results.json for one submission: score, a test per scenario (name, score,
// max_score, status, output).
[[nodiscard]] std::string gradescope_results(const GradedSubmission& graded);
// grades.csv and grades.html in `dir`.
[[nodiscard]] Expected<void> write_grade_table(const GradeTable& table, const std::string& dir);

}  // namespace herd
