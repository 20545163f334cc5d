#pragma once
// A blocking loopback TCP client, on plain POSIX sockets so its users build fast: the simulator
// drives clients with it and tests talk to nodes with it. Every read has a deadline, so a broken
// server gives an error instead of a hang.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace herd {

// A blocking TCP connection to 127.0.0.1:port with TCP_NODELAY: its descriptor, or -1 if refused.
[[nodiscard]] int connect_loopback(std::uint16_t port);
// The same over `fd`, a TCP socket made elsewhere (in another network namespace); it is closed
// when the connection fails.
[[nodiscard]] int connect_loopback(int fd, std::uint16_t port);

class LineClient {
 public:
  // Connects to 127.0.0.1:port; throws if it cannot (for tests, where that is a failure).
  explicit LineClient(std::uint16_t port);
  // Connects to 127.0.0.1:port; nullptr if the server refuses (a crashed node, in the simulator).
  [[nodiscard]] static std::unique_ptr<LineClient> try_connect(std::uint16_t port);
  // Takes over a connected socket (one made in another network namespace, say); -1: nullptr.
  [[nodiscard]] static std::unique_ptr<LineClient> adopt(int fd);
  ~LineClient();
  LineClient(const LineClient&) = delete;
  LineClient& operator=(const LineClient&) = delete;

  // Throws if the connection is gone (for tests).
  void send(std::string_view bytes);
  // False if the connection is gone.
  [[nodiscard]] bool try_send(std::string_view bytes);
  void shutdown_write();
  // One line without its "\n"; nullopt on EOF or when nothing came within the deadline.
  std::optional<std::string> read_line(int timeout_ms = 5000);
  // Everything up to and including `terminator`; nullopt on EOF or deadline.
  std::optional<std::string> read_through(std::string_view terminator, int timeout_ms = 5000);
  // Everything until the server closes; nullopt if it does not close within the deadline.
  std::optional<std::string> read_to_eof(int timeout_ms = 5000);
  // Everything up to and including `terminator`; or, when the server closes or the deadline
  // passes first, whatever came before (consumed either way), and which of the three it was.
  struct Partial {
    enum class End { found, closed, timed_out } end = End::found;
    std::string text;
  };
  Partial read_until(std::string_view terminator, int timeout_ms);
  // Waits up to `timeout_ms` for more bytes; whether any came (false on close too).
  bool wait_for_more(int timeout_ms);
  [[nodiscard]] const std::string& buffered() const { return buffer_; }
  // Whether the server has closed its side.
  [[nodiscard]] bool closed() const { return eof_; }
  // True when bytes are waiting right now (does not consume them).
  [[nodiscard]] bool has_data_now();

 private:
  LineClient() = default;
  bool fill(int timeout_ms);  // reads more into buffer_; false on EOF, error or deadline
  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

}  // namespace herd
