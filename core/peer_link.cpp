#include "core/peer_link.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <optional>
#include <vector>

#include "core/coro.hpp"
#include "core/line_splitter.hpp"
#include "core/location_store.hpp"
#include "core/peer_auth.hpp"
#include "core/protocol.hpp"
#include "core/stable_hash.hpp"

namespace herd {

struct PeerLink::Connection {
  void close() {
    open = false;
    if (stream) stream->close();
  }
  std::unique_ptr<io::Stream> stream;  // once connected
  bool open = true;
};

PeerLink::PeerLink(asio::any_io_executor strand, std::shared_ptr<io::Environment> env,
                   std::shared_ptr<LinkOwner> owner, PeerEndpoint peer, LinkSettings settings)
    : strand_(strand),
      env_(std::move(env)),
      owner_(std::move(owner)),
      peer_(std::move(peer)),
      settings_(settings),
      wake_(env_->make_timer(strand)),
      backoff_timer_(env_->make_timer(strand)),
      label_("[" + peer_.name + "]"),
      backoff_(settings.reconnect_initial_ms, settings.reconnect_max_ms,
               settings.reconnect_stable_ms, settings.seed ^ stable_hash(peer_.name)),
      sync_timer_(env_->make_timer(strand)) {}

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
    if (settings_.classic) {
      owner_->on_link_note(peer_, std::string("not sent, link down: ").append(line));
      owner_->on_link_event(peer_, EventKind::update_not_sent, line, 0);
    }
    return;
  }
  if (writer_idle_ && queue_.empty() && connection_ && connection_->open && connection_->stream) {
    // Nothing waits ahead of it: straight to the socket, without waking the writer (a flood
    // crosses every link a line at a time, and each wake-up is a coroutine's round trip). A
    // line of usual length is framed on the stack: on a herd of hundreds, the link's own
    // buffer was one more cache miss per line.
    std::array<char, 256> framed;
    std::string_view out;
    if (line.size() < framed.size()) {
      std::memcpy(framed.data(), line.data(), line.size());
      framed[line.size()] = '\n';
      out = std::string_view(framed.data(), line.size() + 1);
    } else {
      inflight_.assign(line).push_back('\n');
      out = inflight_;
    }
    error_code ec;
    auto written = connection_->stream->write_some(asio::buffer(out.data(), out.size()), ec);
    if (ec) {
      connection_->open = false;  // the writer ends the connection, as a failed write does
      inflight_.clear();
      wake_->cancel();
      return;
    }
    if (written == out.size()) {
      report_lines(out, EventKind::line_out);
      // Only when it was used: clearing writes its buffer's first byte, another miss.
      if (out.data() == inflight_.data()) inflight_.clear();
      return;
    }
    // The socket took part of it: the writer sends the rest, then reports the whole line.
    unfinished_line_.assign(out);
    inflight_.assign(out.substr(written));
    wake_->cancel();
    return;
  }
  queue_.push(line);
  wake_->cancel();
}

void PeerLink::look_ahead() const {
  if (connection_) __builtin_prefetch(connection_.get());
}

void PeerLink::look_ahead_stream() const {
  if (connection_ && connection_->stream) __builtin_prefetch(connection_->stream.get());
}

void PeerLink::stop() {
  stopped_ = true;
  if (connection_) connection_->close();
  wake_->cancel();
  backoff_timer_->cancel();
  sync_timer_->cancel();
}

asio::awaitable<error_code> PeerLink::authenticate(Connection& connection, std::string& why) {
  auto link_nonce = env_->nonce();
  std::string hello =
      "HERD-HELLO " + settings_.own_name + " " + peer_.name + " " + link_nonce + "\n";
  auto [write_ec, written] =
      co_await io::async_write(*connection.stream, asio::buffer(hello), use_tuple);
  if (write_ec) co_return write_ec;
  // The challenge is one line; the node says nothing else before our proof.
  LineSplitter splitter;
  std::optional<std::string> answer;
  char chunk[512];
  std::size_t read = 0;
  while (!answer) {
    auto [read_ec, n] =
        co_await io::async_read_some(*connection.stream, asio::buffer(chunk), use_tuple);
    read += n;
    if (!read_ec && read > 4096) read_ec = asio::error::message_size;
    if (read_ec) {
      why = "no answer to the handshake: " + read_ec.message();
      co_return read_ec;
    }
    splitter.feed(std::string_view(chunk, n), [&answer](std::string_view line) {
      if (!answer) answer = std::string(line);
    });
  }
  std::string_view line = strip_line_end(*answer);
  std::array<std::string_view, 3> f{};
  if (split_fields(line, f) != 3 || f[0] != "HERD-CHALLENGE" || !is_nonce(f[1])) {
    why =
        "the peer does not authenticate (it answered \"" + std::string(line.substr(0, 80)) + "\")";
    co_return asio::error::access_denied;
  }
  // Mutual: a server that cannot prove it knows the secret gets none of our updates.
  auto expected =
      node_proof(settings_.peer_secret, settings_.own_name, peer_.name, link_nonce, f[1]);
  if (!secrets_equal(expected, f[2])) {
    why = "the peer could not prove it knows the secret (it is not " + peer_.name +
          ", or its secret differs)";
    co_return asio::error::access_denied;
  }
  std::string auth =
      "HERD-AUTH " +
      link_proof(settings_.peer_secret, settings_.own_name, peer_.name, link_nonce, f[1]) + "\n";
  auto [auth_ec, auth_written] =
      co_await io::async_write(*connection.stream, asio::buffer(auth), use_tuple);
  co_return auth_ec;
}

