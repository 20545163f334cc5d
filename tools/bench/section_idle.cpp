#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sim/net/line_client.hpp"
#include "sim/report/metrics.hpp"
#include "tools/bench/bench_context.hpp"
#include "tools/bench/child_process.hpp"
#include "tools/bench/sections.hpp"

namespace herd::bench {

// 10,000 idle clients on `herd node`: what each costs the node, and how fast a new client is
// answered while they are open, against the same node with none open.
void bench_idle(BenchContext& bench) {
  const int idle = bench.quick() ? 2000 : 10000;
  bench.say("idle clients: " + std::to_string(idle) + " on a herd node");
  auto dir =
      std::filesystem::temp_directory_path() / ("herd-bench-idle-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto base = free_port_block(5);
  auto port = static_cast<std::uint16_t>(base + 3);
  ChildProcess node(
      {"node", "Clark", "--base-port", std::to_string(base), "--log-dir", (dir / "logs").string()},
      (dir / "node.out").string());
  if (!node.wait_for_port(port, 5000)) return bench.fail("idle: herd node did not start");
  auto answer_times = [&](int samples) {
    std::vector<double> us;
    for (int i = 0; i < samples; ++i) {
      auto start = SteadyClock::now();
      LineClient client(port);
      client.send("IAMAT newcomer-" + std::to_string(i) + " +1+1 1700000000\n");
      if (!client.read_line()) return std::vector<double>{};
      us.push_back(std::chrono::duration<double, std::micro>(SteadyClock::now() - start).count());
    }
    std::sort(us.begin(), us.end());
    return us;
  };
  auto quiet = answer_times(50);
  long before_kib = node.resident_kib();
  std::vector<std::unique_ptr<LineClient>> held;
  for (int i = 0; i < idle; ++i) {
    auto client = LineClient::try_connect(port);
    if (!client) return bench.fail("idle: connection " + std::to_string(i) + " was refused");
    client->send("IAMAT half-a-line");
    held.push_back(std::move(client));
  }
  // The last one completing its line shows the node has read every connection before it.
  held.back()->send(" +1+1 1700000000\n");
  if (!held.back()->read_line(10000)) return bench.fail("idle: the node stopped answering");
  long after_kib = node.resident_kib();
  auto busy = answer_times(50);
  if (quiet.empty() || busy.empty()) return bench.fail("idle: a new client was not answered");
  auto n = std::to_string(idle);
  bench.add({"idle", "node memory per idle client, " + n + " open", "bytes",
             static_cast<double>(after_kib - before_kib) * 1024 / idle, 0, "", "<= 4096 bytes"});
  bench.add({"idle", "new client answered, p50, " + n + " idle open", "us", quantile(busy, 0.5),
             quantile(quiet, 0.5), "none open", ""});
  bench.add({"idle", "new client answered, max of 50, " + n + " idle open", "us", busy.back(),
             quiet.back(), "none open", "<= 10 ms"});
  held.clear();
  node.stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace herd::bench
