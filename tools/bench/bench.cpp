#include "tools/bench/bench.hpp"

#include <httplib.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "core/coro.hpp"
#include "core/io/tcp_environment.hpp"
#include "core/local_herd.hpp"
#include "core/location_store.hpp"
#include "core/node.hpp"
#include "core/open_files.hpp"
#include "core/places_client.hpp"
#include "core/places_format.hpp"
#include "core/protocol.hpp"
#include "core/runtime.hpp"
#include "sim/campaign/random_scenario.hpp"
#include "sim/net/line_client.hpp"
#include "sim/places/places_body.hpp"
#include "sim/places/places_mock.hpp"
#include "sim/report/metrics.hpp"
#include "sim/run/run_scenario.hpp"
#include "tools/bench/child_process.hpp"
#include "tools/bench/closed_loop.hpp"
#include "tools/bench/live_bench.hpp"

namespace herd {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct Figure {
  std::string section, name, unit;
  double value = 0;
  double baseline = 0;  // 0: none
  std::string baseline_name;
  std::string target;  // the goal it is held to, in words
};

std::int64_t now_ns() {
  return system_clock().now_ns();
}

struct Load {
  double per_second = 0, p50_us = 0, p99_us = 0;
  std::size_t requests = 0;
};

// Closed loop: each connection sends a line, waits for its reply, and sends the next.
asio::awaitable<void> load_connection(std::uint16_t port, int id, SteadyClock::time_point end,
                                      std::vector<double>& latencies_us, std::string command) {
  tcp::socket socket(co_await asio::this_coro::executor);
  auto [ec] = co_await socket.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port),
                                            use_tuple);
  if (ec) co_return;
  socket.set_option(tcp::no_delay(true), ec);
  std::string reply;
  std::size_t i = 0;
  while (SteadyClock::now() < end) {
    std::string line = command.empty()
                           ? "IAMAT bench-" + std::to_string(id) + "-" + std::to_string(i++ % 64) +
                                 " +34.068930-118.445127 " + format_timestamp(now_ns()) + "\n"
                           : command;
    auto sent = SteadyClock::now();
    auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(line), use_tuple);
    if (write_ec) break;
    // A WHATSAT reply ends in a blank line; everything else in one newline.
    auto [read_ec, n] =
        co_await asio::async_read_until(socket, asio::dynamic_buffer(reply),
                                        command.starts_with("WHATSAT") ? "\n\n" : "\n", use_tuple);
    if (read_ec) break;
    reply.erase(0, n);
    latencies_us.push_back(
        std::chrono::duration<double, std::micro>(SteadyClock::now() - sent).count());
  }
}

Load drive(std::uint16_t port, int connections, std::chrono::milliseconds duration,
           const std::string& command = {}) {
  asio::io_context io(1);
  std::vector<std::vector<double>> per_connection(static_cast<std::size_t>(connections));
  auto start = SteadyClock::now();
  auto end = start + duration;
  for (int c = 0; c < connections; ++c)
    asio::co_spawn(
        io, load_connection(port, c, end, per_connection[static_cast<std::size_t>(c)], command),
        asio::detached);
  io.run();
  double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::vector<double> all;
  for (auto& v : per_connection) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  Load load;
  load.requests = all.size();
  load.per_second = static_cast<double>(all.size()) / elapsed;
  load.p50_us = quantile(all, 0.5);
  load.p99_us = quantile(all, 0.99);
  return load;
}

