// `herd grade`: a class's herds through the scenarios, one table and a Gradescope results.json
// per submission; sharded over submissions for a cluster array, merged with --merge.

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>

#include "sim/campaign/grade.hpp"
#include "tools/commands.hpp"
#include "tools/flag_table.hpp"
#include "tools/herd_process_flags.hpp"
#include "tools/scenario_files.hpp"
#include "tools/shard_flag.hpp"

namespace herd::cli {
namespace {

namespace po = boost::program_options;

struct GradeCliSettings {
  std::vector<std::string> paths;
  ExternalHerd herd;
  std::string report_dir = "herd-grades";
  std::optional<Shard> shard;
  bool merge = false;
  int places_port = 0;
  bool namespaces = true;  // --herd-net: with --herd-ports, each server in a namespace
};

FlagTable<GradeCliSettings> make_grade_flags() {
  FlagTable<GradeCliSettings> table = {
      {"report-dir", "DIR",
       "write grades.csv, grades.html and the shard's log here, and each submission's reports "
       "and results.json in DIR/NAME/",
       [](const GradeCliSettings& s) { return s.report_dir; },
       [](GradeCliSettings& s, const std::string& v) {
         if (v.empty()) throw UsageError{"--report-dir: grades need a folder"};
         s.report_dir = v;
       }},
      {"shard", "I/N",
       "grade shard I of N (from 0) of the submissions, taken in name order at k mod N = I; "
       "merge the shards' folders with --merge",
       [](const GradeCliSettings&) {
         return std::string(
             "HERD_SHARD, a Slurm array's SLURM_ARRAY_TASK_ID or a Kubernetes Indexed Job's "
             "JOB_COMPLETION_INDEX with HERD_SHARDS, when set; else 0/1");
       },
       [](GradeCliSettings& s, const std::string& v) {
         auto shard = parse_shard(v);
         if (!shard) throw UsageError{"--shard: " + shard.error()};
         s.shard = *shard;
       }},
      {"merge",
       "",
       "read the grading shards' logs (grades-*.jsonl) in the folders given as PATHs and write "
       "the class's grades.csv and grades.html to --report-dir",
       {},
       [](GradeCliSettings& s, const std::string&) { s.merge = true; }},
      {"places-port", "N", "the port of the mock Places",
       [](const GradeCliSettings&) { return std::string("any free port"); },
       [](GradeCliSettings& s, const std::string& v) {
         s.places_port = static_cast<int>(parse_integer("places-port", v, 1, 65535));
       }},
  };
  auto herd = herd_process_flags<GradeCliSettings>(
      ", {submission} (the submission's folder, absolute)", "none; required");
  table.insert(table.end(), herd.begin(), herd.end());
  return table;
}

const FlagTable<GradeCliSettings>& grade_flags() {
  static const FlagTable<GradeCliSettings> table = make_grade_flags();
  return table;
}

std::vector<Scenario> load_scenarios(std::vector<std::string> files) {
  if (files.empty()) files = scenario_files(default_scenario_dir());
  std::vector<Scenario> scenarios;
  for (const auto& file : files) {
    auto loaded = load_scenario(file);
    if (!loaded) throw UsageError{loaded.error()};
    for (const auto& other : scenarios)
      if (other.name == loaded->name)
        throw UsageError{"two scenarios are named " + other.name + " (" + other.source + ", " +
                         file + "); a grade's columns are named by them"};
    scenarios.push_back(std::move(*loaded));
  }
  if (scenarios.empty()) throw UsageError{"no scenarios to grade with"};
  return scenarios;
}

int merge_grades(const GradeCliSettings& settings) {
  if (settings.paths.empty())
    throw UsageError{"--merge reads the grading shards' folders: give them"};
  auto table = merge_grade_logs(settings.paths);
  if (!table) throw UsageError{"--merge: " + table.error()};
  auto written = write_grade_table(*table, settings.report_dir);
  if (!written) throw UsageError{written.error()};
  std::cout << "grade: " << table->rows.size() << " submissions, " << table->scenarios.size()
            << " scenarios: " << settings.report_dir << "/grades.csv and grades.html\n";
  for (const auto& note : table->notes) std::cout << "  note: " << note << "\n";
  std::cout << grades_csv(*table);
  return 0;
}

}  // namespace

int run_grade(const Args& args) {
  GradeCliSettings settings;
  po::options_description options("Options");
  options.add_options()("path", po::value(&settings.paths)->value_name("PATH"),
                        "submission folders and scenario files");
  register_flags(grade_flags(), options);
  po::positional_options_description positional;
  positional.add("path", -1);
  po::variables_map values;
  if (!parse_command_line(
          "grade",
          "PATH... --herd-cmd TEMPLATE [options]\n\nGrades a class: runs every scenario against "
          "every submission's herd, its five servers started\nas processes from TEMPLATE with "
          "{submission} the submission's folder. Each PATH that is a\nfolder is a submission "
          "(named by the folder), each .json file a scenario (default: every\nshipped "
          "scenario; \"points\" in a scenario file says what it is worth, 1 by default).\n"
          "Writes REPORT-DIR/grades.csv and grades.html (a row per submission, a column per "
          "scenario:\npass, fail, inconclusive or skipped, and the first finding), and per "
          "submission\nREPORT-DIR/NAME/results.json as Gradescope's autograder reads it, beside "
          "each scenario's report.\nWith --shard (or a cluster array's variables) each shard "
          "grades its part; herd grade --merge\nmakes the one table. Exit status: 0 graded "
          "(whatever the grades), 2 a usage error.\n\n"
          "  herd grade submissions/* --herd-cmd 'python3 {submission}/server.py {name} "
          "--config {config}'\n"
          "  herd grade submissions/* scenarios/partition-heal.json --herd-cmd '...' --shard "
          "0/4 --report-dir g0\n"
          "  herd grade submissions/* --herd-cmd 'cd {submission} && python3 server.py {name}' "
          "--herd-ports Bailey=10000,Bona=10001,...\n"
          "                                        servers whose ports are in their code\n"
          "  herd grade --merge g0 g1 g2 g3 --report-dir class",
          args, options, positional, values))
    return 0;
  apply_flags(grade_flags(), values, settings);
  if (settings.merge) return merge_grades(settings);
  if (settings.herd.command.empty())
    throw UsageError{
        "--herd-cmd is required: the command that starts one of a submission's "
        "servers, with {submission} for its folder"};
  if (settings.herd.command.find("{submission}") == std::string::npos &&
      settings.herd.command.find("HERD_SUBMISSION") == std::string::npos)
    throw UsageError{
        "--herd-cmd names no {submission} (nor HERD_SUBMISSION): every submission "
        "would run the same servers"};
  std::vector<std::string> folders, files;
  for (const auto& path : settings.paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
      folders.push_back(path);
    else if (path.size() > 5 && path.ends_with(".json"))
      files.push_back(path);
    else
      throw UsageError{path + " is neither a submission folder nor a scenario file (.json)"};
  }
  if (folders.empty()) throw UsageError{"no submission folders given"};
  GradeSettings grading;
  auto ordered = order_submissions(folders);
  if (!ordered) throw UsageError{ordered.error()};
  grading.submissions = std::move(*ordered);
  grading.scenarios = load_scenarios(files);
  grading.herd = settings.herd;
  // Student herds mostly write their ports in their code: each server in a namespace of its own
  // behind Herd's proxies, which also keeps shards on one machine off each other's ports.
  if (!grading.herd.ports.empty() && settings.namespaces)
    grading.herd.namespaces = enter_net_namespaces(std::cout);
  grading.report_dir = settings.report_dir;
  grading.shard = resolve_shard(settings.shard, "grade");
  grading.places_port = static_cast<std::uint16_t>(settings.places_port);
  auto outcome = grade(grading, std::cout);
  for (const auto& problem : outcome.problems) std::cout << "grade: " << problem << "\n";
  if (grading.shard.count == 1) {
    auto table = make_grade_table(outcome.graded);
    if (auto written = write_grade_table(table, settings.report_dir); !written)
      std::cout << "grade: " << written.error() << "\n";
    else
      std::cout << "grade: " << settings.report_dir << "/grades.csv and grades.html\n";
    std::cout << grades_csv(table);
  } else {
    std::cout << "grade: shard " << grading.shard.text()
              << " done; make the table with herd grade --merge over every shard's folder\n";
  }
  return 0;
}

}  // namespace herd::cli
