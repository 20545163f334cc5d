#include "sim/campaign/determinism.hpp"

#include <algorithm>
#include <ostream>
#include <sstream>

#include "sim/report/progress.hpp"

namespace herd {

std::string first_difference(const std::string& a, const std::string& b) {
  std::istringstream left(a), right(b);
  std::string l, r;
  for (std::size_t line = 1;; ++line) {
    bool more_l = static_cast<bool>(std::getline(left, l));
    bool more_r = static_cast<bool>(std::getline(right, r));
    if (!more_l && !more_r) return {};
    if (!more_l) l = "(end of trace)";
    if (!more_r) r = "(end of trace)";
    if (!more_l || !more_r || l != r)
      return "traces differ at line " + std::to_string(line) + ":\n    first run:  " + l +
             "\n    second run: " + r;
  }
}

RunResult run_traced(const Scenario& scenario, const SimOptions& options, bool check_determinism,
                     std::ostream* trace) {
  std::ostringstream first;
  SimOptions traced = options;
  if (trace || check_determinism) traced.trace = &first;
  auto result = run_scenario(scenario, traced);
  if (trace) {
    *trace << "# scenario " << scenario.name << " seed " << options.seed.value_or(scenario.seed)
           << "\n"
           << first.str();
    trace->flush();
  }
  if (!check_determinism) return result;
  std::ostringstream second;
  SimOptions again = options;
  again.progress = nullptr;
  again.trace = &second;
  (void)run_scenario(scenario, again);
  StepOutcome check;
  check.index = result.steps.size();
  check.started_s = check.finished_s = result.steps.empty() ? 0 : result.steps.back().finished_s;
  check.description = "determinism: the same seed gives the same trace";
  const std::string text = first.str();
  auto difference = first_difference(text, second.str());
  check.ok = difference.empty();
  check.message = check.ok
                      ? "two runs, " + std::to_string(std::count(text.begin(), text.end(), '\n')) +
                            " identical trace lines"
                      : difference;
  if (options.progress) print_step(*options.progress, check);
  result.passed = result.passed && check.ok;
  result.steps.push_back(std::move(check));
  return result;
}

}  // namespace herd
