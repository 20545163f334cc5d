#include "sim/campaign/explore.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "sim/campaign/campaign_log.hpp"
#include "sim/campaign/determinism.hpp"
#include "sim/campaign/random_scenario.hpp"
#include "sim/campaign/shrink_run.hpp"
#include "sim/report/report.hpp"
#include "sim/scenario/shrink.hpp"

namespace herd {

std::string fresh_path(const std::string& dir, const std::string& stem) {
  std::filesystem::path base = std::filesystem::path(dir) / (stem + ".json");
  for (int n = 2; std::filesystem::exists(base); ++n)
    base = std::filesystem::path(dir) / (stem + "-" + std::to_string(n) + ".json");
  return base.string();
}

std::string campaign_how(const ExploreSettings& settings, const SimOptions& sim) {
  const bool virtual_net = sim.network == NetworkKind::virtual_;
  return std::string(settings.classic ? "classic" : "anti-entropy") + ", " +
         (virtual_net    ? settings.swarm ? "virtual network, swarm" : "virtual network"
          : sim.external ? "server processes"
                         : "real network");
}

ExploreSummary explore(const ExploreSettings& settings, const SimOptions& sim, std::ostream* trace,
                       std::ostream& out) {
  const bool virtual_net = sim.network == NetworkKind::virtual_;
  const bool swarm = virtual_net && settings.swarm;
  const bool sharded = settings.shard.count > 1;
  ExploreSummary summary;
  for (int i = 0; i < settings.runs; ++i)
    if (settings.shard.owns(static_cast<std::uint64_t>(i))) ++summary.runs;
  // Every seed's outcome, a line each, flushed as it is known: a shard killed midway keeps what
  // it ran, and the merge names the rest missing.
  std::ofstream log;
  std::string log_path;
  if (!settings.report_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(settings.report_dir, ec);
    log_path =
        (std::filesystem::path(settings.report_dir) / campaign_log_name(settings.shard)).string();
    log.open(log_path, std::ios::app);
    if (!log) summary.log_error = "cannot write " + log_path;
  }
  CampaignPlan plan{settings.first_seed, static_cast<std::uint64_t>(settings.runs),
                    campaign_how(settings, sim)};
  if (sharded)
    out << "explore: shard " << settings.shard.text() << " runs " << summary.runs << " of seeds "
        << settings.first_seed << " to "
        << settings.first_seed + static_cast<std::uint64_t>(settings.runs) - 1 << "\n";
  if (!log_path.empty() && summary.log_error.empty())
    out << "explore: each seed's outcome goes to " << log_path << "\n";
  else if (!summary.log_error.empty())
    out << "explore: " << summary.log_error << "; the outcomes are only printed\n";
  auto began = std::chrono::steady_clock::now();
  auto last_progress = began;
  int done = 0;
  for (int i = 0; i < settings.runs; ++i) {
    if (!settings.shard.owns(static_cast<std::uint64_t>(i))) continue;
    ++done;
    std::uint64_t seed = settings.first_seed + static_cast<std::uint64_t>(i);
    auto scenario = random_scenario(seed, settings.classic, swarm);
    SimOptions one = sim;
    one.seed.reset();
    one.keep_timeline = false;  // explore writes scenarios, never a report
    // A run's steps are shown only if it fails: thousands of passing runs would bury that one.
    std::ostringstream steps;
    one.progress = &steps;
    auto result = run_traced(scenario, one, settings.check_determinism, trace);
    summary.simulated_s += result.simulated_s;
    SeedRecord record;
    record.campaign = plan;
    record.shard = settings.shard;
    record.seed = seed;
    record.outcome = result.passed ? SeedOutcome::passed : SeedOutcome::failed;
    if (!result.skipped.empty()) {
      record.outcome = SeedOutcome::skipped;
      if (summary.skipped++ == 0)
        out << "explore: seed " << seed << " skipped: " << result.skipped << "\n";
    } else if (result.inconclusive) {
      record.outcome = SeedOutcome::inconclusive;
      summary.inconclusive.push_back(seed);
    }
    if (!result.passed) record.message = first_finding(result);
    if (record.outcome == SeedOutcome::failed) record.signature = failure_signature(result.steps);
    // Written once the run's files are, so the line names them.
    auto write_record = [&] {
      if (log.is_open() && !(log << seed_record_line(record) << std::flush) &&
          summary.log_error.empty()) {
        summary.log_error = "cannot write " + log_path;
        out << "explore: " << summary.log_error << "; the outcomes are only printed\n";
      }
    };
    auto now = std::chrono::steady_clock::now();
    if (now - last_progress > std::chrono::seconds(2) || done == summary.runs) {
      last_progress = now;
      out << "explore: " << done << "/" << summary.runs << " runs"
          << (sharded ? " (shard " + settings.shard.text() + ")" : "") << ", "
          << summary.failed.size() + (record.outcome == SeedOutcome::failed ? 1 : 0) << " failed, "
          << (summary.inconclusive.empty()
                  ? ""
                  : std::to_string(summary.inconclusive.size()) + " inconclusive, ")
          << (summary.skipped == 0 ? "" : std::to_string(summary.skipped) + " skipped, ")
          << static_cast<int>(std::chrono::duration<double>(now - began).count()) << " s\n"
          << std::flush;
    }
    if (record.outcome != SeedOutcome::failed) {
      write_record();
      if (record.outcome == SeedOutcome::inconclusive)
        // Not a finding about the herd, so not shrunk; what could not be read is said.
        out << "\nexplore run seed " << seed << " inconclusive: " << record.message << "\n";
      continue;
    }
    const std::string herd_cmd =
        sim.external ? " --herd-cmd '" + sim.external->command + "'" : std::string();
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
      write_record();
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
      write_record();
      continue;
    }
    out << "  FAILED with seed " << seed << "; replay it with: herd sim " << path
        << (virtual_net ? " --net virtual" : "") << herd_cmd
        << (settings.classic ? " (the file says classic)" : "") << "\n";
    record.scenario = path;
    record.steps = scenario.steps.size();
    if (settings.shrink_found)
      if (auto shrunk_steps = shrink_and_write(scenario, result, one, shrunk_path(path), out)) {
        record.shrunk = shrunk_path(path);
        record.shrunk_steps = *shrunk_steps;
      }
    write_record();
    out << "\n";
  }
  summary.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  const int passed = summary.runs - static_cast<int>(summary.failed.size()) -
                     static_cast<int>(summary.inconclusive.size()) - summary.skipped;
  out << "explore: " << passed << " passed, " << summary.failed.size() << " failed"
      << (summary.inconclusive.empty()
              ? ""
              : ", " + std::to_string(summary.inconclusive.size()) + " inconclusive")
      << (summary.skipped == 0 ? "" : ", " + std::to_string(summary.skipped) + " skipped") << " ("
      << plan.how << (sharded ? ", shard " + settings.shard.text() + " of" : "") << ", seeds "
      << settings.first_seed << " to "
      << settings.first_seed + static_cast<std::uint64_t>(settings.runs) - 1 << ")\n";
  char rate[160];
  std::snprintf(rate, sizeof rate, "explore: %.0f runs per minute",
                summary.wall_s > 0 ? summary.runs / summary.wall_s * 60 : 0.0);
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