// Counts, per AT line, how many nodes stored it and when; wakes waiters on every store.
class StoreWatch {
 public:
  EventSink sink() {
    return [this](const NodeEvent& e) {
      if (e.kind == EventKind::line_in && e.text.starts_with("AT ")) {
        // Counted where they arrive: a receiver's event cannot lag behind the spread it causes.
        std::lock_guard lock(mutex_);
        ++received_[std::string(e.text)];
        changed_.notify_all();
        return;
      }
      if (e.kind == EventKind::link_up) {
        std::lock_guard lock(mutex_);
        ++link_ups_;
        changed_.notify_all();
        return;
      }
      if (e.kind != EventKind::update_stored) return;
      std::lock_guard lock(mutex_);
      auto& s = spread_[std::string(e.text)];
      if (s.count++ == 0) s.first = e.time_ns;
      s.last = e.time_ns;
      changed_.notify_all();
    };
  }
  bool wait_links(std::size_t n, std::chrono::seconds limit) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return link_ups_ >= n; });
  }
  // Waits until every line in `lines` is stored by `nodes` nodes.
  bool wait_spread(const std::vector<std::string>& lines, int nodes, std::chrono::seconds limit) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] {
      for (const auto& line : lines) {
        auto it = spread_.find(line);
        if (it == spread_.end() || it->second.count < nodes) return false;
      }
      return true;
    });
  }
  double spread_ms(const std::string& line) {
    std::lock_guard lock(mutex_);
    auto& s = spread_[line];
    return static_cast<double>(s.last - s.first) / 1e6;
  }
  // AT messages that carried `line` between nodes so far.
  std::size_t messages_for(const std::string& line) {
    std::lock_guard lock(mutex_);
    return received_[line];
  }

 private:
  struct Spread {
    int count = 0;
    std::int64_t first = 0, last = 0;
  };
  std::mutex mutex_;
  std::condition_variable changed_;
  std::unordered_map<std::string, Spread> spread_;
  std::unordered_map<std::string, std::size_t> received_;
  std::size_t link_ups_ = 0;
};

// What flooding without echoes sends for one update at most: every server tells every neighbour
// but the one it heard it from (the origin tells all), 2 x links - (servers - 1). A server next to
// the origin that hears it first from elsewhere skips the origin too, so a run may send fewer.
double flood_messages(const Topology& topology) {
  return 2.0 * static_cast<double>(topology.links.size()) -
         static_cast<double>(topology.servers.size() - 1);
}

// Sends one more update at `port` and waits until all `servers` stored it: what the herd sent for
// earlier updates has then been sent, so their message counts are final.
bool settle(StoreWatch& watch, std::uint16_t port, int servers) {
  LineClient client(port);
  client.send("IAMAT settle +1+1 " + format_timestamp(now_ns()) + "\n");
  auto line = client.read_line();
  return line && watch.wait_spread({*line}, servers, std::chrono::seconds(30));
}

class Bench {
 public:
  explicit Bench(const BenchOptions& options) : options_(options) {}

  int run() {
    raise_open_file_limit();  // the idle section holds thousands of connections
    if (wanted("iamat")) client_throughput();
    if (wanted("idle")) idle_clients();
    if (wanted("flood")) flood_latency();
    if (wanted("memory")) memory_per_record();
    if (wanted("scale")) scale();
    if (wanted("whatsat")) whatsat_throughput();
    if (wanted("sim")) simulator_speed();
    if (wanted("live")) live_view_cost();
    report();
    return failed_ ? 1 : 0;
  }

 private:
  bool wanted(const std::string& section) const {
    return options_.only.empty() ||
           std::find(options_.only.begin(), options_.only.end(), section) != options_.only.end();
  }

  void say(const std::string& text) {
    if (options_.progress) *options_.progress << "bench: " << text << std::endl;
  }

  void add(Figure f) { figures_.push_back(std::move(f)); }

  std::chrono::milliseconds load_time() const {
    return std::chrono::milliseconds(options_.quick ? 300 : 2000);
  }

  int rounds() const { return options_.quick ? 1 : 3; }

