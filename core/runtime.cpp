#include "core/runtime.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

namespace herd {

namespace asio = boost::asio;

struct Runtime::Impl {
  unsigned threads;
  asio::io_context io;
  asio::thread_pool blocking;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> runners;
  bool stopped = false;

  Impl(unsigned thread_count, unsigned blocking_threads)
      : threads(thread_count == 0 ? 1 : thread_count),
        io(static_cast<int>(threads)),
        blocking(blocking_threads == 0 ? 1 : blocking_threads) {}
};

Runtime::Runtime(unsigned threads, unsigned blocking_threads)
    : impl_(std::make_unique<Impl>(threads, blocking_threads)) {}

Runtime::~Runtime() {
  stop();
}

asio::io_context& Runtime::io() {
  return impl_->io;
}
unsigned Runtime::threads() const {
  return impl_->threads;
}
asio::thread_pool& Runtime::blocking_pool() {
  return impl_->blocking;
}

bool Runtime::running() const {
  return !impl_->runners.empty();
}

void Runtime::start() {
  if (!impl_->runners.empty()) return;
  impl_->work.emplace(impl_->io.get_executor());
  for (unsigned i = 0; i < impl_->threads; ++i)
    impl_->runners.emplace_back([this] { impl_->io.run(); });
}

void Runtime::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->work.reset();
  // Stopped nodes leave no work behind, so the context runs dry at once; the deadline only guards
  // against a bug elsewhere turning shutdown into a hang.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!impl_->runners.empty() && !impl_->io.stopped() &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  impl_->io.stop();
  for (auto& t : impl_->runners)
    if (t.joinable()) t.join();
  impl_->runners.clear();
  impl_->blocking.join();
}

void Runtime::wait_for_shutdown_signal() {
  // A private io_context so the wait does not depend on the herd's threads being free.
  asio::io_context signals_io;
  asio::signal_set signals(signals_io, SIGINT, SIGTERM);
  signals.async_wait([](const boost::system::error_code&, int) {});
  signals_io.run();
}

}  // namespace herd
