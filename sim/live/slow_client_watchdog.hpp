#pragma once
// Closes the control API's connections that take too long to say what they want. The HTTP
// library gives each connection a worker until its request has arrived, and times out only a
// read that brings nothing: a client trickling a header line a second (no token needed) held a
// worker for ever, and 48 of them stopped the API. Every half second this looks at the
// connections the kernel has established on the API's port (Linux: /proc/net/tcp and tcp6, and
// /proc/self/fd to find the socket), and shuts down one that has been open `limit` without a
// request being served on it since it opened or since its last answer. A request being answered
// (however long its step takes) and an event stream are left alone.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

namespace herd {

class SlowClientWatchdog {
 public:
  SlowClientWatchdog(std::uint16_t port, std::chrono::milliseconds limit);
  ~SlowClientWatchdog();
  SlowClientWatchdog(const SlowClientWatchdog&) = delete;
  SlowClientWatchdog& operator=(const SlowClientWatchdog&) = delete;

  // A handler began answering the connection from `remote_port` (its request has arrived).
  void began(int remote_port);
  // It answered: from now on the connection waits for its next request.
  void ended(int remote_port);
  // How many connections it has shut down.
  [[nodiscard]] std::uint64_t closed() const;

 private:
  struct Seen {
    std::chrono::steady_clock::time_point since;  // opened, or last answered
  };
  void watch();
  void sweep();

  const std::uint16_t port_;
  const std::chrono::milliseconds limit_;
  mutable std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::map<int, int> busy_;  // remote port -> requests being answered on it
  std::map<int, std::chrono::steady_clock::time_point> answered_;  // remote port -> last answer
  std::map<unsigned long, Seen> seen_;                             // socket inode -> since
  std::uint64_t closed_ = 0;
  std::thread thread_;
};

}  // namespace herd