  // The node as users run it: `herd node Clark` in a process of its own, logging to its file as it
  // does by default, and `herd up` for the node inside the herd; beside two line-echo servers in
  // processes of their own, one with the node's own loop and one a plain epoll loop. The load
  // comes from an epoll client in this process with a new client ID per request.
  void client_throughput() {
    auto dir =
        std::filesystem::temp_directory_path() / ("herd-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto log = (dir / "servers.out").string();
    auto echo_port = bench::free_port_block(2);
    auto node_base = bench::free_port_block(5);
    bench::ChildProcess echo({"line-echo", "--port", std::to_string(echo_port)}, log);
    bench::ChildProcess epoll_echo(
        {"line-echo", "--epoll", "--port", std::to_string(echo_port + 1)}, log);
    bench::ChildProcess lone({"node", "Clark", "--base-port", std::to_string(node_base),
                              "--log-dir", (dir / "lone").string()},
                             log);
    auto lone_port = static_cast<std::uint16_t>(node_base + 3);  // Clark, fourth of the five
    if (!echo.wait_for_port(echo_port, 5000) || !epoll_echo.wait_for_port(echo_port + 1, 5000) ||
        !lone.wait_for_port(lone_port, 5000))
      return fail("iamat: a server did not start (see " + log + ")");
    // The herd starts after the lone node's port block is taken.
    auto herd_base = bench::free_port_block(6);
    bench::ChildProcess herd({"up", "--base-port", std::to_string(herd_base), "--places-port",
                              std::to_string(herd_base + 5), "--log-dir", (dir / "herd").string()},
                             log);
    auto herd_port = static_cast<std::uint16_t>(herd_base + 3);
    if (!herd.wait_for_port(herd_port, 5000)) return fail("iamat: herd up did not start");
    int tag = 0;
    for (int connections : {1, 16, 128}) {
      say("IAMAT load with " + std::to_string(connections) +
          " connections: echo, epoll echo, lone node, node in the herd (" +
          std::to_string(rounds()) + " rounds)");
      std::vector<Load> echo_runs, epoll_runs, lone_runs, reused_runs, herd_runs;
      for (int round = 0; round < rounds(); ++round) {
        auto run = [&](std::uint16_t port, bench::Clients clients) {
          bench::ClosedLoop load;
          load.port = port;
          load.connections = connections;
          load.duration = load_time();
          load.clients = clients;
          load.tag = "r" + std::to_string(tag++) + "c";
          auto result = bench::run_closed_loop(load);
          if (!result.error.empty()) fail("iamat: " + result.error);
          return Load{result.per_second, result.p50_us, result.p99_us, result.requests};
        };
        echo_runs.push_back(run(echo_port, bench::Clients::new_each_request));
        lone_runs.push_back(run(lone_port, bench::Clients::new_each_request));
        epoll_runs.push_back(
            run(static_cast<std::uint16_t>(echo_port + 1), bench::Clients::new_each_request));
        herd_runs.push_back(run(herd_port, bench::Clients::new_each_request));
        reused_runs.push_back(run(lone_port, bench::Clients::reused));
      }
      Load echo_load = median(echo_runs), epoll_load = median(epoll_runs),
           lone_load = median(lone_runs), reused_load = median(reused_runs),
           herd_load = median(herd_runs);
      auto c = std::to_string(connections);
      bool held = connections >= 16;
      add({"iamat", "lone node IAMAT/s, " + c + " conn, new clients", "req/s", lone_load.per_second,
           echo_load.per_second, "echo (node's loop)", held ? ">= 0.75 of echo" : ""});
      add({"iamat", "lone node IAMAT/s, " + c + " conn, new clients", "req/s", lone_load.per_second,
           epoll_load.per_second, "echo (plain epoll)", ""});
      add({"iamat", "lone node IAMAT/s, " + c + " conn, 64 IDs reused", "req/s",
           reused_load.per_second, echo_load.per_second, "echo (node's loop)", ""});
      add({"iamat", "lone node p50, " + c + " conn", "us", lone_load.p50_us, echo_load.p50_us,
           "echo p50", ""});
      add({"iamat", "lone node p99, " + c + " conn", "us", lone_load.p99_us, echo_load.p99_us,
           "echo p99", held ? "<= 2x echo" : ""});
      add({"iamat", "herd node IAMAT/s, " + c + " conn, new clients", "req/s", herd_load.per_second,
           echo_load.per_second, "echo (node's loop)", held ? ">= 0.30 of echo" : ""});
      add({"iamat", "herd node p99, " + c + " conn", "us", herd_load.p99_us, echo_load.p99_us,
           "echo p99", ""});
      curve_.push_back({connections, echo_load, lone_load});
    }
    herd.stop();
    lone.stop();
    echo.stop();
    epoll_echo.stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  // The median round by throughput, with that round's latencies.
  static Load median(std::vector<Load> runs) {
    if (runs.empty()) return {};
    std::sort(runs.begin(), runs.end(),
              [](const Load& a, const Load& b) { return a.per_second < b.per_second; });
    return runs[runs.size() / 2];
  }

  // 10,000 idle clients on `herd node`: what each costs the node, and how fast a new client is
  // answered while they are open, against the same node with none open.
  void idle_clients() {
    const int idle = options_.quick ? 2000 : 10000;
    say("idle clients: " + std::to_string(idle) + " on a herd node");
    auto dir =
        std::filesystem::temp_directory_path() / ("herd-bench-idle-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto base = bench::free_port_block(5);
    auto port = static_cast<std::uint16_t>(base + 3);
    bench::ChildProcess node({"node", "Clark", "--base-port", std::to_string(base), "--log-dir",
                              (dir / "logs").string()},
                             (dir / "node.out").string());
    if (!node.wait_for_port(port, 5000)) return fail("idle: herd node did not start");
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
      if (!client) return fail("idle: connection " + std::to_string(i) + " was refused");
      client->send("IAMAT half-a-line");
      held.push_back(std::move(client));
    }
    // The last one completing its line shows the node has read every connection before it.
    held.back()->send(" +1+1 1700000000\n");
    if (!held.back()->read_line(10000)) return fail("idle: the node stopped answering");
    long after_kib = node.resident_kib();
    auto busy = answer_times(50);
    if (quiet.empty() || busy.empty()) return fail("idle: a new client was not answered");
    auto n = std::to_string(idle);
    add({"idle", "node memory per idle client, " + n + " open", "bytes",
         static_cast<double>(after_kib - before_kib) * 1024 / idle, 0, "", "<= 4096 bytes"});
    add({"idle", "new client answered, p50, " + n + " idle open", "us", quantile(busy, 0.5),
         quantile(quiet, 0.5), "none open", ""});
    add({"idle", "new client answered, max of 50, " + n + " idle open", "us", busy.back(),
         quiet.back(), "none open", "<= 10 ms"});
    held.clear();
    node.stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  void flood_latency() {
    int updates = options_.quick ? 300 : 5000;
    say("flood latency over " + std::to_string(updates) + " updates at Clark");
    Runtime runtime(2, 1);
    StoreWatch watch;
    HerdSettings settings;
    settings.topology = default_topology(0);
    settings.sink = watch.sink();
    settings.runtime = &runtime;
    LocalHerd herd(settings);
    if (!herd.start()) return fail("flood: the herd did not start");
    runtime.start();
    watch.wait_links(12, std::chrono::seconds(10));
    LineClient client(herd.topology().find("Clark")->port);
    std::vector<std::string> lines;
    // The first tenth warms the process up (heap growth, first page faults) and is not counted.
    const int warm_up = updates / 10;
    for (int i = 0; i < warm_up + updates; ++i) {
      client.send("IAMAT flood-" + std::to_string(i) + " +1+1 " + format_timestamp(now_ns()) +
                  "\n");
      auto reply = client.read_line();
      if (!reply) return fail("flood: Clark did not answer");
      if (i >= warm_up) lines.push_back(*reply);
    }
    if (!watch.wait_spread(lines, 5, std::chrono::seconds(30)))
      return fail("flood: updates did not reach all five");
    std::vector<double> ms;
    for (const auto& line : lines) ms.push_back(watch.spread_ms(line));
    std::sort(ms.begin(), ms.end());
    if (!settle(watch, herd.topology().find("Clark")->port, 5))
      return fail("flood: the herd did not settle");
    std::size_t sent = 0;
    for (const auto& line : lines) sent += watch.messages_for(line);
    double messages = static_cast<double>(sent) / updates;
    add({"flood", "accept to farthest node p50", "ms", quantile(ms, 0.5), 0, "", ""});
    add({"flood", "accept to farthest node p99", "ms", quantile(ms, 0.99), 0, "", "< 1 ms"});
    add({"flood", "AT messages per update", "msgs", messages, flood_messages(herd.topology()),
         "2 x links - (servers - 1)", "<= 2 x links - (servers - 1)"});
    herd.stop();
    runtime.stop();
  }

  void memory_per_record() {
    std::size_t clients = options_.quick ? 100'000 : 1'000'000;
    say("memory for " + std::to_string(clients) + " stored records");
    std::vector<std::string> lines;
    lines.reserve(clients);
    double payload = 0;
    for (std::size_t i = 0; i < clients; ++i) {
      lines.push_back("AT Clark +0.000123456 client-" + std::to_string(i) +
                      ".cs.ucla.edu +34.068930-118.445127 " +
                      format_timestamp(1'700'000'000'000'000'000 + static_cast<std::int64_t>(i)));
      payload += static_cast<double>(lines.back().size());
    }
    // Large blocks (the store's slot array) are mapped, not taken from the heap: count both.
    auto heap_in_use = [] {
      auto info = mallinfo2();
      return info.uordblks + info.hblkhd;
    };
    auto before = heap_in_use();
    {
      auto store = std::make_unique<LocationStore>();
      for (const auto& line : lines) {
        RecordView record;
        if (record_from_at_line(line, record)) (void)store->offer(record);
      }
      auto used = static_cast<double>(heap_in_use() - before);
      add({"memory", "heap per stored record", "bytes", used / static_cast<double>(clients),
           payload / static_cast<double>(clients), "AT line bytes", "<= 200 bytes"});
    }
  }

  void scale() {
    std::vector<int> sizes =
        options_.quick ? std::vector<int>{5, 50} : std::vector<int>{5, 50, 500};
    for (const char* shape : {"ring", "random degree 4"}) {
      for (int n : sizes) {
        say("scale: " + std::string(shape) + " of " + std::to_string(n));
        Topology topology =
            std::string(shape) == "ring" ? ring_topology(n) : random_topology(n, 4, 42);
        Runtime runtime(2, 1);
        StoreWatch watch;
        HerdSettings settings;
        settings.topology = topology;
        settings.sink = watch.sink();
        settings.runtime = &runtime;
        LocalHerd herd(settings);
        if (auto started = herd.start(); !started) return fail("scale: " + started.error());
        runtime.start();
        if (!watch.wait_links(2 * topology.links.size(), std::chrono::seconds(60)))
          return fail("scale: links of " + std::to_string(n) + " did not come up");
        LineClient client(herd.topology().find("N0")->port);
        client.send("IAMAT spread +1+1 " + format_timestamp(now_ns()) + "\n");
        auto line = client.read_line();
        if (!line || !watch.wait_spread({*line}, n, std::chrono::seconds(30)))
          return fail("scale: one update did not reach all " + std::to_string(n));
        if (!settle(watch, herd.topology().find("N0")->port, n))
          return fail("scale: the herd did not settle");
        double messages = static_cast<double>(watch.messages_for(*line));
        auto label = std::string(shape) + " of " + std::to_string(n);
        add({"scale", label + ": one update to every node", "ms", watch.spread_ms(*line), 0, "",
             n == 500 ? "< 200 ms" : ""});
        add({"scale", label + ": messages per update", "msgs", messages, flood_messages(topology),
             "2 x links - (servers - 1)", "<= 2 x links - (servers - 1)"});
        // Throughput: updates from one client at N0 as fast as the herd answers, until all
        // converged.
        int burst = options_.quick ? 100 : 1000;
        std::vector<std::string> lines;
        auto start = SteadyClock::now();
        for (int i = 0; i < burst; ++i) {
          client.send("IAMAT burst-" + std::to_string(i % 50) + " +1+1 " +
                      format_timestamp(now_ns()) + "\n");
          auto reply = client.read_line();
          if (!reply) return fail("scale: no reply");
          if (i >= burst - 50) lines.push_back(*reply);  // the last update of each client
        }
        if (!watch.wait_spread(lines, n, std::chrono::seconds(60)))
          return fail("scale: the burst did not converge");
        double seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
        add({"scale", label + ": updates absorbed and converged", "upd/s", burst / seconds, 0, "",
             ""});
        herd.stop();
        runtime.stop();
      }
    }
  }

  // Runs `threads` threads, each calling its own `make_requester()` until the load time is up;
  // returns successes per second.
  double rate_of(int threads, const std::function<std::function<bool()>()>& make_requester) const {
    std::atomic<std::size_t> done{0};
    auto end = SteadyClock::now() + load_time();
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

  void whatsat_throughput() {
    say("WHATSAT against the mock Places");
    PlacesMock mock;
    if (mock.start()) return fail("whatsat: the mock did not start");
    const int connections = 16;
    // Baseline: the mock asked directly by as many blocking clients, on kept-alive connections
    // as the node's Places client uses.
    double direct_rate = rate_of(connections, [&mock]() -> std::function<bool()> {
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
    double client_rate = rate_of(connections, [&]() -> std::function<bool()> {
      return [&] { return client.fetch(query).find("\"OK\"") != std::string::npos; };
    });
    add({"whatsat", "Places client fetches/s, 16 threads", "req/s", client_rate, direct_rate,
         "mock asked directly", ""});
    // Where a fetch's own time goes: the JSON work, against parsing alone with the same library.
    auto body = mock_nearby_body(1, 1, 10000);
    const int reps = options_.quick ? 200 : 2000;
    auto time_us = [reps](const std::function<void()>& work) {
      auto start = SteadyClock::now();
      for (int i = 0; i < reps; ++i) work();
      return std::chrono::duration<double, std::micro>(SteadyClock::now() - start).count() / reps;
    };
    std::size_t sink = 0;
    double shape_us = time_us([&] { sink += shape_places_body(body, 5).size(); });
    double parse_us = time_us([&] { sink += nlohmann::json::parse(body).size(); });
    add({"whatsat", "cut and reformat a " + std::to_string(body.size() / 1024) + " KB body", "us",
         shape_us, parse_us, "json parse only", ""});
    if (sink == 0) fail("whatsat: nothing was shaped");

    Runtime runtime(1, static_cast<unsigned>(connections));
    NodeOptions options;
    options.name = "Clark";
    options.places.url = mock.url();
    Node node(options, EventSink{}, make_tcp_environment(runtime, options.places));
    if (!node.bind()) return fail("whatsat: the node did not start");
    runtime.start();
    node.start();
    LineClient(node.port()).send("IAMAT kiwi +1+1 1700000000\n");
    LineClient probe(node.port());
    probe.send("WHATSAT kiwi 10 5\n");
    (void)probe.read_through("\n\n");
    Load load = drive(node.port(), connections, load_time(), "WHATSAT kiwi 10 5\n");
    add({"whatsat", "WHATSAT/s, 16 conn", "req/s", load.per_second, direct_rate,
         "mock asked directly", ""});
    node.stop_and_wait();
    runtime.stop();
    mock.stop();
  }

  // The simulator itself: explore on the virtual network against the same seeds on real sockets,
  // and how much simulated time a wall-clock second buys.
  void simulator_speed() {
    say("the simulator: virtual network against real sockets");
    const int real_runs = options_.quick ? 3 : 8;
    auto explore = [](NetworkKind network, int runs, std::uint64_t first) {
      SimOptions sim;
      sim.network = network;
      double simulated = 0;
      int passed = 0;
      auto start = SteadyClock::now();
      for (int i = 0; i < runs; ++i) {
        // Without swarm draws: the same scenarios on both networks.
        auto result =
            run_scenario(random_scenario(first + static_cast<std::uint64_t>(i), false), sim);
        simulated += result.simulated_s;
        passed += result.passed ? 1 : 0;
      }
      double wall = std::chrono::duration<double>(SteadyClock::now() - start).count();
      return std::make_tuple(wall / runs, simulated, wall, passed);
    };
    auto [real_per_run, real_sim, real_wall, real_passed] =
        explore(NetworkKind::real, real_runs, 1);
    // The same seeds, repeated so the clock has something to measure.
    const int repeats = options_.quick ? 10 : 50;
    double virtual_per_run = 0;
    int virtual_passed = 0;
    for (int r = 0; r < repeats; ++r) {
      auto [per_run, simulated, wall, passed] = explore(NetworkKind::virtual_, real_runs, 1);
      virtual_per_run += per_run / repeats;
      if (r == 0) virtual_passed = passed;
    }
    if (real_passed != real_runs || virtual_passed != real_runs)
      fail("sim: explore runs failed (" + std::to_string(real_passed) + " real, " +
           std::to_string(virtual_passed) + " virtual, of " + std::to_string(real_runs) + ")");
    add({"sim", "explore run, same " + std::to_string(real_runs) + " seeds, virtual network",
         "ms/run", virtual_per_run * 1e3, real_per_run * 1e3, "real sockets", ""});
    add({"sim", "explore run speed-up, virtual over real", "x", real_per_run / virtual_per_run, 1,
         "real sockets", "at least 20x"});
    // The default explore as users run it: swarm draws, a thousand seeds.
    const int many = options_.quick ? 200 : 1000;
    SimOptions sim;
    sim.network = NetworkKind::virtual_;
    double simulated = 0;
    auto start = SteadyClock::now();
    for (int i = 0; i < many; ++i)
      simulated +=
          run_scenario(random_scenario(static_cast<std::uint64_t>(i + 1), false, true), sim)
              .simulated_s;
    double wall = std::chrono::duration<double>(SteadyClock::now() - start).count();
    add({"sim", "virtual explore runs per minute (swarm, " + std::to_string(many) + " seeds)",
         "runs/min", many / wall * 60, real_runs / real_wall * 60, "real explore",
         "1000 runs/min"});
    // Simulated against wall time for the five servers under the default traffic.
    Scenario steady;
    steady.name = "steady-traffic";
    steady.topology = default_topology(0);
    Step traffic;
    traffic.kind = StepKind::traffic;
    traffic.clients = 20;
    traffic.rate = 200;
    traffic.duration_ms = options_.quick ? 5'000 : 30'000;
    Step converged;
    converged.kind = StepKind::expect_converged;
    converged.ms = 5000;
    steady.steps = {traffic, converged};
    start = SteadyClock::now();
    auto result = run_scenario(steady, sim);
    wall = std::chrono::duration<double>(SteadyClock::now() - start).count();
    if (!result.passed) fail("sim: the steady-traffic run did not converge");
    add({"sim", "simulated seconds per wall second, 5 servers at 200 updates/s", "x",
         result.simulated_s / wall, 1, "wall time", "at least 50x"});
  }

  // What the live view costs the herd it watches: `herd up --control` under closed-loop IAMAT
  // load on Clark with nobody watching, with a reader following the events, and with the page
  // open in headless Chromium; and the proxies' price, against plain `herd up`.
  void live_view_cost() {
    bench::LiveBenchSettings settings;
    settings.duration = load_time();
    settings.rounds = rounds();
    settings.dir =
        (std::filesystem::temp_directory_path() / ("herd-bench-live-" + std::to_string(::getpid())))
            .string();
    settings.say = [this](const std::string& text) { say(text); };
    auto cost = bench::measure_live_cost(settings);
    if (!cost.error.empty()) fail("live: " + cost.error);
    const auto& u = cost.unwatched;
    add({"live", "herd up --control IAMAT/s, nobody watching", "req/s", u.per_second,
         cost.plain.per_second, "herd up (no proxies)", ""});
    add({"live", "herd up --control IAMAT/s, events read", "req/s", cost.reader.per_second,
         u.per_second, "nobody watching", ">= 0.90 of unwatched"});
    add({"live", "herd CPU per update, events read", "us", cost.reader.herd_cpu_us_per_update,
         u.herd_cpu_us_per_update, "nobody watching", ""});
    add({"live", "event lines read per update", "lines", cost.reader.lines_per_update, 0, "", ""});
    add({"live", "herd p99, events read", "us", cost.reader.p99_us, u.p99_us, "nobody watching",
         ""});
    if (cost.page) {
      add({"live", "herd up --control IAMAT/s, page open", "req/s", cost.page->per_second,
           u.per_second, "nobody watching", ">= 0.90 of unwatched (browser on the same cores)"});
      add({"live", "herd CPU per update, page open", "us", cost.page->herd_cpu_us_per_update,
           u.herd_cpu_us_per_update, "nobody watching", ""});
    } else {
      say("live: no page figure: " + cost.no_page);
    }
    std::error_code ignored;
    std::filesystem::remove_all(settings.dir, ignored);
  }

  void fail(const std::string& why) {
    failed_ = true;
    say("FAILED: " + why);
  }

  void report() {
    auto& out = *options_.out;
    if (options_.json) {
      nlohmann::json figures = nlohmann::json::array();
      for (const auto& f : figures_) {
        nlohmann::json j = {
            {"section", f.section}, {"name", f.name}, {"unit", f.unit}, {"value", f.value}};
        if (f.baseline != 0)
          j["baseline"] = {
              {"name", f.baseline_name}, {"value", f.baseline}, {"ratio", f.value / f.baseline}};
        if (!f.target.empty()) j["target"] = f.target;
        figures.push_back(j);
      }
      out << nlohmann::json{{"quick", options_.quick}, {"figures", figures}}.dump(2) << "\n";
    } else {
      char line[256];
      std::snprintf(line, sizeof line, "%-48s %12s %-6s %12s %-20s %7s  %s\n", "measure", "value",
                    "unit", "baseline", "(baseline is)", "ratio", "target");
      out << line;
      for (const auto& f : figures_) {
        std::string baseline = f.baseline != 0 ? std::to_string(f.baseline) : "";
        char ratio[32] = "";
        if (f.baseline != 0) std::snprintf(ratio, sizeof ratio, "%.2f", f.value / f.baseline);
        char value[32], base[32] = "";
        std::snprintf(value, sizeof value, "%.2f", f.value);
        if (f.baseline != 0) std::snprintf(base, sizeof base, "%.2f", f.baseline);
        std::snprintf(line, sizeof line, "%-48s %12s %-6s %12s %-20s %7s  %s\n", f.name.c_str(),
                      value, f.unit.c_str(), base, f.baseline_name.c_str(), ratio,
                      f.target.c_str());
        out << line;
      }
    }
    if (!options_.svg_path.empty() && wanted("iamat")) write_svg();
  }

  void write_svg() {
    // Latency against load: p50 and p99 of the lone node and of echo, by connection count.
    constexpr double w = 640, h = 360, left = 60, bottom = 40, top = 30, right = 150;
    double max_us = 1;
    for (const auto& c : curve_) max_us = std::max({max_us, c.echo.p99_us, c.node.p99_us});
    auto x = [&](std::size_t i) {
      return left +
             (w - left - right) * (curve_.size() < 2 ? 0.5 : double(i) / double(curve_.size() - 1));
    };
    auto y = [&](double us) { return h - bottom - (h - bottom - top) * us / max_us; };
    std::string svg =
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"360\" "
        "font-family=\"sans-serif\" font-size=\"11\">\n"
        "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        "<text x=\"10\" y=\"18\" font-size=\"13\">IAMAT latency against load: lone node vs line "
        "echo</text>\n";
    char buf[256];
    std::snprintf(buf, sizeof buf, "<text x=\"5\" y=\"%.0f\">%.0f us</text>\n", top + 4, max_us);
    svg += buf;
    struct Series {
      const char* name;
      const char* colour;
      bool dashed;
      double (*pick)(const Point&);
    };
    const Series series[] = {
        {"node p50", "#3a6ea5", false, [](const Point& p) { return p.node.p50_us; }},
        {"node p99", "#3a6ea5", true, [](const Point& p) { return p.node.p99_us; }},
        {"echo p50", "#888", false, [](const Point& p) { return p.echo.p50_us; }},
        {"echo p99", "#888", true, [](const Point& p) { return p.echo.p99_us; }},
    };
    int row = 0;
    for (const auto& s : series) {
      std::string points;
      for (std::size_t i = 0; i < curve_.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%.1f,%.1f ", x(i), y(s.pick(curve_[i])));
        points += buf;
      }
      svg += std::string("<polyline fill=\"none\" stroke=\"") + s.colour + "\" stroke-width=\"2\"" +
             (s.dashed ? " stroke-dasharray=\"5,3\"" : "") + " points=\"" + points + "\"/>\n";
      std::snprintf(buf, sizeof buf, "<text x=\"%.0f\" y=\"%d\" fill=\"%s\">%s</text>\n",
                    w - right + 10, 50 + 16 * row++, s.colour, s.name);
      svg += buf;
    }
    for (std::size_t i = 0; i < curve_.size(); ++i) {
      std::snprintf(buf, sizeof buf,
                    "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%d conn</text>\n", x(i),
                    h - 15, curve_[i].connections);
      svg += buf;
    }
    svg += "</svg>\n";
    std::ofstream(options_.svg_path) << svg;
  }

  struct Point {
    int connections;
    Load echo, node;
  };

  const BenchOptions& options_;
  std::vector<Figure> figures_;
  std::vector<Point> curve_;
  bool failed_ = false;
};

}  // namespace

const std::vector<std::string>& bench_sections() {
  static const std::vector<std::string> sections = {"iamat", "idle",    "flood", "memory",
                                                    "scale", "whatsat", "sim",   "live"};
  return sections;
}

int run_bench(const BenchOptions& options) {
  Bench bench(options);
  return bench.run();
}

}  // namespace herd
