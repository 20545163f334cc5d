#pragma once
// `herd bench`: Herd's speed and memory, each figure beside a baseline measured in the same run
// on the same machine (a minimal line-echo server, raw payload bytes, the mock Places hit
// directly), with the ratio.

#include <iosfwd>
#include <string>
#include <vector>

namespace herd {

struct BenchOptions {
  bool quick = false;  // small sizes and short runs, for CI: the bench must not rot
  bool json = false;   // print JSON instead of the table
  std::string svg_path = "herd-bench-latency.svg";  // latency against load; empty: none
  std::vector<std::string> only;  // sections to run (of bench_sections()); empty: all
  std::ostream* out = nullptr;
  std::ostream* progress = nullptr;  // a line as each measurement starts
};

// The sections a run may be limited to, in the order they run.
[[nodiscard]] const std::vector<std::string>& bench_sections();

// Returns the process exit status.
[[nodiscard]] int run_bench(const BenchOptions& options);

}  // namespace herd
