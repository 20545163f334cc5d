#pragma once
// Traffic's requests in flight at once, each on a connection of its own, for servers that answer
// one request per connection (as the course's grader talks, and as many student servers must be
// talked to): waiting for each reply before the next request would make a server that floods
// before it replies look "too slow for the schedule" when it is only slow to reply. A few threads
// each make one request at a time; the runner submits on the schedule and collects the replies.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sim/world/world.hpp"

namespace herd {

class RequestPool {
 public:
  // A new connection to `node`, or nullptr when it refuses; called from the pool's threads.
  using Connect = std::function<std::unique_ptr<ClientConnection>(const std::string& node)>;
  RequestPool(Connect connect, int reply_timeout_ms, std::size_t threads);
  ~RequestPool();  // waits for the requests in flight (each ends within the reply timeout)
  RequestPool(const RequestPool&) = delete;
  RequestPool& operator=(const RequestPool&) = delete;

  // Sends `line` (without its newline) to `node` as soon as a thread is free.
  void submit(std::string node, std::string line);

  struct Done {
    std::string node, line;
    bool answered = false;
    std::string reply;  // its first line, without the newline
    std::string why;    // when not answered
  };
  // The requests finished since the last call.
  [[nodiscard]] std::vector<Done> take_done();
  // Waits until every request submitted has finished, or `until`; whether they all had.
  bool wait_all(std::chrono::steady_clock::time_point until);
  // Submitted and not yet finished.
  [[nodiscard]] std::size_t unfinished();

 private:
  void work();

  Connect connect_;
  int reply_timeout_ms_;
  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  std::deque<std::pair<std::string, std::string>> queue_;
  std::vector<Done> done_;
  std::size_t unfinished_ = 0;
  bool closing_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace herd
