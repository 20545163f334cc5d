#include <string>
#include <vector>

#include "core/local_herd.hpp"
#include "core/protocol.hpp"
#include "core/runtime.hpp"
#include "sim/net/line_client.hpp"
#include "tools/bench/bench_context.hpp"
#include "tools/bench/sections.hpp"
#include "tools/bench/store_watch.hpp"

namespace herd::bench {

void bench_scale(BenchContext& bench) {
  std::vector<int> sizes = bench.quick() ? std::vector<int>{5, 50} : std::vector<int>{5, 50, 500};
  for (const char* shape : {"ring", "random degree 4"}) {
    for (int n : sizes) {
      bench.say("scale: " + std::string(shape) + " of " + std::to_string(n));
      Topology topology =
          std::string(shape) == "ring" ? ring_topology(n) : random_topology(n, 4, 42);
      Runtime runtime(2, 1);
      StoreWatch watch;
      HerdSettings settings;
      settings.topology = topology;
      settings.sink = watch.sink();
      settings.runtime = &runtime;
      LocalHerd herd(settings);
      if (auto started = herd.start(); !started) return bench.fail("scale: " + started.error());
      runtime.start();
      if (!watch.wait_links(2 * topology.links.size(), std::chrono::seconds(60)))
        return bench.fail("scale: links of " + std::to_string(n) + " did not come up");
      LineClient client(herd.topology().find("N0")->port);
      client.send("IAMAT spread +1+1 " + format_timestamp(now_ns()) + "\n");
      auto line = client.read_line();
      if (!line || !watch.wait_spread({*line}, n, std::chrono::seconds(30)))
        return bench.fail("scale: one update did not reach all " + std::to_string(n));
      if (!settle(watch, herd.topology().find("N0")->port, n))
        return bench.fail("scale: the herd did not settle");
      double messages = static_cast<double>(watch.messages_for(*line));
      auto label = std::string(shape) + " of " + std::to_string(n);
      bench.add({"scale", label + ": one update to every node", "ms", watch.spread_ms(*line), 0, "",
                 n == 500 ? "< 200 ms" : ""});
      bench.add({"scale", label + ": messages per update", "msgs", messages,
                 flood_messages(topology), "2 x links - (servers - 1)",
                 "<= 2 x links - (servers - 1)"});
      // Throughput: updates from one client at N0 as fast as the herd answers, until all
      // converged.
      int burst = bench.quick() ? 100 : 1000;
      std::vector<std::string> lines;
      auto start = SteadyClock::now();
      for (int i = 0; i < burst; ++i) {
        client.send("IAMAT burst-" + std::to_string(i % 50) + " +1+1 " +
                    format_timestamp(now_ns()) + "\n");
        auto reply = client.read_line();
        if (!reply) return bench.fail("scale: no reply");
        if (i >= burst - 50) lines.push_back(*reply);  // the last update of each client
      }
      if (!watch.wait_spread(lines, n, std::chrono::seconds(60)))
        return bench.fail("scale: the burst did not converge");
      double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
      bench.add({"scale", label + ": updates absorbed and converged", "upd/s", burst / seconds, 0,
                 "", ""});
      herd.stop();
      runtime.stop();
    }
  }
}

}  // namespace herd::bench
