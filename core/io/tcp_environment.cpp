#include "core/io/tcp_environment.hpp"

#include <time.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <optional>

#include "core/coro.hpp"
#include "core/io/environment.hpp"
#include "core/pausable_executor.hpp"
#include "core/peer_auth.hpp"
#include "core/runtime.hpp"

namespace herd {
namespace {

class TcpStream final : public io::Stream {
 public:
  explicit TcpStream(tcp::socket socket) : socket_(std::move(socket)) {}
  void async_read_some(asio::mutable_buffer into, io::IoHandler done) override {
    socket_.async_read_some(into, std::move(done));
  }
  void async_write(asio::const_buffer bytes, io::IoHandler done) override {
    asio::async_write(socket_, bytes, std::move(done));
  }
  std::size_t write_some(asio::const_buffer bytes, error_code& ec) override {
    std::size_t written = socket_.write_some(bytes, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      return 0;
    }
    return written;
  }
  void shutdown_send() override {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
  }
  void close() override {
    error_code ignored;
    socket_.close(ignored);
  }
  std::string peer_label() const override {
    error_code ec;
    auto endpoint = socket_.remote_endpoint(ec);
    if (ec) return "client";
    return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  }
  std::string peer_host() const override {
    error_code ec;
    auto endpoint = socket_.remote_endpoint(ec);
    if (ec) return {};
    auto address = endpoint.address();
    // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d.
    if (address.is_v6() && address.to_v6().is_v4_mapped())
      return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
    return address.to_string();
  }

 private:
  tcp::socket socket_;
};

class TcpListener final : public io::Listener {
 public:
  explicit TcpListener(const asio::any_io_executor& executor) : acceptor_(executor) {}
  error_code open(const tcp::endpoint& endpoint) {
    error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (ec) return ec;
    // A restarted node must get its port back while the old connections sit in TIME_WAIT.
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) close();
    return ec;
  }
  void async_accept(io::StreamHandler done) override {
    acceptor_.async_accept([done = std::move(done)](error_code ec, tcp::socket socket) mutable {
      if (ec) return std::move(done)(ec, nullptr);
      error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      // write_some tries a reply without waiting; what does not fit goes asynchronously.
      socket.non_blocking(true, ignored);
      std::move(done)(ec, std::make_unique<TcpStream>(std::move(socket)));
    });
  }
  void close() override {
    error_code ignored;
    acceptor_.close(ignored);
  }
  std::uint16_t port() const override {
    error_code ec;
    auto endpoint = acceptor_.local_endpoint(ec);
    return ec ? 0 : endpoint.port();
  }

