#pragma once
// One io_context and its threads, plus a small pool for blocking calls (Places over HTTPS).
// Everything async in a process hangs off one Runtime.

#include <memory>

namespace boost::asio {
class io_context;
class thread_pool;
}  // namespace boost::asio

namespace herd {

class Runtime {
 public:
  // `threads` run the io_context; `blocking_threads` serve blocking calls such as Places.
  explicit Runtime(unsigned threads = 2, unsigned blocking_threads = 16);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  [[nodiscard]] boost::asio::io_context& io();
  // How many threads run the io_context: with one, nothing needs a strand.
  [[nodiscard]] unsigned threads() const;
  [[nodiscard]] boost::asio::thread_pool& blocking_pool();

  // Whether start() gave the io_context threads of its own; if not, the caller runs it.
  [[nodiscard]] bool running() const;
  // Starts the io_context threads (idempotent).
  void start();
  // Lets the io_context finish its work and joins every thread.
  void stop();
  // Blocks the calling thread until SIGINT or SIGTERM arrives.
  void wait_for_shutdown_signal();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herd
