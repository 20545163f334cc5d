// `herd sim`: runs scenario files, or random ones with --explore, and writes their reports.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "core/open_files.hpp"
#include "sim/explore.hpp"
#include "sim/report.hpp"
#include "sim/scenario.hpp"
#include "sim/simulator.hpp"
#include "tools/commands.hpp"
#include "tools/flag_table.hpp"

namespace herd::cli {
namespace {

namespace po = boost::program_options;

struct SimSettings {
  std::vector<std::string> files;
  std::optional<std::uint64_t> seed;
  std::string report_dir = "herd-reports";
  bool classic = false;
  bool verbose = false;
  bool explore = false;
  int runs = 10;
  bool runs_given = false;
  int places_port = 0;
  std::string log_dir;
};

const FlagTable<SimSettings>& sim_flags() {
  static const FlagTable<SimSettings> table = {
      {"seed", "N",
       "the seed for traffic and faults (overrides the scenario's; with --explore, the first "
       "run's)",
       [](const SimSettings&) { return std::string("the scenario's; 1 for --explore"); },
       [](SimSettings& s, const std::string& v) {
         s.seed = static_cast<std::uint64_t>(
             parse_integer("seed", v, 0, std::numeric_limits<std::int64_t>::max()));
       }},
      {"report-dir", "DIR", "write NAME.report.json and NAME.timeline.svg here (\"\": none)",
       [](const SimSettings& s) { return s.report_dir; },
       [](SimSettings& s, const std::string& v) { s.report_dir = v; }},
      {"classic",
       "",
       "run every scenario in classic mode (no anti-entropy)",
       {},
       [](SimSettings& s, const std::string&) { s.classic = true; }},
      {"verbose",
       "",
       "list every problem a failed check found, one per line",
       {},
       [](SimSettings& s, const std::string&) { s.verbose = true; }},
      {"explore",
       "",
       "run random fault schedules and check that each converges",
       {},
       [](SimSettings& s, const std::string&) { s.explore = true; }},
      {"runs", "N", "with --explore: how many random schedules",
       [](const SimSettings& s) { return std::to_string(s.runs); },
       [](SimSettings& s, const std::string& v) {
         s.runs = static_cast<int>(parse_integer("runs", v, 1, 1'000'000));
         s.runs_given = true;
       }},
      {"log-dir", "DIR",
       "keep each server's own log, DIR/SCENARIO/NAME.log, as herd node writes it",
       [](const SimSettings&) { return std::string("none"); },
       [](SimSettings& s, const std::string& v) { s.log_dir = v; }},
      {"places-port", "N", "the port of the mock Places",
       [](const SimSettings&) { return std::string("any free port"); },
       [](SimSettings& s, const std::string& v) {
         s.places_port = static_cast<int>(parse_integer("places-port", v, 1, 65535));
       }},
  };
  return table;
}

// `herd sim` with no file runs the shipped scenarios: ./scenarios if there is one, else the
// source tree's.
std::string default_scenario_dir() {
  if (std::filesystem::is_directory("scenarios")) return "scenarios";
  return HERD_SOURCE_DIR "/scenarios";
}

std::vector<std::string> scenario_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  if (ec) throw UsageError{"cannot read the scenario directory " + dir + ": " + ec.message()};
  std::sort(files.begin(), files.end());
  return files;
}

bool run_one(const Scenario& scenario, const SimOptions& options, const std::string& report_dir) {
  std::cout << "scenario " << scenario.name
            << (scenario.source.empty() ? "" : " (" + scenario.source + ")") << "\n";
  if (!scenario.description.empty()) std::cout << "  " << scenario.description << "\n";
  auto result = run_scenario(scenario, options);
  std::cout << summary_text(result);
  if (!report_dir.empty()) {
    auto written = write_reports(result, report_dir);
    if (!written.error.empty())
      std::cout << "  (no report: " << written.error << ")\n";
    else
      std::cout << "  report: " << written.report_path << ", timeline: " << written.timeline_path
                << "\n";
  }
  std::cout << std::endl;
  return result.passed;
}

// A path in `dir` named after `stem` that no file has yet: a reproduction is never overwritten.
std::string fresh_path(const std::string& dir, const std::string& stem) {
  std::filesystem::path base = std::filesystem::path(dir) / (stem + ".json");
  for (int n = 2; std::filesystem::exists(base); ++n)
    base = std::filesystem::path(dir) / (stem + "-" + std::to_string(n) + ".json");
  return base.string();
}

int explore(const SimSettings& settings, const SimOptions& sim) {
  const std::uint64_t first = settings.seed.value_or(1);
  std::vector<std::uint64_t> failed;
  for (int i = 0; i < settings.runs; ++i) {
    std::uint64_t run_seed = first + static_cast<std::uint64_t>(i);
    std::cout << "explore run " << i + 1 << "/" << settings.runs << ", seed " << run_seed << "\n";
    auto scenario = random_scenario(run_seed, settings.classic);
    SimOptions one = sim;
    one.seed.reset();
    if (run_one(scenario, one, "")) continue;
    failed.push_back(run_seed);
    std::string dir = settings.report_dir.empty() ? "." : settings.report_dir;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    auto path = fresh_path(dir, scenario.name);
    std::ofstream file(path);
    file << scenario_to_json(scenario);
    file.close();
    if (!file) {
      std::cout << "  FAILED with seed " << run_seed
                << ", and the scenario could not be written to " << path << "\n\n";
      continue;
    }
    std::cout << "  FAILED with seed " << run_seed << "; replay it with: herd sim " << path
              << (settings.classic ? " (the file says classic)" : "") << "\n\n";
  }
  std::cout << "explore: " << settings.runs - static_cast<int>(failed.size()) << " passed, "
            << failed.size() << " failed (" << (settings.classic ? "classic" : "anti-entropy")
            << ", seeds " << first << " to "
            << first + static_cast<std::uint64_t>(settings.runs) - 1 << ")\n";
  return failed.empty() ? 0 : 1;
}

}  // namespace

