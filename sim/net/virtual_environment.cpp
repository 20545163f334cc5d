#include "sim/net/virtual_environment.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstring>
#include <deque>
#include <optional>

#include "core/io/environment.hpp"
#include "core/pausable_executor.hpp"
#include "core/places_format.hpp"
#include "sim/net/counted_executor.hpp"
#include "sim/net/virtual_network.hpp"
#include "sim/places/places_body.hpp"

namespace herd::vnet {

std::int64_t VirtualClock::now_ns() const {
  return epoch_ns + net_.now();
}

namespace {

namespace asio = boost::asio;
using io::error_code;
// What every handler of a node runs on: the loop's io_context, each piece of work counted.
using NodeExecutor = CountedExecutor<asio::io_context::executor_type>;

// Completions are posted, never run inside the call that started them. Every object a node makes
// gets the node's own executor (paused with it), the one its coroutines run on.
template <typename Handler, typename... Args>
void complete_later(const asio::any_io_executor& executor, Handler handler, Args... args) {
  asio::post(executor, [handler = std::move(handler), ... args = std::move(args)]() mutable {
    std::move(handler)(std::move(args)...);
  });
}

class VirtualStream final : public io::Stream {
 public:
  VirtualStream(VirtualNetwork& net, ConnectionId id, End end, asio::any_io_executor executor)
      : net_(net), id_(id), end_(end), executor_(std::move(executor)) {
    net_.set_receiver(id_, end_,
                      {[this] {
                         net_.read_into(id_, end_, inbox_);
                         // The last thing done here: the reader resumed may destroy this stream.
                         finish_read(net_.acting_in_place());
                       },
                       [this](bool reset) {
                         (reset ? reset_ : eof_) = true;
                         finish_read();
                       },
                       [this](std::string_view bytes) {
                         // Straight into a waiting read's buffer when nothing is ahead of them.
                         if (inbox_.empty() && pending_ && !closed_) {
                           auto n = std::min(bytes.size(), pending_->first.size());
                           std::memcpy(pending_->first.data(), bytes.data(), n);
                           inbox_.append(bytes.substr(n));
                           complete_read(error_code(), n, net_.acting_in_place());
                           return;
                         }
                         inbox_.append(bytes);
                         finish_read(net_.acting_in_place());
                       }});
    net_.read_into(id_, end_, inbox_);
  }
  ~VirtualStream() override {
    close();
    net_.set_receiver(id_, end_, {});
  }

  void async_read_some(asio::mutable_buffer into, io::IoHandler done) override {
    if (closed_)
      return complete_later(executor_, std::move(done), error_code(asio::error::bad_descriptor),
                            std::size_t{0});
    pending_.emplace(into, std::move(done));
    finish_read();
  }
  void async_write(asio::const_buffer bytes, io::IoHandler done) override {
    error_code ec;
    auto n = write_some(bytes, ec);
    complete_later(executor_, std::move(done), ec, n);
  }
  std::size_t write_some(asio::const_buffer bytes, error_code& ec) override {
    if (closed_ || reset_ || shut_) {
      ec = closed_ ? asio::error::bad_descriptor : asio::error::broken_pipe;
      return 0;
    }
    if (!net_.write(id_, end_, {static_cast<const char*>(bytes.data()), bytes.size()})) {
      ec = asio::error::broken_pipe;
      return 0;
    }
    return bytes.size();
  }
  void shutdown_send() override {
    if (shut_ || closed_) return;
    shut_ = true;
    net_.close(id_, end_);
  }
  void close() override {
    if (closed_) return;
    closed_ = true;
    if (!shut_) net_.close(id_, end_);
    shut_ = true;
    if (pending_) {
      auto done = std::move(pending_->second);
      pending_.reset();
      complete_later(executor_, std::move(done), error_code(asio::error::operation_aborted),
                     std::size_t{0});
    }
  }
  std::string peer_label() const override {
    return net_.host_of(id_, other(end_)) + "#" + std::to_string(id_);
  }
  std::string peer_host() const override { return net_.host_of(id_, other(end_)); }

 private:
  // `in_place`: the network allows the read to complete here and now, where it is not inside the
  // call that started it; then it does unless the node is paused. Completing is the last thing
  // done: the reader it resumes may destroy this stream.
  void finish_read(bool in_place = false) {
    if (!pending_ || closed_) return;
    error_code ec;
    std::size_t n = 0;
    if (!inbox_.empty()) {
      n = std::min(inbox_.size(), pending_->first.size());
      std::memcpy(pending_->first.data(), inbox_.data(), n);
      inbox_.erase(0, n);
    } else if (reset_) {
      ec = asio::error::connection_reset;
    } else if (eof_) {
      ec = asio::error::eof;
    } else {
      return;
    }
    complete_read(ec, n, in_place);
  }
  // Ends the waiting read with what it got. The last thing done: the reader it resumes may
  // destroy this stream.
  void complete_read(error_code ec, std::size_t n, bool in_place) {
    auto done = std::move(pending_->second);
    pending_.reset();
    if (in_place && runs_now(executor_)) {
      std::move(done)(ec, n);
      return;
    }
    complete_later(executor_, std::move(done), ec, n);
  }

