#include "sim/net/fault_proxy.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstdio>
#include <functional>
#include <future>
#include <mutex>
#include <random>
#include <unordered_set>

#include "core/coro.hpp"
#include "core/runtime.hpp"

namespace herd {

namespace {

// One proxied TCP connection: `inbound` from the link's owner, `outbound` to the target node.
struct Pair {
  Pair(const asio::any_io_executor& ex, std::uint64_t n)
      : inbound(ex), outbound(ex), wake(ex), back_wake(ex), number(n) {}
  void wake_pumps() {
    wake.cancel();
    back_wake.cancel();
  }
  void close(bool reset) {
    error_code ignored;
    if (reset) {
      inbound.set_option(asio::socket_base::linger(true, 0), ignored);
      outbound.set_option(asio::socket_base::linger(true, 0), ignored);
    }
    inbound.close(ignored);
    outbound.close(ignored);
    closed = true;
    wake_pumps();
  }
  tcp::socket inbound, outbound;
  // Each pump sleeps on its own timer (a delay, or a stall until the faults change): a timer's
  // new wait cancels the one before, so a shared one had each pump wake the other.
  asio::steady_timer wake;       // the forward pump's
  asio::steady_timer back_wake;  // the backward pump's
  std::uint64_t number;          // for the observer
  bool closed = false;
};

}  // namespace

struct FaultProxy::Impl : std::enable_shared_from_this<FaultProxy::Impl> {
  Impl(Runtime& rt, std::string f, std::string t, std::uint16_t target, std::uint64_t seed,
       ProxySockets s)
      : runtime(rt),
        from(std::move(f)),
        to(std::move(t)),
        target_port(target),
        sockets(std::move(s)),
        strand(asio::make_strand(rt.io())),
        acceptor(strand),
        plug(strand),
        random(seed),
        port(sockets.port) {}

  // Opens `socket` (an acceptor or a socket) as a new TCP/IPv4 socket, made by `make` when the
  // proxy's sockets belong in another network namespace.
  template <typename Socket>
  static error_code open(Socket& socket, const std::function<int()>& make) {
    error_code ec;
    if (!make) {
      socket.open(tcp::v4(), ec);
      return ec;
    }
    int fd = make();
    if (fd < 0) return error_code(errno, boost::system::system_category());
    socket.assign(tcp::v4(), fd, ec);
    if (ec) ::close(fd);
    return ec;
  }

  // What the proxy's port does: accept, refuse (bound, not listening), or swallow connects (a
  // listen queue of one, filled by the proxy itself, so the kernel ignores further SYNs).
  enum class Door { accepting, refusing, blackholed };

  Runtime& runtime;
  std::string from, to;
  std::uint16_t target_port;
  ProxySockets sockets;
  asio::strand<asio::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  tcp::socket plug;  // the connection that fills the listen queue while blackholed
  Door door = Door::accepting;
  bool target_up = true;
  std::uint64_t door_generation = 0;  // an accept loop ends when the door changes under it
  std::mt19937_64 random;
  LinkFaults faults;  // read and written on the strand
  mutable std::mutex faults_copy_mutex;
  LinkFaults faults_copy;  // for readers on other threads
  std::unordered_set<std::shared_ptr<Pair>> pairs;
  ProxyObserver observer;
  std::uint64_t next_pair = 1;
  std::uint16_t port;
  bool stopped = false;                     // on the strand
  std::atomic<bool> stop_requested{false};  // from any thread: stop() runs once

  void close_all(bool reset, const char* why) {
    for (auto& pair : pairs) {
      pair->close(reset);
      if (observer.ended) observer.ended(pair->number, why);
    }
    pairs.clear();
  }

  // Any traffic on the current connections waits: held, or lost in a blackhole until it ends.
  [[nodiscard]] bool stalled() const { return faults.hold || faults.drop; }

  [[nodiscard]] Door wanted_door() const {
    if (faults.cut || !target_up) return Door::refusing;
    if (faults.drop) return Door::blackholed;
    return Door::accepting;
  }

  // Reopens the port in the state `wanted`, on the same port number.
  error_code open_door(Door wanted);

  void apply(const LinkFaults& next) {
    faults = next;
    if (faults.cut || !target_up) close_all(false, faults.cut ? "cut" : "crash");
    if (!stopped && wanted_door() != door) {
      if (auto ec = open_door(wanted_door()))
        std::fprintf(stderr, "fault proxy %s -> %s: cannot reopen port %u: %s\n", from.c_str(),
                     to.c_str(), port, ec.message().c_str());
    }
    for (auto& pair : pairs) pair->wake_pumps();  // stalled pumps look again
  }

