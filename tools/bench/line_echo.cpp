#include "tools/bench/line_echo.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/coro.hpp"

namespace herd::bench {
namespace {

// Complete lines of `in` move to `out`; what is left is a partial line.
void echo_lines(std::string& in, std::string& out) {
  auto last = in.rfind('\n');
  if (last == std::string::npos) return;
  out.append(in, 0, last + 1);
  in.erase(0, last + 1);
}

// The node's session loop (core/node.cpp) with the protocol taken out.
asio::awaitable<void> asio_session(tcp::socket socket) {
  std::array<char, 512> buffer;
  std::string in, out;
  error_code ec;
  socket.non_blocking(true, ec);
  for (;;) {
    auto [read_ec, n] = co_await socket.async_read_some(asio::buffer(buffer), use_tuple);
    if (read_ec) break;
    in.append(buffer.data(), n);
    echo_lines(in, out);
    if (out.empty()) continue;
    std::size_t written = socket.write_some(asio::buffer(out), ec);
    if (ec == asio::error::would_block) ec = {}, written = 0;
    if (ec) break;
    if (written < out.size()) {
      auto [write_ec, rest] = co_await asio::async_write(
          socket, asio::buffer(out.data() + written, out.size() - written), use_tuple);
      if (write_ec) break;
    }
    out.clear();
  }
}

asio::awaitable<void> asio_accept(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec) break;
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(acceptor.get_executor(), asio_session(std::move(socket)), asio::detached);
  }
}

int run_asio(std::uint16_t port, std::string& error) {
  asio::io_context io(1);
  tcp::acceptor acceptor(io);
  error_code ec;
  tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = ec.message();
    return 2;
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](const error_code&, int) { io.stop(); });
  asio::co_spawn(io, asio_accept(acceptor), asio::detached);
  io.run();
  return 0;
}

int run_epoll(std::uint16_t port, std::string& error) {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener, SOMAXCONN) != 0) {
    error = std::string("cannot listen: ") + std::strerror(errno);
    return 2;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
  int signals = ::signalfd(-1, &stop_signals, SFD_NONBLOCK);
  int epoll = ::epoll_create1(0);
  epoll_event interest{};
  interest.events = EPOLLIN;
  interest.data.fd = listener;
  ::epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &interest);
  interest.data.fd = signals;
  ::epoll_ctl(epoll, EPOLL_CTL_ADD, signals, &interest);
  std::unordered_map<int, std::string> partial;
  std::string out;
  char buffer[65536];
  epoll_event events[256];
  for (bool running = true; running;) {
    int ready = ::epoll_wait(epoll, events, 256, -1);
    for (int i = 0; i < ready; ++i) {
      int fd = events[i].data.fd;
      if (fd == signals) {
        running = false;
      } else if (fd == listener) {
        for (int client; (client = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0;) {
          ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          interest.data.fd = client;
          ::epoll_ctl(epoll, EPOLL_CTL_ADD, client, &interest);
        }
      } else {
        auto n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) {
          if (n < 0 && errno == EAGAIN) continue;
          partial.erase(fd);
          ::close(fd);
          continue;
        }
        auto& in = partial[fd];
        in.append(buffer, static_cast<std::size_t>(n));
        out.clear();
        echo_lines(in, out);
        // A closed-loop client never fills the socket buffer with its one line in flight.
        if (!out.empty()) [[maybe_unused]]
          auto written = ::write(fd, out.data(), out.size());
      }
    }
  }
  return 0;
}

}  // namespace

int run_line_echo(std::uint16_t port, EchoLoop loop, std::string& error) {
  return loop == EchoLoop::asio ? run_asio(port, error) : run_epoll(port, error);
}

}  // namespace herd::bench
