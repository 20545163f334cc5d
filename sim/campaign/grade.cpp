#include "sim/campaign/grade.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>

#include "sim/report/report.hpp"
#include "sim/report/svg_text.hpp"

namespace herd {
namespace {

namespace fs = std::filesystem;

std::string folder_name(const std::string& path) {
  auto p = fs::path(path).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

GradedScenario graded(const RunResult& result, const Scenario& scenario) {
  GradedScenario g;
  g.scenario = scenario.name;
  g.max_points = scenario.points;
  g.seconds = result.duration_s;
  if (!result.skipped.empty())
    g.verdict = "skipped";
  else if (result.passed)
    g.verdict = "pass";
  else
    g.verdict = result.inconclusive ? "inconclusive" : "fail";
  g.points = g.verdict == "pass" ? scenario.points : 0;
  g.finding = first_finding(result);
  return g;
}

}  // namespace

Expected<std::vector<std::string>> order_submissions(const std::vector<std::string>& paths) {
  std::map<std::string, std::string> by_name;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) return fail(path + " is not a folder (a submission)");
    auto name = folder_name(path);
    if (name.empty() || name == "." || name == "..")
      return fail(path + ": name the submission's folder itself, not . or ..");
    auto [it, fresh] = by_name.emplace(name, fs::absolute(path).lexically_normal().string());
    if (!fresh && it->second != fs::absolute(path).lexically_normal().string())
      return fail("two submissions are named " + name + " (" + it->second + " and " + path +
                  "); their results would share a folder");
  }
  std::vector<std::string> ordered;
  for (const auto& [name, path] : by_name) ordered.push_back(path);
  return ordered;
}

GradeOutcome grade(const GradeSettings& settings, std::ostream& out) {
  GradeOutcome outcome;
  const auto report_dir = fs::absolute(settings.report_dir).lexically_normal();
  std::error_code ec;
  fs::create_directories(report_dir, ec);
  const auto log_path = (report_dir / grade_log_name(settings.shard)).string();
  std::ofstream log(log_path, std::ios::app);
  if (!log) outcome.problems.push_back("cannot write " + log_path);
  std::size_t owned = 0;
  for (std::size_t k = 0; k < settings.submissions.size(); ++k)
    if (settings.shard.owns(k)) ++owned;
  out << "grade: " << owned << " of " << settings.submissions.size() << " submissions"
      << (settings.shard.count > 1 ? " (shard " + settings.shard.text() + ")" : "") << ", "
      << settings.scenarios.size() << " scenarios each; results in " << report_dir.string()
      << std::endl;
  std::size_t done = 0;
  for (std::size_t k = 0; k < settings.submissions.size(); ++k) {
    if (!settings.shard.owns(k)) continue;
    const auto& path = settings.submissions[k];
    GradedSubmission row;
    row.name = folder_name(path);
    row.path = path;
    const auto dir = report_dir / row.name;
    out << "grade: [" << ++done << "/" << owned << "] " << row.name << " (" << path << ")"
        << std::endl;
    for (const auto& scenario : settings.scenarios) {
      SimOptions sim;
      sim.network = NetworkKind::real;
      sim.places_port = settings.places_port;
      sim.external = settings.herd;
      sim.external->dir = dir.string();
      sim.external->values["submission"] = path;
      auto result = run_scenario(scenario, sim);
      auto g = graded(result, scenario);
      if (result.skipped.empty()) {
        auto written = write_reports(result, dir.string());
        if (written.error.empty())
          g.report = written.report_path;
        else
          outcome.problems.push_back(row.name + ": " + written.error);
      }
      out << "  " << scenario.name << ": " << g.verdict << " in " << fixed(g.seconds, 1) << " s"
          << (g.verdict == "pass" ? "" : " - " + g.finding.substr(0, g.finding.find('\n')))
          << std::endl;
      row.scenarios.push_back(std::move(g));
    }
    const auto results = (dir / "results.json").string();
    fs::create_directories(dir, ec);
    std::ofstream file(results);
    file << gradescope_results(row);
    file.close();
    if (!file) outcome.problems.push_back("cannot write " + results);
    out << "  score " << row.score() << " / " << row.max_score() << "; " << results << std::endl;
    if (log && !(log << graded_line(row, settings.shard) << std::flush))
      outcome.problems.push_back("cannot write " + log_path);
    outcome.graded.push_back(std::move(row));
  }
  return outcome;
}

}  // namespace herd
