#include "tools/bench/load.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <vector>

#include "core/clock.hpp"
#include "core/coro.hpp"
#include "core/protocol.hpp"
#include "sim/report/metrics.hpp"

namespace herd::bench {
namespace {

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

}  // namespace

std::int64_t now_ns() {
  return system_clock().now_ns();
}

Load drive(std::uint16_t port, int connections, std::chrono::milliseconds duration,
           const std::string& command) {
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

}  // namespace herd::bench
