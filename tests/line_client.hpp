#pragma once
// A blocking loopback TCP client for tests, on plain POSIX sockets so tests build fast. Every read
// has a deadline, so a broken server fails a test instead of hanging it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herd::test {

class LineClient {
 public:
  explicit LineClient(std::uint16_t port);
  ~LineClient();
  LineClient(const LineClient&) = delete;
  LineClient& operator=(const LineClient&) = delete;

  void send(std::string_view bytes);
  void shutdown_write();
  // One line without its "\n"; nullopt on EOF or when nothing came within the deadline.
  std::optional<std::string> read_line(int timeout_ms = 5000);
  // Everything up to and including `terminator`; nullopt on EOF or deadline.
  std::optional<std::string> read_through(std::string_view terminator, int timeout_ms = 5000);
  // Everything until the server closes; nullopt if it does not close within the deadline.
  std::optional<std::string> read_to_eof(int timeout_ms = 5000);
  // True when bytes are waiting right now (does not consume them).
  [[nodiscard]] bool has_data_now();

 private:
  bool fill(int timeout_ms);  // reads more into buffer_; false on EOF, error or deadline
  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

}  // namespace herd::test
