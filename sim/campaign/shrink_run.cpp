#include "sim/campaign/shrink_run.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <sstream>

#include "sim/scenario/shrink.hpp"

namespace herd {

std::string shrunk_path(const std::string& path) {
  const std::string suffix = ".json";
  auto stem = path.size() > suffix.size() && path.ends_with(suffix)
                  ? path.substr(0, path.size() - suffix.size())
                  : path;
  return stem + ".shrunk.json";
}

std::optional<std::size_t> shrink_and_write(const Scenario& failing, const RunResult& failed,
                                            const SimOptions& options, const std::string& out_path,
                                            std::ostream& out) {
  using Clock = std::chrono::steady_clock;
  const bool one_run_decides = options.network == NetworkKind::virtual_;
  const int runs_per_candidate = one_run_decides ? 1 : 3;
  SimOptions quiet = options;
  quiet.progress = nullptr;
  quiet.trace = nullptr;
  quiet.trace_listener = nullptr;
  quiet.live_view = nullptr;
  quiet.verbose = true;  // every problem, so the signature sees every server that lacks
  quiet.seed.reset();    // each candidate keeps the scenario's own seed
  quiet.keep_timeline = false;
  auto signature_of = [&](const Scenario& candidate) {
    std::string shared;
    for (int i = 0; i < runs_per_candidate; ++i) {
      auto result = run_scenario(candidate, quiet);
      auto signature = result.passed ? std::string() : failure_signature(result.steps);
      if (signature.empty() || (i > 0 && signature != shared)) return std::string();
      shared = signature;
    }
    return shared;
  };
  auto began = Clock::now();
  auto last_said = began;
  out << "shrink: " << failing.steps.size() << " steps failing at \""
      << failure_signature(failed.steps) << "\"; "
      << (one_run_decides ? "one run decides each candidate (virtual network)"
                          : "a candidate must fail 3 runs of 3")
      << std::endl;
  std::size_t runs = 0;
  auto report = [&](const ShrinkProgress& p) {
    runs = p.runs;
    auto now = Clock::now();
    if (now - last_said < std::chrono::seconds(2)) return;
    last_said = now;
    out << "shrink: " << p.runs << " candidates, " << p.steps << " steps so far (" << p.last << ")"
        << std::endl;
  };
  auto small = shrink_scenario(failing, failed.steps, signature_of, report);
  double seconds = std::chrono::duration<double>(Clock::now() - began).count();
  small.name = failing.name + "-shrunk";
  small.description = "Shrunk from " + (failing.source.empty() ? failing.name : failing.source) +
                      " (" + std::to_string(failing.steps.size()) +
                      " steps), failing as it did: " + failure_signature(failed.steps) + ". " +
                      failing.description;
  std::ofstream file(out_path);
  file << scenario_to_json(small);
  file.close();
  char line[160];
  std::snprintf(line, sizeof line, "%zu -> %zu steps in %zu runs, %.0f s", failing.steps.size(),
                small.steps.size(), runs * static_cast<std::size_t>(runs_per_candidate), seconds);
  out << "shrink: " << line << "\n";
  for (std::size_t i = 0; i < small.steps.size(); ++i)
    out << "  [" << i << "] " << describe(small.steps[i]) << "\n";
  if (!file) {
    out << "shrink: cannot write " << out_path << "\n";
    return std::nullopt;
  }
  out << "shrink: written to " << out_path << "; replay it with: herd sim " << out_path
      << (one_run_decides ? " --net virtual" : "")
      << (options.external ? " --herd-cmd '" + options.external->command + "'" : "") << std::endl;
  return small.steps.size();
}

}  // namespace herd
