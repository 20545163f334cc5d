#pragma once
// A closed loop on Asio in the bench's own process, for loads whose replies are not one line (a
// WHATSAT's ends in a blank line), and the clock the bench times and stamps IAMATs with. The
// IAMAT loads on the node as users run it use the leaner epoll loop in closed_loop.hpp.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace herd::bench {

using SteadyClock = std::chrono::steady_clock;

struct Load {
  double per_second = 0, p50_us = 0, p99_us = 0;
  std::size_t requests = 0;
};

// Now on the wall clock, as an IAMAT's timestamp carries it.
[[nodiscard]] std::int64_t now_ns();

// Each of `connections` connections to 127.0.0.1:port sends `command` (empty: an IAMAT, 64 client
// IDs per connection), waits for its reply, and sends the next, until `duration` is up.
[[nodiscard]] Load drive(std::uint16_t port, int connections, std::chrono::milliseconds duration,
                         const std::string& command = {});

}  // namespace herd::bench
