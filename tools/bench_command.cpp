// `herd bench`: Herd's speed and memory beside baselines measured in the same run.

#include <algorithm>
#include <iostream>

#include "sim/bench.hpp"
#include "tools/commands.hpp"
#include "tools/flag_table.hpp"

namespace herd::cli {
namespace {

namespace po = boost::program_options;

std::string section_list() {
  std::string out;
  for (const auto& s : bench_sections()) out += (out.empty() ? "" : ", ") + s;
  return out;
}

const FlagTable<BenchOptions>& bench_flags() {
  static const FlagTable<BenchOptions> table = {
      {"quick", "", "small sizes and short runs (CI runs this so the bench never rots)", {},
       [](BenchOptions& b, const std::string&) { b.quick = true; }},
      {"json", "", "print the figures as JSON", {},
       [](BenchOptions& b, const std::string&) { b.json = true; }},
      {"svg", "FILE", "write a plot of latency against load here (\"\": none; iamat section only)",
       [](const BenchOptions& b) { return b.svg_path; },
       [](BenchOptions& b, const std::string& v) { b.svg_path = v; }},
      {"only", "SECTION...", "run only these sections: " + section_list(), {},
       [](BenchOptions& b, const std::string& v) {
         const auto& known = bench_sections();
         if (std::find(known.begin(), known.end(), v) == known.end())
           throw UsageError{"--only: no section \"" + v + "\" (sections: " + section_list() + ")"};
         b.only.push_back(v);
       },
       true},
  };
  return table;
}

}  // namespace

int run_bench(const Args& args) {
  BenchOptions bench;
  po::options_description options("Options");
  register_flags(bench_flags(), options);
  po::variables_map values;
  if (!parse_command_line(
          "bench",
          "[options]\n\nMeasures Herd beside baselines taken in the same run on this machine, "
          "each figure with its ratio and target.",
          args, options, {}, values))
    return 0;
  apply_flags(bench_flags(), values, bench);
  bench.out = &std::cout;
  bench.progress = &std::cerr;
  return herd::run_bench(bench);
}

}  // namespace herd::cli
