#pragma once
// A closed-loop load generator on plain epoll, one thread: each connection sends a request, waits
// for its reply, and sends the next, as the independent load generators that check Herd do. It
// is lean on purpose, so that on two cores it is not what limits the server it measures.

#include <chrono>
#include <cstdint>
#include <string>

namespace herd::bench {

enum class Clients {
  new_each_request,  // a new client ID per request: the store grows as in real use
  reused,            // 64 client IDs per connection, updated over and over
};

struct ClosedLoop {
  std::uint16_t port = 0;
  int connections = 16;
  std::chrono::milliseconds duration{1000};
  Clients clients = Clients::new_each_request;
  std::string tag = "c";  // client IDs are TAG<connection>-<n>, unique across runs with a new tag
};

struct LoadResult {
  double per_second = 0, p50_us = 0, p99_us = 0;
  std::size_t requests = 0;
  std::string error;  // empty when every connection ran to the end
};

// Each request is an IAMAT with a 9-digit CLOCK_REALTIME timestamp; a reply is one line. A line
// echo answers with the line itself, so the same load measures a baseline.
[[nodiscard]] LoadResult run_closed_loop(const ClosedLoop& load);

}  // namespace herd::bench
