#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/io/tcp_environment.hpp"
#include "core/node.hpp"
#include "core/places_client.hpp"
#include "core/places_format.hpp"
#include "core/runtime.hpp"
#include "sim/net/line_client.hpp"
#include "sim/places/places_body.hpp"
#include "sim/places/places_mock.hpp"
#include "tools/bench/bench_context.hpp"
#include "tools/bench/sections.hpp"

namespace herd::bench {
namespace {

// Runs `threads` threads, each calling its own `make_requester()` until `duration` is up; returns
// successes per second.
double rate_of(std::chrono::milliseconds duration, int threads,
               const std::function<std::function<bool()>()>& make_requester) {
  std::atomic<std::size_t> done{0};
  auto end = SteadyClock::now() + duration;
  std::vector<std::thread> pool;
  auto start = SteadyClock::now();
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, request = make_requester()] {
      while (SteadyClock::now() < end)
        if (request()) ++done;
    });
  for (auto& t : pool) t.join();
  return static_cast<double>(done) /
         std::chrono::duration<double>(SteadyClock::now() - start).count();
}

}  // namespace

void bench_whatsat(BenchContext& bench) {
  bench.say("WHATSAT against the mock Places");
  PlacesMock mock;
  if (mock.start()) return bench.fail("whatsat: the mock did not start");
  const int connections = 16;
  // Baseline: the mock asked directly by as many blocking clients, on kept-alive connections
  // as the node's Places client uses.
  double direct_rate = rate_of(bench.load_time(), connections, [&mock]() -> std::function<bool()> {
    auto client = std::make_shared<httplib::Client>("127.0.0.1", mock.port());
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);
    return [client] {
      return static_cast<bool>(
          client->Get("/maps/api/place/nearbysearch/json?location=1,1&radius=10000&key=x"));
    };
  });
  // The Places client alone: the same requests, plus cutting the 20 results to 5 and
  // reformatting, which a WHATSAT reply needs.
  PlacesSettings places;
  places.url = mock.url();
  PlacesClient client(places);
  NearbyQuery query{"+1", "+1", "10000", 5};
  double client_rate = rate_of(bench.load_time(), connections, [&]() -> std::function<bool()> {
    return [&] { return client.fetch(query).body.find("\"OK\"") != std::string::npos; };
  });
  bench.add({"whatsat", "Places client fetches/s, 16 threads", "req/s", client_rate, direct_rate,
             "mock asked directly", ""});
  // Where a fetch's own time goes: the JSON work, against parsing alone with the same library.
  auto body = mock_nearby_body(1, 1, 10000);
  const int reps = bench.quick() ? 200 : 2000;
  auto time_us = [reps](const std::function<void()>& work) {
    auto start = SteadyClock::now();
    for (int i = 0; i < reps; ++i) work();
    return std::chrono::duration<double, std::micro>(SteadyClock::now() - start).count() / reps;
  };
  std::size_t sink = 0;
  double shape_us = time_us([&] { sink += shape_places_body(body, 5).size(); });
  double parse_us = time_us([&] { sink += nlohmann::json::parse(body).size(); });
  bench.add({"whatsat", "cut and reformat a " + std::to_string(body.size() / 1024) + " KB body",
             "us", shape_us, parse_us, "json parse only", ""});
  if (sink == 0) bench.fail("whatsat: nothing was shaped");

  Runtime runtime(1, static_cast<unsigned>(connections));
  NodeOptions options;
  options.name = "Clark";
  options.places.url = mock.url();
  Node node(options, EventSink{}, make_tcp_environment(runtime, options.places));
  if (!node.bind()) return bench.fail("whatsat: the node did not start");
  runtime.start();
  node.start();
  LineClient(node.port()).send("IAMAT kiwi +1+1 1700000000\n");
  LineClient probe(node.port());
  probe.send("WHATSAT kiwi 10 5\n");
  (void)probe.read_through("\n\n");
  Load load = drive(node.port(), connections, bench.load_time(), "WHATSAT kiwi 10 5\n");
  bench.add({"whatsat", "WHATSAT/s, 16 conn", "req/s", load.per_second, direct_rate,
             "mock asked directly", ""});
  node.stop_and_wait();
  runtime.stop();
  mock.stop();
}

}  // namespace herd::bench
