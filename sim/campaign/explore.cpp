#include "sim/campaign/explore.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "sim/campaign/determinism.hpp"
#include "sim/campaign/random_scenario.hpp"
#include "sim/campaign/shrink_run.hpp"
#include "sim/report/report.hpp"

namespace herd {

std::string fresh_path(const std::string& dir, const std::string& stem) {
  std::filesystem::path base = std::filesystem::path(dir) / (stem + ".json");
  for (int n = 2; std::filesystem::exists(base); ++n)
    base = std::filesystem::path(dir) / (stem + "-" + std::to_string(n) + ".json");
  return base.string();
}

ExploreSummary explore(const ExploreSettings& settings, const SimOptions& sim, std::ostream* trace,
                       std::ostream& out) {
  const bool virtual_net = sim.network == NetworkKind::virtual_;
  const bool swarm = virtual_net && settings.swarm;
  ExploreSummary summary;
  summary.runs = settings.runs;
  auto began = std::chrono::steady_clock::now();
  auto last_progress = began;
  for (int i = 0; i < settings.runs; ++i) {
    std::uint64_t seed = settings.first_seed + static_cast<std::uint64_t>(i);
    auto scenario = random_scenario(seed, settings.classic, swarm);
    SimOptions one = sim;
    one.seed.reset();
    // A run's steps are shown only if it fails: thousands of passing runs would bury that one.
    std::ostringstream steps;
    one.progress = &steps;
    auto result = run_traced(scenario, one, settings.check_determinism, trace);
    summary.simulated_s += result.simulated_s;
    if (!result.skipped.empty()) {
      if (summary.skipped++ == 0)
        out << "explore: seed " << seed << " skipped: " << result.skipped << "\n";
    } else if (result.inconclusive) {
      summary.inconclusive.push_back(seed);
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_progress > std::chrono::seconds(2) || i + 1 == settings.runs) {
      last_progress = now;
      out << "explore: " << i + 1 << "/" << settings.runs << " runs, " << summary.failed.size()
          << " failed, "
          << (summary.inconclusive.empty()
                  ? ""
                  : std::to_string(summary.inconclusive.size()) + " inconclusive, ")
          << (summary.skipped == 0 ? "" : std::to_string(summary.skipped) + " skipped, ")
          << static_cast<int>(std::chrono::duration<double>(now - began).count()) << " s\n"
          << std::flush;
    }
    if (result.passed || !result.skipped.empty()) continue;
    const std::string herd_cmd =
        sim.external ? " --herd-cmd '" + sim.external->command + "'" : std::string();
    if (result.inconclusive) {
      // Not a finding about the herd, so not shrunk; what could not be read is said.
      out << "\nexplore run seed " << seed << " inconclusive: " << first_finding(result) << "\n";
      continue;
    }
    summary.failed.push_back(seed);
    out << "\nexplore run seed " << seed << ": " << scenario.description << "\n"
        << steps.str() << summary_text(result);
    const std::string again = "herd sim --explore --runs 1 --seed " + std::to_string(seed) +
                              (virtual_net ? "" : " --net real") +
                              (settings.classic ? " --classic" : "") +
                              (swarm || !virtual_net ? "" : " --no-swarm") + herd_cmd;
    if (settings.report_dir.empty()) {
      out << "  FAILED with seed " << seed << "; nothing written (--report-dir is empty); run it "
          << "again with: " << again << "\n\n";
      continue;
    }
    std::error_code ec;
    std::filesystem::create_directories(settings.report_dir, ec);
    auto path = fresh_path(settings.report_dir, scenario.name);
    std::ofstream file(path);
    file << scenario_to_json(scenario);
    file.close();
    if (!file) {
      out << "  FAILED with seed " << seed << ", and the scenario could not be written to " << path
          << "; run it again with: " << again << "\n\n";
      continue;
    }
    out << "  FAILED with seed " << seed << "; replay it with: herd sim " << path
        << (virtual_net ? " --net virtual" : "") << herd_cmd
        << (settings.classic ? " (the file says classic)" : "") << "\n";
    if (settings.shrink_found)
      (void)shrink_and_write(scenario, result, one, shrunk_path(path), out);
    out << "\n";
  }
  summary.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  const int passed = settings.runs - static_cast<int>(summary.failed.size()) -
                     static_cast<int>(summary.inconclusive.size()) - summary.skipped;
  out << "explore: " << passed << " passed, " << summary.failed.size() << " failed"
      << (summary.inconclusive.empty()
              ? ""
              : ", " + std::to_string(summary.inconclusive.size()) + " inconclusive")
      << (summary.skipped == 0 ? "" : ", " + std::to_string(summary.skipped) + " skipped") << " ("
      << (settings.classic ? "classic" : "anti-entropy") << ", "
      << (virtual_net    ? swarm ? "virtual network, swarm" : "virtual network"
          : sim.external ? "server processes"
                         : "real network")
      << ", seeds " << settings.first_seed << " to "
      << settings.first_seed + static_cast<std::uint64_t>(settings.runs) - 1 << ")\n";
  char rate[160];
  std::snprintf(rate, sizeof rate, "explore: %.0f runs per minute",
                summary.wall_s > 0 ? settings.runs / summary.wall_s * 60 : 0.0);
  out << rate;
  if (virtual_net && summary.wall_s > 0) {
    std::snprintf(rate, sizeof rate, "; %.1f s simulated in %.2f s of wall time (%.0fx)",
                  summary.simulated_s, summary.wall_s, summary.simulated_s / summary.wall_s);
    out << rate;
  }
  out << "\n";
  return summary;
}

}  // namespace herd