asio::awaitable<void> PeerLink::back_off() {
  backoff_timer_->expires_after(std::chrono::milliseconds(backoff_.next_delay_ms()));
  co_await io::async_wait(*backoff_timer_, use_tuple);
}

asio::awaitable<void> PeerLink::run() {
  while (!stopped_) {
    auto connection = std::make_shared<Connection>();
    connection_ = connection;
    auto [ec, stream] = co_await io::async_connect(*env_, strand_, peer_.host, peer_.port,
                                                   settings_.connect_timeout_ms, use_tuple);
    connection->stream = std::move(stream);
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
    connected_at_ms_ = env_->steady_ms();
    down_reported_ = false;
    rejection_shown_ = false;
    owner_->on_link_event(peer_, EventKind::link_up, "connected", 0);
    queue_.clear();
    inflight_.clear();
    unfinished_line_.clear();
    // Says which neighbour this connection comes from, so the peer does not send our own updates
    // back to us; a server that is not Herd answers "? " once and is not greeted again.
    if (settings_.peer_secret.empty() && !plain_peer_)
      queue_.push("HERD-HELLO " + settings_.own_name);
    if (!settings_.classic) begin_catch_up();
    asio::co_spawn(strand_, read_until_lost(shared_from_this(), connection), asio::detached);
    co_await write_until_lost(connection);
    connection->close();
    connected_ = false;
    sync_.reset();
    sync_timer_->cancel();
    queue_.clear();
    inflight_.clear();
    unfinished_line_.clear();
    backoff_.connection_ended(env_->steady_ms() - connected_at_ms_);
    if (stopped_) break;
    down_reported_ = true;
    owner_->on_link_event(peer_, EventKind::link_down, "connection lost", 0);
    co_await back_off();
  }
  connected_ = false;
}

asio::awaitable<void> PeerLink::write_until_lost(std::shared_ptr<Connection> connection) {
  while (connection->open && !stopped_) {
    if (inflight_.empty() && queue_.empty()) {
      wake_->expires_never();
      writer_idle_ = true;
      co_await io::async_wait(*wake_, use_tuple);
      writer_idle_ = false;
      continue;
    }
    // Everything pushed while the last write was in flight goes out in one write; the rest of a
    // line a direct write began goes first.
    if (inflight_.empty()) queue_.take(inflight_);
    auto [ec, written] =
        co_await io::async_write(*connection->stream, asio::buffer(inflight_), use_tuple);
    if (ec) {
      connection->open = false;
      break;
    }
    if (unfinished_line_.empty()) {
      report_lines(inflight_, EventKind::line_out);
    } else {
      report_lines(unfinished_line_, EventKind::line_out);
      unfinished_line_.clear();
    }
    inflight_.clear();
  }
}

asio::awaitable<void> PeerLink::read_until_lost(std::shared_ptr<PeerLink> self,
                                                std::shared_ptr<Connection> connection) {
  // Herd peers never answer on a link, but another herd's server may ("? ..."): log it.
  LineSplitter splitter;
  std::string lines;
  // Small until the neighbour answers in bulk (reconciliation's replies): every link of a herd
  // has a reader, nearly all of them idle, and 4 KiB in each of their frames was a quarter of an
  // idle virtual server's memory.
  std::vector<char> chunk(512);
  while (connection->open) {
    auto [ec, n] =
        co_await io::async_read_some(*connection->stream, asio::buffer(chunk), use_tuple);
    if (ec) break;
    lines.clear();
    splitter.feed(std::string_view(chunk.data(), n),
                  [&lines](std::string_view line) { lines.append(line).push_back('\n'); });
    // A neighbour answers in lines of bounded length; one that never ends its line would
    // otherwise grow this buffer for ever.
    if (splitter.pending().size() > reconcile::answer_bytes_at_most) {
      self->owner_->on_link_note(self->peer_,
                                 "sent a line longer than " +
                                     std::to_string(reconcile::answer_bytes_at_most) +
                                     " bytes on our link; closing it",
                                 true);
      break;
    }
    if (n == chunk.size() && chunk.size() < 4096) chunk.resize(4096);
    if (!lines.empty()) self->report_lines(lines, EventKind::line_in);
    // Answers to reconciliation come back on this connection; what they say to send goes on it.
    if (self->sync_)
      for_each_line(lines, [&self](std::string_view line) {
        if (self->sync_) self->on_sync_reply(line);
      });
  }
  connection->close();
  self->wake_->cancel();
}

