#pragma once
// `herd bench`: Herd's speed and memory, each figure beside a baseline measured in the same run
// on the same machine (a minimal line-echo server, raw payload bytes, the mock Places hit
// directly), with the ratio.

#include <iosfwd>
#include <string>

namespace herd {

struct BenchOptions {
  bool quick = false;    // small sizes and short runs, for CI: the bench must not rot
  bool json = false;     // print JSON instead of the table
  std::string svg_path;  // latency against load; empty: none
  std::ostream* out = nullptr;
  std::ostream* progress = nullptr;  // a line as each measurement starts
};

// Returns the process exit status.
[[nodiscard]] int run_bench(const BenchOptions& options);

}  // namespace herd