  std::chrono::milliseconds next_delay() {
    if (faults.latency_ms == 0 && faults.jitter_ms == 0) return std::chrono::milliseconds(0);
    std::uniform_int_distribution<int> jitter(-faults.jitter_ms, faults.jitter_ms);
    return std::chrono::milliseconds(std::max(0, faults.latency_ms + jitter(random)));
  }
};

namespace {

using ImplPtr = std::shared_ptr<FaultProxy::Impl>;

// Sleeps until `deadline` on the forward pump's timer; a change of faults wakes it early, and it
// sleeps on.
asio::awaitable<void> sleep_until(Pair& pair, std::chrono::steady_clock::time_point deadline) {
  while (!pair.closed && std::chrono::steady_clock::now() < deadline) {
    pair.wake.expires_at(deadline);
    co_await pair.wake.async_wait(use_tuple);
  }
}

// While the link is held or dropped, waits on `timer` for the faults to change.
asio::awaitable<void> wait_while(Pair& pair, asio::steady_timer& timer,
                                 const std::function<bool()>& stalled) {
  while (stalled() && !pair.closed) {
    timer.expires_at(asio::steady_timer::time_point::max());
    co_await timer.async_wait(use_tuple);
  }
}

// Bytes from the link's owner to the target, through the faults.
asio::awaitable<void> pump_forward(ImplPtr proxy, std::shared_ptr<Pair> pair) {
  char buffer[16 * 1024];
  auto stalled = [&proxy] { return proxy->stalled(); };
  while (!pair->closed) {
    auto [ec, n] = co_await pair->inbound.async_read_some(asio::buffer(buffer), use_tuple);
    if (ec) break;
    if (proxy->observer.sent) proxy->observer.sent(pair->number, true, {buffer, n});
    co_await wait_while(*pair, pair->wake, stalled);
    // Sleeping before the write keeps the stream in order: TCP never reorders one connection.
    if (auto delay = proxy->next_delay(); delay.count() > 0)
      co_await sleep_until(*pair, std::chrono::steady_clock::now() + delay);
    std::size_t piece =
        proxy->faults.slice_bytes > 0 ? static_cast<std::size_t>(proxy->faults.slice_bytes) : n;
    for (std::size_t offset = 0; offset < n && !pair->closed;) {
      // A hold or drop set while this chunk waited holds the rest of it too.
      co_await wait_while(*pair, pair->wake, stalled);
      std::size_t length = std::min(piece, n - offset);
      auto [write_ec, written] = co_await asio::async_write(
          pair->outbound, asio::buffer(buffer + offset, length), use_tuple);
      if (write_ec) {
        pair->close(false);
        break;
      }
      if (proxy->observer.delivered)
        proxy->observer.delivered(pair->number, true, {buffer + offset, length});
      offset += length;
      if (proxy->faults.bytes_per_s > 0)
        co_await sleep_until(
            *pair, std::chrono::steady_clock::now() +
                       std::chrono::microseconds(length * 1'000'000 / proxy->faults.bytes_per_s));
    }
  }
  error_code ignored;
  pair->outbound.shutdown(tcp::socket::shutdown_send, ignored);
}

// Whatever the target answers goes back unchanged (a herd node answers nothing on a link), but
// not through a blackhole.
asio::awaitable<void> pump_back(ImplPtr proxy, std::shared_ptr<Pair> pair) {
  char buffer[4096];
  while (!pair->closed) {
    auto [ec, n] = co_await pair->outbound.async_read_some(asio::buffer(buffer), use_tuple);
    if (ec) break;
    if (proxy->observer.sent) proxy->observer.sent(pair->number, false, {buffer, n});
    co_await wait_while(*pair, pair->back_wake, [&proxy] { return proxy->faults.drop; });
    auto [write_ec, written] =
        co_await asio::async_write(pair->inbound, asio::buffer(buffer, n), use_tuple);
    if (write_ec) break;
    if (proxy->observer.delivered) proxy->observer.delivered(pair->number, false, {buffer, n});
  }
  pair->close(false);
}

asio::awaitable<void> serve_pair(ImplPtr proxy, std::shared_ptr<Pair> pair) {
  if (auto opened = FaultProxy::Impl::open(pair->outbound, proxy->sockets.outbound)) {
    pair->close(false);
    proxy->pairs.erase(pair);
    co_return;
  }
  auto [ec] = co_await pair->outbound.async_connect(
      tcp::endpoint(asio::ip::address_v4::loopback(), proxy->target_port), use_tuple);
  // The target is down or the link was cut meanwhile: the owner sees its connection close.
  if (ec || proxy->faults.cut || pair->closed) {
    pair->close(false);
    proxy->pairs.erase(pair);
    co_return;
  }
  pair->outbound.set_option(tcp::no_delay(true), ec);
  asio::co_spawn(proxy->strand, pump_back(proxy, pair), asio::detached);
  co_await pump_forward(proxy, pair);
  // A faults' close reported its own reason and took the pair out first.
  if (proxy->pairs.erase(pair) != 0 && proxy->observer.ended)
    proxy->observer.ended(pair->number, "closed");
}

asio::awaitable<void> accept_loop(ImplPtr proxy, std::uint64_t generation) {
  while (!proxy->stopped && proxy->door_generation == generation) {
    auto pair = std::make_shared<Pair>(proxy->strand, proxy->next_pair);
    auto [ec] = co_await proxy->acceptor.async_accept(pair->inbound, use_tuple);
    if (proxy->stopped || proxy->door_generation != generation) break;
    if (ec) continue;
    pair->inbound.set_option(tcp::no_delay(true), ec);
    ++proxy->next_pair;
    proxy->pairs.insert(pair);
    asio::co_spawn(proxy->strand, serve_pair(proxy, pair), asio::detached);
  }
}

}  // namespace

error_code FaultProxy::Impl::open_door(Door wanted) {
  error_code ec, ignored;
  acceptor.close(ignored);
  plug.close(ignored);
  ++door_generation;
  door = wanted;
  tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
  ec = open(acceptor, sockets.listening);
  // The old connections may sit in TIME_WAIT on this port.
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (ec) return ec;
  switch (wanted) {
    case Door::refusing:
      break;  // bound, so the port stays ours, but a connect is refused
    case Door::blackholed:
      // A queue of one, filled by our own connect and never accepted: the kernel drops every
      // later SYN, so a connect waits and times out as it would across a blackhole.
      acceptor.listen(0, ec);
      if (!ec) ec = open(plug, sockets.listening);
      if (!ec) plug.connect(endpoint, ec);
      break;
    case Door::accepting:
      acceptor.listen(asio::socket_base::max_listen_connections, ec);
      if (!ec)
        asio::co_spawn(strand, accept_loop(shared_from_this(), door_generation), asio::detached);
      break;
  }
  return ec;
}

FaultProxy::FaultProxy(Runtime& runtime, std::string from, std::string to,
                       std::uint16_t target_port, std::uint64_t seed, ProxySockets sockets)
    : impl_(std::make_shared<Impl>(runtime, std::move(from), std::move(to), target_port, seed,
                                   std::move(sockets))) {}

FaultProxy::~FaultProxy() {
  stop();
}

std::error_code FaultProxy::start() {
  auto& p = *impl_;
  error_code ec;
  tcp::endpoint endpoint(asio::ip::address_v4::loopback(), p.port);
  ec = Impl::open(p.acceptor, p.sockets.listening);
  if (!ec) p.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) p.acceptor.bind(endpoint, ec);
  if (!ec) p.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return ec;
  p.port = p.acceptor.local_endpoint().port();
  asio::co_spawn(p.strand, accept_loop(impl_, p.door_generation), asio::detached);
  return {};
}