void PeerLink::begin_catch_up() {
  sync_.reset();
  const auto* index = owner_->sync_index();
  // Only a neighbour that has shown it is Herd is asked: another herd's server would take the
  // time of a timeout to fall back, and its neighbours' convergence with it.
  const auto store_bytes = owner_->store_bytes();
  if (index == nullptr || plain_peer_ || !owner_->speaks_herd(peer_.name) ||
      store_bytes < reconcile::whole_store_below_bytes) {
    send_whole_store();
    return;
  }
  sync_sent_.clear();
  sync_ = std::make_unique<reconcile::Initiator>(*index, reconcile::message_budget(store_bytes));
  if (auto first = sync_->next_message()) {
    send_sync_message(*first);
  } else {
    sync_.reset();  // too small for even one question to pay
    send_whole_store();
  }
}

void PeerLink::send_whole_store() {
  owner_->for_each_record([this](std::string_view line) {
    if (sync_sent_.empty() || !sync_sent_.count(std::string(at_line_client(line))))
      queue_.push(line);
  });
  sync_sent_.clear();
  if (writer_idle_) wake_->cancel();
}

void PeerLink::send_sync_message(const std::string& message) {
  queue_.push(message);
  if (writer_idle_) wake_->cancel();
  // A Herd neighbour answers within a round trip; one that does not gets the whole store.
  auto generation = ++sync_generation_;
  sync_timer_->expires_after(std::chrono::milliseconds(settings_.connect_timeout_ms));
  asio::co_spawn(
      strand_,
      [](std::shared_ptr<PeerLink> self, std::uint64_t generation) -> asio::awaitable<void> {
        auto [ec] = co_await io::async_wait(*self->sync_timer_, use_tuple);
        if (!ec && self->sync_ && self->sync_generation_ == generation)
          self->abandon_sync("no answer to reconciliation within " +
                             std::to_string(self->settings_.connect_timeout_ms) + " ms");
      }(shared_from_this(), generation),
      asio::detached);
}

void PeerLink::on_sync_reply(std::string_view line) {
  if (line.starts_with("? ")) {
    auto refused = line.substr(2);
    if (reconcile::is_sync_message(refused))
      abandon_sync("it refused reconciliation (answered \"? HERD-SYNC ...\")");
    return;
  }
  if (!reconcile::is_sync_message(line)) return;
  ++sync_generation_;  // answered: the timer of this message no longer counts
  sync_timer_->cancel();
  sync_send_.clear();
  // The store may have changed since the last round: the initiator reads the index as it is now.
  if (owner_->sync_index() == nullptr) {
    abandon_sync("this server stopped reconciling");
    return;
  }
  if (auto ok = sync_->on_reply(line, sync_send_); !ok) {
    abandon_sync("its reconciliation answer was refused: " + ok.error());
    return;
  }
  for (const auto& client : sync_send_)
    if (auto record = owner_->record_of(client)) {
      queue_.push(*record);
      sync_sent_.insert(client);
    }
  if (auto next = sync_->next_message()) {
    send_sync_message(*next);
  } else if (sync_->gave_up()) {
    abandon_sync("the differences cost more to find than a twentieth of the store");
  } else {
    sync_.reset();
    sync_sent_.clear();
    if (writer_idle_) wake_->cancel();
  }
}

void PeerLink::abandon_sync(const std::string& why) {
  if (!sync_) return;
  sync_.reset();
  ++sync_generation_;
  sync_timer_->cancel();
  owner_->on_link_note(peer_, "reconciliation ended: " + why + "; sending the whole store", true);
  send_whole_store();
}

void PeerLink::report_lines(std::string_view lines, EventKind kind) {
  if (kind == EventKind::line_in)
    for_each_line(lines, [this](std::string_view line) { notice_reply(line); });
  owner_->on_link_lines(peer_, label_, kind, lines, queue_.bytes());
}

// A Herd peer answers nothing on a link; another herd's server answers "? LINE" to what it
// cannot read, and that is worth saying plainly.
void PeerLink::notice_reply(std::string_view line) {
  if (reconcile::is_sync_message(line) || line.starts_with("? HERD-SYNC")) return;
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
