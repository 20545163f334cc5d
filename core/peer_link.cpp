#include "core/peer_link.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "core/coro.hpp"
#include "core/peer_auth.hpp"
#include "core/protocol.hpp"
#include "core/stable_hash.hpp"

namespace herd {

struct PeerLink::Connection {
  explicit Connection(const asio::any_io_executor& ex) : socket(ex) {}
  void close() {
    open = false;
    error_code ignored;
    socket.close(ignored);
  }
  tcp::socket socket;
  bool open = true;
};

PeerLink::PeerLink(asio::any_io_executor strand, std::shared_ptr<LinkOwner> owner,
                   PeerEndpoint peer, LinkSettings settings)
    : strand_(strand),
      owner_(std::move(owner)),
      peer_(std::move(peer)),
      settings_(settings),
      wake_(strand),
      backoff_timer_(strand),
      label_("[" + peer_.name + "]"),
      backoff_(settings.reconnect_initial_ms, settings.reconnect_max_ms,
               settings.reconnect_stable_ms, settings.seed ^ stable_hash(peer_.name)) {}

void PeerLink::start() {
  asio::co_spawn(strand_, run(), [self = shared_from_this()](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      self->owner_->on_link_event(self->peer_, EventKind::link_down,
                                  std::string("link failed: ") + ex.what(), 0);
    }
  });
}

void PeerLink::push(std::string_view line) {
  if (stopped_) return;
  if (!connected_) {
    // With anti-entropy the snapshot sent when the link comes up carries this update; the course's
    // classic servers just lose it.
    if (settings_.classic)
      owner_->on_link_note(peer_, std::string("not sent, link down: ").append(line));
    return;
  }
  queue_.push(line);
  wake_.cancel();
}

void PeerLink::stop() {
  stopped_ = true;
  if (connection_) connection_->close();
  wake_.cancel();
  backoff_timer_.cancel();
}

asio::awaitable<error_code> PeerLink::connect(Connection& connection) {
  using namespace asio::experimental::awaitable_operators;
  // Across a blackhole a connect hears nothing for minutes; give up sooner and try again.
  asio::steady_timer deadline(strand_, std::chrono::milliseconds(settings_.connect_timeout_ms));
  auto attempt = [this, &connection]() -> asio::awaitable<error_code> {
    error_code ec;
    auto address = asio::ip::make_address(peer_.host, ec);
    if (!ec) {
      auto [connect_ec] =
          co_await connection.socket.async_connect(tcp::endpoint(address, peer_.port), use_tuple);
      co_return connect_ec;
    }
    tcp::resolver resolver(strand_);
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(peer_.host, std::to_string(peer_.port), use_tuple);
    if (resolve_ec) co_return resolve_ec;
    auto [connect_ec, endpoint] =
        co_await asio::async_connect(connection.socket, endpoints, use_tuple);
    co_return connect_ec;
  };
  auto result = co_await (attempt() || deadline.async_wait(use_tuple));
  if (result.index() == 1) co_return asio::error::timed_out;
  co_return std::get<0>(result);
}

asio::awaitable<error_code> PeerLink::authenticate(Connection& connection, std::string& why) {
  auto link_nonce = random_nonce();
  std::string hello = "HERD-HELLO " + settings_.own_name + " " + link_nonce + "\n";
  auto [write_ec, written] =
      co_await asio::async_write(connection.socket, asio::buffer(hello), use_tuple);
  if (write_ec) co_return write_ec;
  std::string answer;
  auto [read_ec, n] = co_await asio::async_read_until(
      connection.socket, asio::dynamic_buffer(answer, 4096), '\n', use_tuple);
  if (read_ec) {
    why = "no answer to the handshake: " + read_ec.message();
    co_return read_ec;
  }
  std::string_view line = std::string_view(answer).substr(0, n);
  while (!line.empty() && is_field_space(line.back())) line.remove_suffix(1);
  if (!line.starts_with("HERD-CHALLENGE ")) {
    why =
        "the peer does not authenticate (it answered \"" + std::string(line.substr(0, 80)) + "\")";
    co_return asio::error::access_denied;
  }
  auto node_nonce = line.substr(15);
  std::string auth = "HERD-AUTH " +
                     peer_proof(settings_.peer_secret, settings_.own_name, link_nonce, node_nonce) +
                     "\n";
  auto [auth_ec, auth_written] =
      co_await asio::async_write(connection.socket, asio::buffer(auth), use_tuple);
  co_return auth_ec;
}

asio::awaitable<void> PeerLink::back_off() {
  backoff_timer_.expires_after(std::chrono::milliseconds(backoff_.next_delay_ms()));
  co_await backoff_timer_.async_wait(use_tuple);
}

