#pragma once
// The bench's baselines: servers that answer each line with the line itself, doing no protocol
// work. `herd line-echo` runs one in its own process, as the node runs in its own.

#include <cstdint>
#include <string>

namespace herd::bench {

enum class EchoLoop {
  asio,   // the node's own loop: one io_context thread, a coroutine per connection reading
          // into a small buffer of its own, writing at once when the socket takes it all
  epoll,  // a plain level-triggered epoll loop, as a C programmer would write it
};

// Serves on 127.0.0.1:port until SIGINT or SIGTERM; returns a process exit status.
int run_line_echo(std::uint16_t port, EchoLoop loop, std::string& error);

}  // namespace herd::bench