int run_sim(const Args& args) {
  SimSettings settings;
  po::options_description options("Options");
  options.add_options()("file", po::value(&settings.files)->value_name("FILE.json"),
                        "scenario files (default: every scenarios/*.json)");
  register_flags(sim_flags(), options);
  po::positional_options_description positional;
  positional.add("file", -1);
  po::variables_map values;
  if (!parse_command_line(
          "sim",
          "[FILE.json ...] [options]\n\nRuns scenarios, each in a fresh in-process herd with fault "
          "proxies on every link and the mock Places,\nprinting a line per step (numbered from 0, "
          "as steps[N] in the file) and a summary per scenario.\nExit status: 0 all passed, 1 a "
          "scenario failed, 2 a usage error or a bad scenario file.\n\n"
          "  herd sim                              every shipped scenario\n"
          "  herd sim scenarios/partition-heal.json --classic\n"
          "  herd sim --explore --runs 20 --seed 7  random schedules; a failure is written as a "
          "new scenario file",
          args, options, positional, values))
    return 0;
  apply_flags(sim_flags(), values, settings);
  if (settings.runs_given && !settings.explore)
    throw UsageError{"--runs counts random schedules and needs --explore"};
  for (const auto& file : settings.files)
    if (std::filesystem::is_directory(file))
      throw UsageError{file + " is a directory; give scenario files (for example " + file +
                       "/*.json), or no file for every shipped scenario"};
  raise_open_file_limit();
  SimOptions sim;
  sim.seed = settings.seed;
  sim.force_classic = settings.classic;
  sim.verbose = settings.verbose;
  sim.places_port = static_cast<std::uint16_t>(settings.places_port);
  sim.log_dir = settings.log_dir;
  sim.progress = &std::cout;

  if (settings.explore) {
    if (!settings.files.empty())
      throw UsageError{"--explore makes its own scenarios; give no files"};
    return explore(settings, sim);
  }
  if (settings.files.empty()) settings.files = scenario_files(default_scenario_dir());
  if (settings.files.empty()) throw UsageError{"no scenario files to run"};
  std::vector<Scenario> scenarios;
  for (const auto& file : settings.files) {
    auto loaded = load_scenario(file);
    if (auto* error = std::get_if<ScenarioError>(&loaded)) throw UsageError{error->message};
    scenarios.push_back(std::get<Scenario>(loaded));
  }
  if (settings.places_port != 0)
    std::cout << "mock Places on port " << settings.places_port << "\n";
  std::size_t passed = 0;
  std::vector<std::string> failures;
  for (const auto& scenario : scenarios) {
    if (run_one(scenario, sim, settings.report_dir))
      ++passed;
    else
      failures.push_back(scenario.name);
  }
  for (const auto& name : failures) std::cout << "failed: " << name << "\n";
  std::cout << "herd sim: " << passed << " passed, " << failures.size() << " failed\n";
  return failures.empty() ? 0 : 1;
}

}  // namespace herd::cli
