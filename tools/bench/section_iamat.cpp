#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "tools/bench/bench_context.hpp"
#include "tools/bench/child_process.hpp"
#include "tools/bench/closed_loop.hpp"
#include "tools/bench/sections.hpp"

namespace herd::bench {
namespace {

// The median round by throughput, with that round's latencies.
Load median(std::vector<Load> runs) {
  if (runs.empty()) return {};
  std::sort(runs.begin(), runs.end(),
            [](const Load& a, const Load& b) { return a.per_second < b.per_second; });
  return runs[runs.size() / 2];
}

}  // namespace

// The node as users run it: `herd node Clark` in a process of its own, logging to its file as it
// does by default, and `herd up` for the node inside the herd; beside two line-echo servers in
// processes of their own, one with the node's own loop and one a plain epoll loop. The load
// comes from an epoll client in this process with a new client ID per request.
void bench_iamat(BenchContext& bench) {
  auto dir = std::filesystem::temp_directory_path() / ("herd-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto log = (dir / "servers.out").string();
  auto echo_port = free_port_block(2);
  auto node_base = free_port_block(5);
  ChildProcess echo({"line-echo", "--port", std::to_string(echo_port)}, log);
  ChildProcess epoll_echo({"line-echo", "--epoll", "--port", std::to_string(echo_port + 1)}, log);
  ChildProcess lone({"node", "Clark", "--base-port", std::to_string(node_base), "--log-dir",
                     (dir / "lone").string()},
                    log);
  auto lone_port = static_cast<std::uint16_t>(node_base + 3);  // Clark, fourth of the five
  if (!echo.wait_for_port(echo_port, 5000) || !epoll_echo.wait_for_port(echo_port + 1, 5000) ||
      !lone.wait_for_port(lone_port, 5000))
    return bench.fail("iamat: a server did not start (see " + log + ")");
  // The herd starts after the lone node's port block is taken.
  auto herd_base = free_port_block(6);
  ChildProcess herd({"up", "--base-port", std::to_string(herd_base), "--places-port",
                     std::to_string(herd_base + 5), "--log-dir", (dir / "herd").string()},
                    log);
  auto herd_port = static_cast<std::uint16_t>(herd_base + 3);
  if (!herd.wait_for_port(herd_port, 5000))
    return bench.fail("iamat: herd up did not start (see " + log + ")");
  int tag = 0;
  for (int connections : {1, 16, 128}) {
    bench.say("IAMAT load with " + std::to_string(connections) +
              " connections: echo, epoll echo, lone node, node in the herd (" +
              std::to_string(bench.rounds()) + " rounds)");
    std::vector<Load> echo_runs, epoll_runs, lone_runs, reused_runs, herd_runs;
    for (int round = 0; round < bench.rounds(); ++round) {
      auto run = [&](std::uint16_t port, Clients clients) {
        ClosedLoop load;
        load.port = port;
        load.connections = connections;
        load.duration = bench.load_time();
        load.clients = clients;
        load.tag = "r" + std::to_string(tag++) + "c";
        auto result = run_closed_loop(load);
        if (!result.error.empty()) bench.fail("iamat: " + result.error);
        return Load{result.per_second, result.p50_us, result.p99_us, result.requests};
      };
      echo_runs.push_back(run(echo_port, Clients::new_each_request));
      lone_runs.push_back(run(lone_port, Clients::new_each_request));
      epoll_runs.push_back(
          run(static_cast<std::uint16_t>(echo_port + 1), Clients::new_each_request));
      herd_runs.push_back(run(herd_port, Clients::new_each_request));
      reused_runs.push_back(run(lone_port, Clients::reused));
    }
    Load echo_load = median(echo_runs), epoll_load = median(epoll_runs),
         lone_load = median(lone_runs), reused_load = median(reused_runs),
         herd_load = median(herd_runs);
    auto c = std::to_string(connections);
    bool held = connections >= 16;
    bench.add({"iamat", "lone node IAMAT/s, " + c + " conn, new clients", "req/s",
               lone_load.per_second, echo_load.per_second, "echo (node's loop)",
               held ? ">= 0.75 of echo" : ""});
    bench.add({"iamat", "lone node IAMAT/s, " + c + " conn, new clients", "req/s",
               lone_load.per_second, epoll_load.per_second, "echo (plain epoll)", ""});
    bench.add({"iamat", "lone node IAMAT/s, " + c + " conn, 64 IDs reused", "req/s",
               reused_load.per_second, echo_load.per_second, "echo (node's loop)", ""});
    bench.add({"iamat", "lone node p50, " + c + " conn", "us", lone_load.p50_us, echo_load.p50_us,
               "echo p50", ""});
    bench.add({"iamat", "lone node p99, " + c + " conn", "us", lone_load.p99_us, echo_load.p99_us,
               "echo p99", held ? "<= 2x echo" : ""});
    bench.add({"iamat", "herd node IAMAT/s, " + c + " conn, new clients", "req/s",
               herd_load.per_second, echo_load.per_second, "echo (node's loop)",
               held ? ">= 0.30 of echo" : ""});
    bench.add({"iamat", "herd node p99, " + c + " conn", "us", herd_load.p99_us, echo_load.p99_us,
               "echo p99", ""});
    bench.add_latency_point({connections, echo_load, lone_load});
  }
  herd.stop();
  lone.stop();
  echo.stop();
  epoll_echo.stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace herd::bench
