#include "tools/bench/bench.hpp"

#include "core/open_files.hpp"
#include "tools/bench/bench_context.hpp"
#include "tools/bench/bench_report.hpp"
#include "tools/bench/sections.hpp"

namespace herd {
namespace {

struct Section {
  const char* name;
  void (*run)(bench::BenchContext&);
};

// Every section, in the order a run takes them: `--only` and its help read their names here.
// sim-scale runs first: a child the bench spawns starts its peak memory at the bench's own
// resident size, which each section adds to (20 MB after a quick run of the others, above the
// 17 MB an idle ring of 200 peaks at).
const std::vector<Section>& sections() {
  static const std::vector<Section> table = {
      {"sim-scale", bench::bench_sim_scale}, {"iamat", bench::bench_iamat},
      {"idle", bench::bench_idle},           {"flood", bench::bench_flood},
      {"memory", bench::bench_memory},       {"scale", bench::bench_scale},
      {"whatsat", bench::bench_whatsat},     {"sim", bench::bench_sim},
      {"live", bench::bench_live},           {"campaign", bench::bench_campaign},
      {"reconcile", bench::bench_reconcile},
  };
  return table;
}

}  // namespace

const std::vector<std::string>& bench_sections() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& s : sections()) out.emplace_back(s.name);
    return out;
  }();
  return names;
}

int run_bench(const BenchOptions& options) {
  bench::BenchContext bench(options);
  raise_open_file_limit();  // the idle section holds thousands of connections
  for (const auto& s : sections())
    if (bench.wanted(s.name)) s.run(bench);
  bench::report(bench);
  return bench.failed() ? 1 : 0;
}

}  // namespace herd
