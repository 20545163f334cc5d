#include <algorithm>
#include <string>
#include <vector>

#include "core/local_herd.hpp"
#include "core/protocol.hpp"
#include "core/runtime.hpp"
#include "sim/net/line_client.hpp"
#include "sim/report/metrics.hpp"
#include "tools/bench/bench_context.hpp"
#include "tools/bench/sections.hpp"
#include "tools/bench/store_watch.hpp"

namespace herd::bench {

void bench_flood(BenchContext& bench) {
  int updates = bench.quick() ? 300 : 5000;
  bench.say("flood latency over " + std::to_string(updates) + " updates at Clark");
  Runtime runtime(2, 1);
  StoreWatch watch;
  HerdSettings settings;
  settings.topology = default_topology(0);
  settings.sink = watch.sink();
  settings.runtime = &runtime;
  LocalHerd herd(settings);
  if (!herd.start()) return bench.fail("flood: the herd did not start");
  runtime.start();
  watch.wait_links(12, std::chrono::seconds(10));
  LineClient client(herd.topology().find("Clark")->port);
  std::vector<std::string> lines;
  // The first tenth warms the process up (heap growth, first page faults) and is not counted.
  const int warm_up = updates / 10;
  for (int i = 0; i < warm_up + updates; ++i) {
    client.send("IAMAT flood-" + std::to_string(i) + " +1+1 " + format_timestamp(now_ns()) + "\n");
    auto reply = client.read_line();
    if (!reply) return bench.fail("flood: Clark did not answer");
    if (i >= warm_up) lines.push_back(*reply);
  }
  if (!watch.wait_spread(lines, 5, std::chrono::seconds(30)))
    return bench.fail("flood: updates did not reach all five");
  std::vector<double> ms;
  for (const auto& line : lines) ms.push_back(watch.spread_ms(line));
  std::sort(ms.begin(), ms.end());
  if (!settle(watch, herd.topology().find("Clark")->port, 5))
    return bench.fail("flood: the herd did not settle");
  std::size_t sent = 0;
  for (const auto& line : lines) sent += watch.messages_for(line);
  double messages = static_cast<double>(sent) / updates;
  bench.add({"flood", "accept to farthest node p50", "ms", quantile(ms, 0.5), 0, "", ""});
  bench.add({"flood", "accept to farthest node p99", "ms", quantile(ms, 0.99), 0, "", "< 1 ms"});
  bench.add({"flood", "AT messages per update", "msgs", messages, flood_messages(herd.topology()),
             "2 x links - (servers - 1)", "<= 2 x links - (servers - 1)"});
  herd.stop();
  runtime.stop();
}

}  // namespace herd::bench