void FaultProxy::set_observer(ProxyObserver observer) {
  impl_->observer = std::move(observer);
}

std::uint16_t FaultProxy::port() const {
  return impl_->port;
}
const std::string& FaultProxy::from() const {
  return impl_->from;
}
const std::string& FaultProxy::to() const {
  return impl_->to;
}

void FaultProxy::set_faults(const LinkFaults& faults) {
  {
    std::lock_guard lock(impl_->faults_copy_mutex);
    impl_->faults_copy = faults;
  }
  run_and_wait([faults](Impl& proxy) { proxy.apply(faults); });
}

LinkFaults FaultProxy::faults() const {
  std::lock_guard lock(impl_->faults_copy_mutex);
  return impl_->faults_copy;
}

void FaultProxy::set_target_up(bool up) {
  run_and_wait([up](Impl& proxy) {
    proxy.target_up = up;
    proxy.apply(proxy.faults);
  });
}

void FaultProxy::reset_connections() {
  run_and_wait([](Impl& proxy) { proxy.close_all(true, "reset"); });
}

void FaultProxy::run_and_wait(std::function<void(Impl&)> change) {
  // Shared with the posted handler, which may run after a timed-out wait has returned.
  auto applied = std::make_shared<std::promise<void>>();
  auto done = applied->get_future();
  asio::post(impl_->strand, [proxy = impl_, applied, change = std::move(change)] {
    if (!proxy->stopped) change(*proxy);
    applied->set_value();
  });
  // The io_context normally runs; if it no longer does, nothing is left to change anyway.
  done.wait_for(std::chrono::seconds(5));
}

void FaultProxy::stop() {
  if (impl_->stop_requested.exchange(true)) return;
  // Shared with the posted handler, which may run after a timed-out wait has returned.
  auto closed = std::make_shared<std::promise<void>>();
  auto done = closed->get_future();
  asio::post(impl_->strand, [proxy = impl_, closed] {
    if (!proxy->stopped) {
      proxy->stopped = true;
      ++proxy->door_generation;
      error_code ignored;
      proxy->acceptor.close(ignored);
      proxy->plug.close(ignored);
      proxy->close_all(false, "end of run");
    }
    closed->set_value();
  });
  // The io_context normally runs; if it no longer does, nothing is left to close anyway.
  done.wait_for(std::chrono::seconds(5));
}

}  // namespace herd
