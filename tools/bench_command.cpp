// `herd bench`: Herd's speed and memory beside baselines measured in the same run.

#include <algorithm>
#include <iostream>

#include "tools/bench/bench.hpp"
#include "tools/bench/line_echo.hpp"
#include "tools/commands.hpp"
#include "tools/flag_table.hpp"

namespace herd::cli {
namespace {

std::string section_list() {
  std::string out;
  for (const auto& s : bench_sections()) out += (out.empty() ? "" : ", ") + s;
  return out;
}

const FlagTable<BenchOptions>& bench_flags() {
  static const FlagTable<BenchOptions> table = {
      {"quick",
       "",
       "small sizes and short runs (CI runs this so the bench never rots)",
       {},
       [](BenchOptions& b, const std::string&) { b.quick = true; }},
      {"json",
       "",
       "print the figures as JSON",
       {},
       [](BenchOptions& b, const std::string&) { b.json = true; }},
      {"svg", "FILE", "write a plot of latency against load here (\"\": none; iamat section only)",
       [](const BenchOptions& b) { return b.svg_path; },
       [](BenchOptions& b, const std::string& v) { b.svg_path = v; }},
      {"only",
       "SECTION...",
       "run only these sections: " + section_list(),
       {},
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
  if (!parse_flags("bench",
                   "[options]\n\nMeasures Herd beside baselines taken in the same run on this "
                   "machine, each figure with its ratio and target.",
                   args, bench_flags(), bench))
    return 0;
  bench.out = &std::cout;
  bench.progress = &std::cerr;
  return herd::run_bench(bench);
}

}  // namespace herd::cli

namespace herd::cli {
namespace {

struct EchoSettings {
  int port = 0;
  bool epoll = false;
};

const FlagTable<EchoSettings>& echo_flags() {
  static const FlagTable<EchoSettings> table = {
      {"port", "N", "port to listen on, on 127.0.0.1",
       [](const EchoSettings&) { return std::string("none; required"); },
       [](EchoSettings& s, const std::string& v) {
         s.port = static_cast<int>(parse_integer("port", v, 1, 65535));
       }},
      {"epoll",
       "",
       "a plain epoll loop instead of the node's own Asio loop",
       {},
       [](EchoSettings& s, const std::string&) { s.epoll = true; }},
  };
  return table;
}

}  // namespace

int run_line_echo(const Args& args) {
  EchoSettings settings;
  if (!parse_flags("line-echo",
                   "--port N [--epoll]\n\nAnswers every line with the line itself: the "
                   "baseline `herd bench` measures the node against, in a process of its own.",
                   args, echo_flags(), settings))
    return 0;
  if (settings.port == 0) throw UsageError{"--port is required"};
  std::string error;
  int status =
      bench::run_line_echo(static_cast<std::uint16_t>(settings.port),
                           settings.epoll ? bench::EchoLoop::epoll : bench::EchoLoop::asio, error);
  if (status != 0)
    throw UsageError{"cannot serve on port " + std::to_string(settings.port) + ": " + error};
  return 0;
}

}  // namespace herd::cli
