#pragma once
// The node's outside world, chosen at run time: the strand its handlers run on, listeners and
// streams, timers, the wall and steady clocks, randomness and Places. The node's code is written
// once against this one interface; a process runs it on real sockets (tcp_environment.hpp) and
// the simulator on its in-memory network with a virtual clock (sim/net/virtual_environment.hpp),
// as FoundationDB swaps Net2 for Sim2 behind one INetwork. Internal to core/ and the simulator's
// network: it includes Asio.
//
// Operations take type-erased completion handlers, so one compiled node serves both worlds, and
// complete through the handler's executor, never inside the call (the usual Asio promise).
// Closing a stream or cancelling a timer ends what waits on it with operation_aborted.

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/places_client.hpp"

namespace herd {
class PauseGate;  // core/pausable_executor.hpp
}

namespace herd::io {

namespace asio = boost::asio;
using error_code = boost::system::error_code;
using IoHandler = asio::any_completion_handler<void(error_code, std::size_t)>;
using WaitHandler = asio::any_completion_handler<void(error_code)>;
using PlacesHandler = asio::any_completion_handler<void(PlacesAnswer)>;

// One connection's byte stream, as TCP gives it: in order, until the other end closes or resets.
class Stream {
 public:
  virtual ~Stream() = default;
  virtual void async_read_some(asio::mutable_buffer into, IoHandler done) = 0;
  // Writes every byte of `bytes`, which the caller keeps alive until `done`.
  virtual void async_write(asio::const_buffer bytes, IoHandler done) = 0;
  // What goes at once without waiting (0 when the stream is full); an error only when it broke.
  virtual std::size_t write_some(asio::const_buffer bytes, error_code& ec) = 0;
  virtual void shutdown_send() = 0;
  virtual void close() = 0;
  // Who is at the other end, for logs: "127.0.0.1:60456".
  [[nodiscard]] virtual std::string peer_label() const = 0;
  // The other end's address alone ("127.0.0.1"; a host's name on the virtual network).
  [[nodiscard]] virtual std::string peer_host() const = 0;
};

using StreamHandler = asio::any_completion_handler<void(error_code, std::unique_ptr<Stream>)>;

class Listener {
 public:
  virtual ~Listener() = default;
  virtual void async_accept(StreamHandler done) = 0;
  virtual void close() = 0;
  [[nodiscard]] virtual std::uint16_t port() const = 0;
};

class Timer {
 public:
  virtual ~Timer() = default;
  virtual void expires_after(std::chrono::milliseconds delay) = 0;
  // A timer that never expires: a wait on it ends only when cancelled (a wake-up signal).
  virtual void expires_never() = 0;
  virtual void async_wait(WaitHandler done) = 0;
  virtual void cancel() = 0;
};

class Environment {
 public:
  virtual ~Environment() = default;
  // Where the node's handlers run one at a time: its own strand (the same one at every call).
  [[nodiscard]] virtual asio::any_io_executor strand() = 0;
  // The strand behind `gate`: everything the node does runs there, so that closing the gate
  // freezes the node as SIGSTOP freezes a process (pausable_executor.hpp).
  [[nodiscard]] virtual asio::any_io_executor gated(const std::shared_ptr<PauseGate>& gate) = 0;
  // Nanoseconds since the POSIX epoch: the date a node stamps its AT lines and logs with.
  [[nodiscard]] virtual std::int64_t wall_ns() const = 0;
  // Whether the caller runs the io_context itself between its calls (the virtual world): a
  // node's pause and stop then take effect at the caller's next poll, with nothing to wait for.
  [[nodiscard]] virtual bool runs_on_caller() const = 0;
  // Listens on host:port (0: any free port). A port in use is an error value.
  [[nodiscard]] virtual std::unique_ptr<Listener> listen(const asio::any_io_executor& executor,
                                                         const std::string& host,
                                                         std::uint16_t port, error_code& ec) = 0;
  // Connects to host:port; no answer within timeout_ms (a blackhole) ends with timed_out.
  virtual void async_connect(const asio::any_io_executor& executor, const std::string& host,
                             std::uint16_t port, int timeout_ms, StreamHandler done) = 0;
  [[nodiscard]] virtual std::unique_ptr<Timer> make_timer(
      const asio::any_io_executor& executor) = 0;
  // Milliseconds on a clock that never goes back, for timeouts and backoff.
  [[nodiscard]] virtual std::int64_t steady_ms() const = 0;
  // 32 hex digits for the peer handshake.
  [[nodiscard]] virtual std::string nonce() = 0;
  // Whether a connection from `remote_host` (a Stream's peer_host) may be the neighbour `name`
  // configured at `configured_host`: a greeting as that neighbour is believed only then.
  [[nodiscard]] virtual bool may_come_from(std::string_view remote_host, std::string_view name,
                                           std::string_view configured_host) const = 0;
  // Places' answer shaped for WHATSAT (an error object when it fails, with what to tell the
  // log), never blocking the node.
  virtual void fetch_places(const asio::any_io_executor& executor, const NearbyQuery& query,
                            PlacesHandler done) = 0;
};

// The same operations as completion-token functions, so coroutines can co_await them.
template <typename Token>
auto async_read_some(Stream& stream, asio::mutable_buffer into, Token&& token) {
  return asio::async_initiate<Token, void(error_code, std::size_t)>(
      [](auto handler, Stream* s, asio::mutable_buffer b) {
        s->async_read_some(b, IoHandler(std::move(handler)));
      },
      token, &stream, into);
}

template <typename Token>
auto async_write(Stream& stream, asio::const_buffer bytes, Token&& token) {
  return asio::async_initiate<Token, void(error_code, std::size_t)>(
      [](auto handler, Stream* s, asio::const_buffer b) {
        s->async_write(b, IoHandler(std::move(handler)));
      },
      token, &stream, bytes);
}

template <typename Token>
auto async_accept(Listener& listener, Token&& token) {
  return asio::async_initiate<Token, void(error_code, std::unique_ptr<Stream>)>(
      [](auto handler, Listener* l) { l->async_accept(StreamHandler(std::move(handler))); }, token,
      &listener);
}

template <typename Token>
auto async_connect(Environment& env, const asio::any_io_executor& executor, const std::string& host,
                   std::uint16_t port, int timeout_ms, Token&& token) {
  return asio::async_initiate<Token, void(error_code, std::unique_ptr<Stream>)>(
      [&env, &executor, &host, port, timeout_ms](auto handler) {
        env.async_connect(executor, host, port, timeout_ms, StreamHandler(std::move(handler)));
      },
      token);
}

template <typename Token>
auto async_wait(Timer& timer, Token&& token) {
  return asio::async_initiate<Token, void(error_code)>(
      [](auto handler, Timer* t) { t->async_wait(WaitHandler(std::move(handler))); }, token,
      &timer);
}

template <typename Token>
auto async_fetch_places(Environment& env, const asio::any_io_executor& executor,
                        const NearbyQuery& query, Token&& token) {
  return asio::async_initiate<Token, void(PlacesAnswer)>(
      [&env, &executor, &query](auto handler) {
        env.fetch_places(executor, query, PlacesHandler(std::move(handler)));
      },
      token);
}

}  // namespace herd::io