 private:
  tcp::acceptor acceptor_;
};

class TcpTimer final : public io::Timer {
 public:
  explicit TcpTimer(const asio::any_io_executor& executor) : timer_(executor) {}
  void expires_after(std::chrono::milliseconds delay) override { timer_.expires_after(delay); }
  void expires_never() override { timer_.expires_at(asio::steady_timer::time_point::max()); }
  void async_wait(io::WaitHandler done) override { timer_.async_wait(std::move(done)); }
  void cancel() override { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

asio::awaitable<error_code> connect_socket(tcp::socket& socket, std::string host,
                                           std::uint16_t port) {
  error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (!ec) {
    auto [connect_ec] = co_await socket.async_connect(tcp::endpoint(address, port), use_tuple);
    co_return connect_ec;
  }
  tcp::resolver resolver(socket.get_executor());
  auto [resolve_ec, endpoints] =
      co_await resolver.async_resolve(host, std::to_string(port), use_tuple);
  if (resolve_ec) co_return resolve_ec;
  auto [connect_ec, endpoint] = co_await asio::async_connect(socket, endpoints, use_tuple);
  co_return connect_ec;
}

// Across a blackhole a connect hears nothing for minutes; it gives up at the deadline.
asio::awaitable<std::pair<error_code, std::unique_ptr<io::Stream>>> connect_with_deadline(
    asio::any_io_executor executor, std::string host, std::uint16_t port, int timeout_ms) {
  using namespace asio::experimental::awaitable_operators;
  tcp::socket socket(executor);
  asio::steady_timer deadline(executor, std::chrono::milliseconds(timeout_ms));
  auto result = co_await (connect_socket(socket, std::move(host), port) ||
                          deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
  error_code ec = result.index() == 1 ? error_code(asio::error::timed_out) : std::get<0>(result);
  if (ec) co_return std::make_pair(ec, nullptr);
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  // A link writes a line at once when nothing waits (write_some): that must never block.
  socket.non_blocking(true, ignored);
  co_return std::make_pair(ec, std::make_unique<TcpStream>(std::move(socket)));
}

class TcpEnvironment final : public io::Environment {
  using Strand = asio::strand<asio::io_context::executor_type>;

 public:
  TcpEnvironment(Runtime& runtime, const PlacesSettings& places, const Clock& wall)
      : runtime_(runtime), wall_(wall), places_(std::make_shared<PlacesClient>(places)) {
    if (runtime.threads() > 1) strand_.emplace(asio::make_strand(runtime.io()));
  }

  // With one thread running the whole io_context, the context is the strand already: a strand
  // would only add a queue and a lock per handler.
  asio::any_io_executor strand() override {
    if (strand_) return *strand_;
    return runtime_.io().get_executor();
  }
  asio::any_io_executor gated(const std::shared_ptr<PauseGate>& gate) override {
    if (strand_) return PausableExecutor<Strand>(*strand_, gate);
    return PausableExecutor<asio::io_context::executor_type>(runtime_.io().get_executor(), gate);
  }
  std::int64_t wall_ns() const override { return wall_.now_ns(); }
  // A Runtime not started yet is run by its owner's polls (a herd built before it starts).
  bool runs_on_caller() const override { return !runtime_.running(); }

  std::unique_ptr<io::Listener> listen(const asio::any_io_executor& executor,
                                       const std::string& host, std::uint16_t port,
                                       error_code& ec) override {
    tcp::endpoint endpoint;
    auto address = asio::ip::make_address(host, ec);
    if (!ec) {
      endpoint = tcp::endpoint(address, port);
    } else {
      tcp::resolver resolver(runtime_.io());
      auto results = resolver.resolve(host, std::to_string(port), ec);
      if (ec) return nullptr;
      endpoint = *results.begin();
    }
    auto listener = std::make_unique<TcpListener>(executor);
    ec = listener->open(endpoint);
    if (ec) return nullptr;
    return listener;
  }

  void async_connect(const asio::any_io_executor& executor, const std::string& host,
                     std::uint16_t port, int timeout_ms, io::StreamHandler done) override {
    asio::co_spawn(executor, connect_with_deadline(executor, host, port, timeout_ms),
                   [done = std::move(done)](
                       std::exception_ptr e,
                       std::pair<error_code, std::unique_ptr<io::Stream>> result) mutable {
                     if (e) return std::move(done)(asio::error::operation_aborted, nullptr);
                     std::move(done)(result.first, std::move(result.second));
                   });
  }

  std::unique_ptr<io::Timer> make_timer(const asio::any_io_executor& executor) override {
    return std::make_unique<TcpTimer>(executor);
  }

  // The coarse clock is read at every line, and a few milliseconds' resolution is plenty for
  // timeouts of seconds and backoff of tens of milliseconds.
  std::int64_t steady_ms() const override {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
  }

  std::string nonce() override { return random_nonce(); }

  // An address is compared as an address; a name is believed (looking it up would block the
  // node on DNS), and "localhost" is any loopback address.
  bool may_come_from(std::string_view remote_host, std::string_view,
                     std::string_view configured_host) const override {
    error_code ec;
    auto remote = asio::ip::make_address(std::string(remote_host), ec);
    if (ec) return false;
    if (configured_host == "localhost") return remote.is_loopback();
    auto configured = asio::ip::make_address(std::string(configured_host), ec);
    if (ec) return true;
    if (configured.is_loopback()) return remote.is_loopback();
    if (configured.is_unspecified()) return true;
    return remote == configured;
  }

  void fetch_places(const asio::any_io_executor& executor, const NearbyQuery& query,
                    io::PlacesHandler done) override {
    // The call blocks, so it runs on the blocking pool; the answer comes back to the node.
    asio::post(runtime_.blocking_pool(), [places = places_, query, executor,
                                          done = std::move(done)]() mutable {
      auto answer = places->fetch(query);
      asio::post(executor, [done = std::move(done), answer = std::move(answer)]() mutable {
        std::move(done)(std::move(answer));
      });
    });
  }

 private:
  Runtime& runtime_;
  const Clock& wall_;
  std::optional<Strand> strand_;
  // Shared with the calls in flight on the blocking pool, which may outlive the node.
  std::shared_ptr<PlacesClient> places_;
};

}  // namespace

std::shared_ptr<io::Environment> make_tcp_environment(Runtime& runtime,
                                                      const PlacesSettings& places,
                                                      const Clock& wall) {
  return std::make_shared<TcpEnvironment>(runtime, places, wall);
}

}  // namespace herd