  // Whether work given to `executor` now would run rather than be held: a node's own executor
  // that is not paused. Anything else is left to the executor.
  static bool runs_now(const asio::any_io_executor& executor) {
    const auto* gated = executor.target<PausableExecutor<NodeExecutor>>();
    return gated != nullptr && !gated->paused();
  }

  VirtualNetwork& net_;
  ConnectionId id_;
  End end_;
  asio::any_io_executor executor_;
  std::string inbox_;
  std::optional<std::pair<asio::mutable_buffer, io::IoHandler>> pending_;
  bool eof_ = false, reset_ = false, shut_ = false, closed_ = false;
};

class VirtualListener final : public io::Listener {
 public:
  VirtualListener(VirtualNetwork& net, asio::any_io_executor executor)
      : net_(net), executor_(std::move(executor)) {}
  ~VirtualListener() override { close(); }

  bool listen(const std::string& host, std::uint16_t port) {
    port_ = port;
    id_ = net_.listen(host, port, [this](ConnectionId id) {
      // The stream exists from the start, so nothing the client sends or closes is missed.
      backlog_.push_back(std::make_unique<VirtualStream>(net_, id, End::acceptor, executor_));
      finish_accept();
    });
    return id_ != 0;
  }
  void async_accept(io::StreamHandler done) override {
    if (id_ == 0)
      return complete_later(executor_, std::move(done), error_code(asio::error::bad_descriptor),
                            std::unique_ptr<io::Stream>());
    pending_ = std::move(done);
    finish_accept();
  }
  void close() override {
    if (id_ == 0) return;
    net_.stop_listening(port_, id_);
    id_ = 0;
    backlog_.clear();
    if (pending_) {
      auto done = std::move(*pending_);
      pending_.reset();
      complete_later(executor_, std::move(done), error_code(asio::error::operation_aborted),
                     std::unique_ptr<io::Stream>());
    }
  }
  std::uint16_t port() const override { return port_; }

 private:
  void finish_accept() {
    if (!pending_ || backlog_.empty()) return;
    auto done = std::move(*pending_);
    pending_.reset();
    std::unique_ptr<io::Stream> stream = std::move(backlog_.front());
    backlog_.pop_front();
    complete_later(executor_, std::move(done), error_code(), std::move(stream));
  }

  VirtualNetwork& net_;
  asio::any_io_executor executor_;
  std::uint16_t port_ = 0;
  VirtualNetwork::ListenerId id_ = 0;
  std::deque<std::unique_ptr<VirtualStream>> backlog_;
  std::optional<io::StreamHandler> pending_;
};

class VirtualTimer final : public io::Timer {
 public:
  VirtualTimer(VirtualNetwork& net, asio::any_io_executor executor)
      : net_(net), executor_(std::move(executor)), state_(std::make_shared<State>()) {}
  ~VirtualTimer() override { cancel(); }

  void expires_after(std::chrono::milliseconds delay) override {
    cancel();
    state_->expiry = net_.now() + delay.count() * millisecond;
  }
  void expires_never() override {
    cancel();
    state_->expiry.reset();
  }
  void async_wait(io::WaitHandler done) override {
    cancel();
    state_->pending = std::move(done);
    if (!state_->expiry) return;
    std::weak_ptr<State> weak = state_;
    net_.at(*state_->expiry, [weak, generation = state_->generation, executor = executor_] {
      auto state = weak.lock();
      if (!state || state->generation != generation || !state->pending) return;
      auto done = std::move(*state->pending);
      state->pending.reset();
      complete_later(executor, std::move(done), error_code());
    });
  }
  void cancel() override {
    ++state_->generation;
    if (!state_->pending) return;
    auto done = std::move(*state_->pending);
    state_->pending.reset();
    complete_later(executor_, std::move(done), error_code(asio::error::operation_aborted));
  }

 private:
  struct State {
    std::optional<Time> expiry;
    std::optional<io::WaitHandler> pending;
    std::uint64_t generation = 0;
  };
  VirtualNetwork& net_;
  asio::any_io_executor executor_;
  std::shared_ptr<State> state_;
};

class VirtualEnvironment final : public io::Environment {
 public:
  VirtualEnvironment(VirtualNetwork& net, asio::io_context& io,
                     std::atomic<std::uint64_t>& handlers_given, std::string host,
                     VirtualPlaces& places, PlacesSettings settings)
      : net_(net),
        executor_(io.get_executor(), &handlers_given),
        host_(std::move(host)),
        places_(places),
        settings_(std::move(settings)) {}