asio::awaitable<void> PeerLink::run() {
  while (!stopped_) {
    auto connection = std::make_shared<Connection>(strand_);
    connection_ = connection;
    auto ec = co_await connect(*connection);
    if (stopped_) break;
    if (ec) {
      connection->close();
      if (!down_reported_) {
        down_reported_ = true;
        owner_->on_link_event(peer_, EventKind::link_down, "cannot connect: " + ec.message(), 0);
      }
      co_await back_off();
      continue;
    }
    connection->socket.set_option(tcp::no_delay(true), ec);
    if (!settings_.peer_secret.empty()) {
      std::string why;
      ec = co_await authenticate(*connection, why);
      if (stopped_) break;
      if (ec) {
        connection->close();
        if (!down_reported_) {
          down_reported_ = true;
          owner_->on_link_event(peer_, EventKind::link_down,
                                why.empty() ? "handshake failed: " + ec.message() : why, 0);
        }
        co_await back_off();
        continue;
      }
    }
    connected_ = true;
    connected_at_ = std::chrono::steady_clock::now();
    down_reported_ = false;
    rejection_shown_ = false;
    owner_->on_link_event(peer_, EventKind::link_up, "connected", 0);
    queue_.clear();
    // Says which neighbour this connection comes from, so the peer does not send our own updates
    // back to us; a server that is not Herd answers "? " once and is not greeted again.
    if (settings_.peer_secret.empty() && !plain_peer_)
      queue_.push("HERD-HELLO " + settings_.own_name);
    if (!settings_.classic)
      owner_->for_each_record([this](std::string_view line) { queue_.push(line); });
    asio::co_spawn(strand_, read_until_lost(shared_from_this(), connection), asio::detached);
    co_await write_until_lost(connection);
    connection->close();
    connected_ = false;
    queue_.clear();
    backoff_.connection_ended(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - connected_at_)
                                  .count());
    if (stopped_) break;
    down_reported_ = true;
    owner_->on_link_event(peer_, EventKind::link_down, "connection lost", 0);
    co_await back_off();
  }
  connected_ = false;
}

asio::awaitable<void> PeerLink::write_until_lost(std::shared_ptr<Connection> connection) {
  while (connection->open && !stopped_) {
    if (queue_.empty()) {
      wake_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_.async_wait(use_tuple);
      continue;
    }
    // Everything pushed while the last write was in flight goes out in one write.
    queue_.take(inflight_);
    auto [ec, written] =
        co_await asio::async_write(connection->socket, asio::buffer(inflight_), use_tuple);
    if (ec) {
      connection->open = false;
      break;
    }
    report_lines(inflight_, EventKind::line_out);
    inflight_.clear();
  }
}

asio::awaitable<void> PeerLink::read_until_lost(std::shared_ptr<PeerLink> self,
                                                std::shared_ptr<Connection> connection) {
  // Herd peers never answer on a link, but another herd's server may ("? ..."): log it.
  std::string partial;
  char chunk[4096];
  while (connection->open) {
    auto [ec, n] = co_await connection->socket.async_read_some(asio::buffer(chunk), use_tuple);
    if (ec) break;
    partial.append(chunk, n);
    auto end = partial.rfind('\n');
    if (end != std::string::npos) {
      self->report_lines(std::string_view(partial).substr(0, end + 1), EventKind::line_in);
      partial.erase(0, end + 1);
    }
  }
  connection->close();
  self->wake_.cancel();
}

void PeerLink::report_lines(std::string_view lines, EventKind kind) {
  if (kind == EventKind::line_in) {
    for (std::string_view rest = lines; !rest.empty();) {
      auto end = rest.find('\n');
      notice_reply(rest.substr(0, end));
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    }
  }
  owner_->on_link_lines(peer_, label_, kind, lines, queue_.bytes());
}

// A Herd peer answers nothing on a link; another herd's server answers "? LINE" to what it
// cannot read, and that is worth saying plainly.
void PeerLink::notice_reply(std::string_view line) {
  if (line.starts_with("? HERD-HELLO")) {
    if (!plain_peer_)
      owner_->on_link_note(peer_,
                           "is not a Herd server (it answered our greeting with \"? \"); it is "
                           "not greeted again",
                           true);
    plain_peer_ = true;
  } else if (line.starts_with("? AT ")) {
    owner_->on_link_note(peer_,
                         "rejects our AT line format (it answered \"? AT ...\"), so it does not "
                         "store our updates: " +
                             std::string(line.substr(0, 120)),
                         !rejection_shown_);
    rejection_shown_ = true;
  }
}

}  // namespace herd
