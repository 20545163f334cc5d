#include "core/node.hpp"

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <future>
#include <optional>
#include <unordered_set>

#include "core/coro.hpp"
#include "core/location_store.hpp"
#include "core/node_log.hpp"
#include "core/open_files.hpp"
#include "core/peer_auth.hpp"
#include "core/peer_link.hpp"
#include "core/protocol.hpp"
#include "core/runtime.hpp"

namespace herd {

namespace {

// What a session knows of the other end: a client until it proves to be another server's link.
struct SessionPeer {
  bool is_peer = false;
  bool close = false;  // a failed handshake ends the connection
  std::string hello_from, link_nonce, node_nonce;
};

// A WHATSAT that passed validation and now waits for Places.
struct PendingWhatsat {
  NearbyQuery query;
  std::string at_line;
};

asio::awaitable<std::string> fetch_on_pool(std::shared_ptr<PlacesClient> places,
                                           NearbyQuery query) {
  co_return places->fetch(query);
}

std::string describe_endpoint(const tcp::socket& socket) {
  error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "client";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

struct Node::Impl : LinkOwner, std::enable_shared_from_this<Node::Impl> {
  Impl(Runtime& rt, NodeOptions opts, EventSink events, const Clock& clk)
      : runtime(rt),
        options(std::move(opts)),
        sink(std::move(events)),
        clock(clk),
        places(std::make_shared<PlacesClient>(options.places)),
        strand(asio::make_strand(rt.io())),
        acceptor(strand),
        flush_timer(strand),
        slot_free(strand) {
    if (options.max_clients == 0) options.max_clients = default_client_cap(open_file_limit(), 1);
  }

  Runtime& runtime;
  NodeOptions options;
  EventSink sink;
  const Clock& clock;
  // Shared with the WHATSAT calls in flight on the blocking pool, which may outlive a session.
  std::shared_ptr<PlacesClient> places;
  asio::strand<asio::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  asio::steady_timer flush_timer;
  asio::steady_timer slot_free;  // the accept loop sleeps on it while at max_clients
  LocationStore store;
  std::string at_scratch;  // the AT line being made for an IAMAT, reused to spare an allocation
  NodeLog log;
  std::vector<std::shared_ptr<PeerLink>> links;
  std::unordered_set<tcp::socket*> sessions;
  std::size_t counted_clients = 0;  // sessions not (yet) known to be peers: what max_clients caps
  std::uint16_t bound_port = 0;
  bool stopped = false;
  std::atomic<bool> started{false};  // set by start(); before it nothing runs on the strand

  void emit(EventKind kind, std::string_view peer, std::string_view text, std::size_t queue = 0) {
    if (!sink) return;
    sink(NodeEvent{kind, options.name, peer, text, clock.now_ns(), queue});
  }

  void note(std::string_view what, std::string_view text, bool also_stderr = false) {
    log.write(clock.now_ns(), what, text);
    if (also_stderr && options.log_to_stderr)
      std::fprintf(stderr, "%s: %.*s %.*s\n", options.name.c_str(), static_cast<int>(what.size()),
                   what.data(), static_cast<int>(text.size()), text.data());
  }

  // LinkOwner
  void on_link_event(const PeerEndpoint& peer, EventKind kind, std::string_view text,
                     std::size_t queue_bytes) override {
    std::string label = "[" + peer.name + "]";
    switch (kind) {
      case EventKind::link_up:
        note("LINK-UP", label + " " + peer.host + ":" + std::to_string(peer.port), true);
        break;
      case EventKind::link_down:
        note("LINK-DOWN", label + " " + std::string(text), true);
        break;
      case EventKind::line_out:
        log.write(clock.now_ns(), "OUT", label, text);
        break;
      default:
        log.write(clock.now_ns(), "IN", label, text);
        break;
    }
    emit(kind, peer.name, text, queue_bytes);
  }

  void on_link_note(const PeerEndpoint& peer, std::string_view text) override {
    note("NOTE", "[" + peer.name + "] " + std::string(text));
  }

  void for_each_record(const std::function<void(std::string_view)>& visit) const override {
    store.for_each([&visit](const RecordView& r) { visit(r.line); });
  }

  void reply(std::string& out, std::string_view label, std::string_view line) {
    out.append(line).push_back('\n');
    log.write(clock.now_ns(), "OUT", label, line);
    emit(EventKind::line_out, {}, line);
  }

  // Stores a record if it is newer and floods it to every neighbour but its origin.
  void accept_record(const RecordView& record) {
    auto stored = store.offer(record);
    if (!stored) {
      emit(EventKind::update_dropped, {}, record.line);
      return;
    }
    emit(EventKind::update_stored, {}, stored->line);
    auto origin = stored->server();
    for (auto& link : links)
      if (link->peer().name != origin) link->push(stored->line);
  }

  // With a peer secret, answers the handshake of peer_auth.hpp; true if `line` was part of it.
  bool handle_handshake(std::string_view line, std::string& out, std::string_view label,
                        SessionPeer& peer) {
    if (options.peer_secret.empty()) return false;
    std::array<std::string_view, 3> f{};
    std::size_t n = split_fields(line, f);
    if (n == 3 && f[0] == "HERD-HELLO") {
      peer.hello_from = std::string(f[1]);
      peer.link_nonce = std::string(f[2]);
      peer.node_nonce = random_nonce();
      reply(out, label, "HERD-CHALLENGE " + peer.node_nonce);
      return true;
    }
    if (n == 2 && f[0] == "HERD-AUTH" && !peer.node_nonce.empty()) {
      auto expected =
          peer_proof(options.peer_secret, peer.hello_from, peer.link_nonce, peer.node_nonce);
      if (proof_matches(expected, f[1])) {
        peer.is_peer = true;
        note("PEER", std::string(label) + " authenticated as " + peer.hello_from, true);
      } else {
        note("PEER",
             std::string(label) + " failed to authenticate as " + peer.hello_from + "; closing",
             true);
        reply(out, label, format_invalid(line));
        peer.close = true;
      }
      return true;
    }
    return false;
  }

  // `peer.is_peer` becomes true once the connection is known to be another server's link.
  std::optional<PendingWhatsat> handle_line(std::string_view line, std::string& out,
                                            std::string_view label, SessionPeer& peer) {
    auto received_ns = clock.now_ns();
    log.write(received_ns, "IN", label, line);
    emit(EventKind::line_in, {}, line);
    if (handle_handshake(line, out, label, peer)) return std::nullopt;
    auto command = parse_command(line);
    if (std::holds_alternative<AtMessage>(command) && !options.peer_secret.empty() &&
        !peer.is_peer) {
      note("PEER", std::string(label) + " AT from a connection that did not authenticate; refused",
           true);
      reply(out, label, format_invalid(line));
      return std::nullopt;
    }
    if (auto* iamat = std::get_if<IamatCommand>(&command)) {
      at_scratch.clear();
      append_at(at_scratch, options.name, received_ns, *iamat);
      reply(out, label, at_scratch);
      accept_record({iamat->time, at_scratch});
    } else if (auto* at = std::get_if<AtMessage>(&command)) {
      peer.is_peer = true;
      accept_record(record_from_at(*at, line));
    } else if (auto* whatsat = std::get_if<WhatsatCommand>(&command)) {
      auto known = store.find(whatsat->client);
      if (!known) {
        note("NOTE", std::string(label) + " WHATSAT for unknown client");
        reply(out, label, format_invalid(line));
        return std::nullopt;
      }
      auto stored = parse_command(known->line);
      const auto& location = std::get<AtMessage>(stored).location;
      PendingWhatsat pending;
      pending.query.latitude = std::string(location.latitude_text);
      pending.query.longitude = std::string(location.longitude_text);
      pending.query.radius_metres = format_radius_metres(whatsat->radius_km);
      pending.query.bound = whatsat->bound;
      pending.at_line = std::string(known->line);
      return pending;
    } else {
      note("NOTE", std::string(label) + " invalid: " + std::get<InvalidCommand>(command).reason);
      reply(out, label, format_invalid(line));
    }
    return std::nullopt;
  }

  void close_everything() {
    if (stopped) return;
    stopped = true;
    error_code ignored;
    acceptor.close(ignored);
    for (auto* socket : sessions) socket->close(ignored);
    for (auto& link : links) link->stop();
    slot_free.cancel();
    links.clear();
    flush_timer.cancel();
    slot_free.cancel();
    if (started) note("STOP", "node stopped", true);
    log.close();
  }
};

namespace {

using ImplPtr = std::shared_ptr<Node::Impl>;

auto log_failure(ImplPtr node, const char* what) {
  return [node, what](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      node->note("ERROR", std::string(what) + ": " + ex.what(), true);
    }
  };
}

asio::awaitable<void> write_all(tcp::socket& socket, std::string& out, error_code& ec) {
  auto [write_ec, n] = co_await asio::async_write(socket, asio::buffer(out), use_tuple);
  ec = write_ec;
  out.clear();
}

// Cuts a client off when it completes no line for idle_timeout_ms (slowloris included: bytes
// without a newline do not count as progress).
struct IdleWatch {
  explicit IdleWatch(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  tcp::socket* socket = nullptr;  // cleared when the session ends
  std::chrono::steady_clock::time_point deadline;
  bool exempt = false;
};

asio::awaitable<void> watch_idle(ImplPtr node, std::shared_ptr<IdleWatch> watch,
                                 std::string label) {
  while (watch->socket != nullptr) {
    watch->timer.expires_at(watch->deadline);
    co_await watch->timer.async_wait(use_tuple);
    if (watch->socket == nullptr || watch->exempt) co_return;
    if (std::chrono::steady_clock::now() < watch->deadline) continue;
    node->note("LIMIT",
               label + " idle for " + std::to_string(node->options.idle_timeout_ms) +
                   " ms without a complete line; closing",
               true);
    error_code ignored;
    watch->socket->close(ignored);
    co_return;
  }
}

asio::awaitable<void> serve_client(ImplPtr node, tcp::socket socket) {
  node->sessions.insert(&socket);
  const std::string label = "[" + describe_endpoint(socket) + "]";
  auto watch = std::make_shared<IdleWatch>(socket.get_executor());
  auto idle = std::chrono::milliseconds(node->options.idle_timeout_ms);
  watch->socket = &socket;
  watch->deadline = std::chrono::steady_clock::now() + idle;
  asio::co_spawn(node->strand, watch_idle(node, watch, label), log_failure(node, "idle watch"));
  ++node->counted_clients;
  bool counted = true;
  // A peer's link does not hold a client slot: a crowd of clients must not cut the herd apart.
  auto stop_counting = [&] {
    if (!counted) return;
    counted = false;
    --node->counted_clients;
    node->slot_free.cancel();
  };
  struct Unregister {
    Node::Impl& node;
    tcp::socket* socket;
    IdleWatch& watch;
    std::function<void()> stop_counting;
    ~Unregister() {
      stop_counting();
      node.sessions.erase(socket);
      watch.socket = nullptr;
      watch.timer.cancel();
    }
  } unregister{*node, &socket, *watch, stop_counting};

  std::string in, out;
  std::size_t scanned = 0;
  bool at_eof = false, too_long = false, refused = false;
  SessionPeer peer;
  error_code ec;
  char chunk[16 * 1024];
  const std::size_t max_line = node->options.max_line_bytes;

  // Handles one line; a WHATSAT first sends what is already answered, then waits for Places.
  auto handle = [&](std::string_view line) -> asio::awaitable<void> {
    if (line.size() > max_line) {
      too_long = true;
      co_return;
    }
    auto pending = node->handle_line(line, out, label, peer);
    watch->exempt = peer.is_peer;
    if (peer.is_peer) stop_counting();
    refused = peer.close;  // ends the session once the reply is written
    if (pending) {
      if (!out.empty()) co_await write_all(socket, out, ec);
      std::string body =
          co_await asio::co_spawn(node->runtime.blocking_pool(),
                                  fetch_on_pool(node->places, pending->query), asio::use_awaitable);
      node->reply(out, label, pending->at_line + "\n" + body + "\n");
    }
    watch->deadline = std::chrono::steady_clock::now() + idle;
  };

  while (!ec && !too_long && !refused) {
    std::size_t start = 0;
    for (auto end = in.find('\n', scanned);
         end != std::string::npos && !ec && !too_long && !refused; end = in.find('\n', start)) {
      co_await handle(strip_line_end(std::string_view(in).substr(start, end + 1 - start)));
      start = end + 1;
    }
    in.erase(0, start);
    scanned = in.size();
    too_long = too_long || in.size() > max_line;
    if (at_eof && !in.empty() && !ec && !too_long && !refused) {
      // SPEC.md: a last line without a newline still counts once the client half-closes.
      co_await handle(strip_line_end(in));
      in.clear();
    }
    if (too_long) {
      // The line itself is not echoed: it may be megabytes, and the rest of it never comes.
      node->note("LIMIT", label + " line over " + std::to_string(max_line) + " bytes; closing",
                 true);
      node->reply(out, label, "? [line over " + std::to_string(max_line) + " bytes]");
    }
    if (!out.empty() && !ec) co_await write_all(socket, out, ec);
    if (at_eof || ec || too_long || refused) break;
    auto [read_ec, n] = co_await socket.async_read_some(asio::buffer(chunk), use_tuple);
    if (read_ec == asio::error::eof) {
      at_eof = true;
    } else if (read_ec) {
      ec = read_ec;
    } else {
      in.append(chunk, n);
    }
  }
  error_code ignored;
  if (at_eof || too_long || refused) socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
}

asio::awaitable<void> accept_loop(ImplPtr node) {
  bool reported_full = false;
  while (!node->stopped) {
    if (node->counted_clients >= node->options.max_clients) {
      // New connections wait in the listen backlog until a session ends.
      if (!reported_full)
        node->note(
            "LIMIT",
            std::to_string(node->options.max_clients) + " client connections open; new ones wait",
            true);
      reported_full = true;
      node->slot_free.expires_at(asio::steady_timer::time_point::max());
      co_await node->slot_free.async_wait(use_tuple);
      continue;
    }
    reported_full = false;
    auto [ec, socket] = co_await node->acceptor.async_accept(use_tuple);
    if (node->stopped) break;
    if (ec) {
      node->note("ERROR", "accept failed: " + ec.message(), true);
      // Out of descriptors or similar: pause rather than spin, and keep serving.
      asio::steady_timer pause(node->strand, std::chrono::milliseconds(50));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(node->strand, serve_client(node, std::move(socket)),
                   log_failure(node, "client session"));
  }
}

asio::awaitable<void> flush_logs_periodically(ImplPtr node) {
  while (!node->stopped) {
    node->flush_timer.expires_after(std::chrono::milliseconds(500));
    co_await node->flush_timer.async_wait(use_tuple);
    node->log.flush();
  }
}

}  // namespace

Node::Node(Runtime& runtime, NodeOptions options, EventSink sink, const Clock& clock)
    : impl_(std::make_shared<Impl>(runtime, std::move(options), std::move(sink), clock)) {}

Node::~Node() {
  stop();
}

std::error_code Node::bind() {
  auto& node = *impl_;
  error_code ec;
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(node.options.listen_host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, node.options.port);
  } else {
    tcp::resolver resolver(node.runtime.io());
    auto results =
        resolver.resolve(node.options.listen_host, std::to_string(node.options.port), ec);
    if (ec) return ec;
    endpoint = *results.begin();
  }
  node.acceptor.open(endpoint.protocol(), ec);
  if (ec) return ec;
  // A restarted node must get its port back while the old connections sit in TIME_WAIT.
  node.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) node.acceptor.bind(endpoint, ec);
  if (!ec) node.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    node.acceptor.close(ignored);
    return ec;
  }
  node.bound_port = node.acceptor.local_endpoint().port();
  std::string error;
  if (!node.log.open(node.options.log_dir, node.options.name, error))
    return std::make_error_code(std::errc::permission_denied);
  return {};
}

std::uint16_t Node::port() const {
  return impl_->bound_port;
}
const std::string& Node::name() const {
  return impl_->options.name;
}

void Node::set_peers(std::vector<PeerEndpoint> peers) {
  impl_->options.peers = std::move(peers);
}

void Node::start() {
  auto node = impl_;
  node->started = true;
  asio::post(node->strand, [node] {
    if (node->stopped) return;
    node->note("START",
               "listening on " + node->options.listen_host + ":" +
                   std::to_string(node->bound_port) +
                   (node->options.classic ? " (classic)" : " (anti-entropy)"),
               true);
    LinkSettings settings{node->options.classic,
                          node->options.reconnect_initial_ms,
                          node->options.reconnect_max_ms,
                          node->options.seed,
                          node->options.name,
                          node->options.peer_secret};
    for (const auto& peer : node->options.peers) {
      node->links.push_back(std::make_shared<PeerLink>(node->strand, node, peer, settings));
      node->links.back()->start();
    }
    asio::co_spawn(node->strand, accept_loop(node), log_failure(node, "accept loop"));
    if (node->log.enabled())
      asio::co_spawn(node->strand, flush_logs_periodically(node), log_failure(node, "log flush"));
  });
}

void Node::stop(std::function<void()> done) {
  auto node = impl_;
  if (!node->started) {
    // Only bound: nothing runs on the strand yet, and the io_context may not run at all (a herd
    // whose next server could not bind), so close here rather than wait for it.
    node->close_everything();
    if (done) done();
    return;
  }
  asio::post(node->strand, [node, done = std::move(done)] {
    node->close_everything();
    if (done) done();
  });
}

void Node::stop_and_wait() {
  std::promise<void> closed;
  auto future = closed.get_future();
  stop([&closed] { closed.set_value(); });
  future.wait();
}

void Node::snapshot(std::function<void(std::vector<std::string>)> done) const {
  auto node = impl_;
  asio::post(node->strand, [node, done = std::move(done)] {
    std::vector<std::string> lines;
    lines.reserve(node->store.size());
    node->store.for_each([&lines](const RecordView& r) { lines.emplace_back(r.line); });
    done(std::move(lines));
  });
}

std::vector<std::string> Node::snapshot_wait() const {
  std::promise<std::vector<std::string>> result;
  auto future = result.get_future();
  snapshot([&result](std::vector<std::string> lines) { result.set_value(std::move(lines)); });
  return future.get();
}

}  // namespace herd