  // One thread runs everything, the world's caller: the io_context is every node's strand.
  asio::any_io_executor strand() override { return executor_; }
  asio::any_io_executor gated(const std::shared_ptr<PauseGate>& gate) override {
    return PausableExecutor<NodeExecutor>(executor_, gate);
  }
  std::int64_t wall_ns() const override { return VirtualClock::epoch_ns + net_.now(); }
  bool runs_on_caller() const override { return true; }

  std::unique_ptr<io::Listener> listen(const asio::any_io_executor& executor, const std::string&,
                                       std::uint16_t port, error_code& ec) override {
    auto listener = std::make_unique<VirtualListener>(net_, executor);
    // Port 0: the first free port from 20000, the same in every run.
    if (port == 0) port = net_.first_free_port(20000);
    if (!listener->listen(host_, port)) {
      ec = asio::error::address_in_use;
      return nullptr;
    }
    return listener;
  }

  void async_connect(const asio::any_io_executor& executor, const std::string&, std::uint16_t port,
                     int timeout_ms, io::StreamHandler done) override {
    struct Attempt {
      std::optional<io::StreamHandler> done;
    };
    auto attempt = std::make_shared<Attempt>();
    attempt->done = std::move(done);
    auto& net = net_;
    net_.connect(host_, port, [attempt, executor, &net](std::optional<ConnectionId> id) {
      if (!attempt->done) {
        if (id) net.reset(*id);  // it gave up before the answer came
        return;
      }
      auto finish = std::move(*attempt->done);
      attempt->done.reset();
      if (!id)
        return complete_later(executor, std::move(finish),
                              error_code(asio::error::connection_refused),
                              std::unique_ptr<io::Stream>());
      complete_later(executor, std::move(finish), error_code(),
                     std::unique_ptr<io::Stream>(
                         std::make_unique<VirtualStream>(net, *id, End::initiator, executor)));
    });
    net_.after(static_cast<Time>(timeout_ms) * millisecond, [attempt, executor] {
      if (!attempt->done) return;
      auto finish = std::move(*attempt->done);
      attempt->done.reset();
      complete_later(executor, std::move(finish), error_code(asio::error::timed_out),
                     std::unique_ptr<io::Stream>());
    });
  }

  std::unique_ptr<io::Timer> make_timer(const asio::any_io_executor& executor) override {
    return std::make_unique<VirtualTimer>(net_, executor);
  }

  std::int64_t steady_ms() const override { return net_.now() / millisecond; }

  std::string nonce() override {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (int word = 0; word < 2; ++word) {
      auto bits = net_.random().next();
      for (int i = 0; i < 16; ++i, bits >>= 4) out.push_back(hex[bits & 15]);
    }
    return out;
  }

  // Every host has one name, and a server's links leave from the host named after it.
  bool may_come_from(std::string_view remote_host, std::string_view name,
                     std::string_view) const override {
    return remote_host == name;
  }

  void fetch_places(const asio::any_io_executor& executor, const NearbyQuery& query,
                    io::PlacesHandler done) override {
    auto location = nearby_location(query);
    if (places_.on_call)
      places_.on_call(host_, "location=" + location + " radius=" + query.radius_metres);
    const auto faults = places_.faults;
    PlacesAnswer answer;
    Time delay = static_cast<Time>(faults.latency_ms) * millisecond;
    auto failed = [&](std::string message) {
      answer.body = places_error_body(message);
      answer.problem = std::move(message);
    };
    if (faults.silent || faults.latency_ms >= settings_.timeout_ms) {
      // The client gives up, as PlacesClient does on real sockets.
      delay = static_cast<Time>(settings_.timeout_ms) * millisecond;
      failed("Places timed out after " + std::to_string(settings_.timeout_ms) + " ms");
    } else if (auto mock = mock_places_answer(location, query.radius_metres, faults);
               mock.status == 200) {
      answer = shape_legacy_answer(mock.body, query.bound);
    } else {
      failed("Places answered HTTP " + std::to_string(mock.status));
    }
    // The node may crash before the answer: the event holds nothing of this environment.
    // Shared: the network's events are copyable functions, and a handler is not.
    auto handler = std::make_shared<io::PlacesHandler>(std::move(done));
    net_.after(delay, [&places = places_, executor, handler, answer = std::move(answer),
                       host = host_]() mutable {
      if (places.on_answer) places.on_answer(host, answer.body.substr(0, answer.body.find('\n')));
      complete_later(executor, std::move(*handler), std::move(answer));
    });
  }

 private:
  VirtualNetwork& net_;
  NodeExecutor executor_;
  std::string host_;
  VirtualPlaces& places_;
  PlacesSettings settings_;
};

}  // namespace

std::shared_ptr<io::Environment> make_virtual_environment(
    VirtualNetwork& net, boost::asio::io_context& io, std::atomic<std::uint64_t>& handlers_given,
    std::string host, VirtualPlaces& places, PlacesSettings settings) {
  return std::make_shared<VirtualEnvironment>(net, io, handlers_given, std::move(host), places,
                                              std::move(settings));
}

}  // namespace herd::vnet
