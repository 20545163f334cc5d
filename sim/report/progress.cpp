#include "sim/report/progress.hpp"

#include <algorithm>
#include <cstdio>

#include "sim/workload/client_work.hpp"

namespace herd {

void print_step(std::ostream& out, const StepOutcome& o) {
  char head[64];
  // Numbered from 0, as steps[N] in the file and in its error messages.
  std::snprintf(head, sizeof head, "  [%2zu] %7.3fs  ", o.index, o.started_s);
  out << head << printable(o.description)
      << (o.ok             ? "  ok"
          : o.inconclusive ? "  INCONCLUSIVE"
                           : "  FAIL");
  if (!o.message.empty()) out << ": " << printable(o.message);
  out << "\n";
  for (const auto& detail : o.details) out << "         " << printable(detail) << "\n";
  out << std::flush;
}

std::string summarize_verdict(const Verdict& v, bool verbose, std::vector<std::string>& details) {
  std::string out = "not converged: " + std::to_string(v.missing) + " missing, " +
                    std::to_string(v.lost_updates) + " lost, " + std::to_string(v.unexplained) +
                    " unexplained";
  if (verbose) {
    details = v.problems;
    return out;
  }
  std::size_t shown = std::min<std::size_t>(v.problems.size(), 2);
  for (std::size_t i = 0; i < shown; ++i) out += "; " + v.problems[i];
  if (shown < v.problems.size())
    out += "; ... (" + std::to_string(v.problems.size() - shown) + " more: --verbose lists them)";
  return out;
}

}  // namespace herd
