#pragma once
// The outgoing link from a node to one neighbour. Internal to core/: it includes Asio.
// A line pushed while nothing waits goes to the socket at once, as a session's reply does;
// otherwise a writer drains the pending buffer with one write in flight. A reader notices the
// peer going away; on loss the link reconnects with jittered exponential backoff.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/io/environment.hpp"
#include "core/line_queue.hpp"
#include "core/node.hpp"
#include "core/reconcile.hpp"
#include "core/reconnect_backoff.hpp"

namespace herd {

// What a link needs from the node that owns it. Called on the node's strand.
class LinkOwner {
 public:
  virtual ~LinkOwner() = default;
  // Link up and down: the node logs and emits them.
  virtual void on_link_event(const PeerEndpoint& peer, EventKind kind, std::string_view text,
                             std::size_t queue_bytes) = 0;
  // Lines written (line_out) or read (line_in) on the link, several at once, each ending in
  // "\n"; `label` is "[NAME]".
  virtual void on_link_lines(const PeerEndpoint& peer, std::string_view label, EventKind kind,
                             std::string_view lines, std::size_t queue_bytes) = 0;
  // A log line about the link that is not an event (a line dropped in classic mode, a peer that
  // rejects our lines); also on stderr when `also_stderr`.
  virtual void on_link_note(const PeerEndpoint& peer, std::string_view text,
                            bool also_stderr = false) = 0;
  // Visits every stored AT line: what a neighbour may lack after a link comes up.
  virtual void for_each_record(const std::function<void(std::string_view line)>& visit) const = 0;
  // The stored records as reconciliation sees them (reconcile_index.hpp), up to date with the
  // store; nullptr in classic mode. Each call may bring the index up to date, so a link asks again
  // before each round rather than keep what an earlier call returned.
  [[nodiscard]] virtual const reconcile::Index* sync_index() = 0;
  // The newest stored AT line for `client`, if any.
  [[nodiscard]] virtual std::optional<std::string_view> record_of(
      std::string_view client) const = 0;
  // The bytes a whole-store snapshot would send (every stored line with its line end).
  [[nodiscard]] virtual std::size_t store_bytes() const = 0;
  // Whether the neighbour has shown it is a Herd server (its link greeted this node, or it
  // authenticated): only then does a link reconcile with it rather than send the whole store.
  [[nodiscard]] virtual bool speaks_herd(std::string_view neighbour) const = 0;
};

struct LinkSettings {
  bool classic = false;
  int reconnect_initial_ms = 20;
  int reconnect_max_ms = 1000;
  int reconnect_stable_ms = 1000;  // a connection up this long starts the backoff over
  int connect_timeout_ms = 2000;   // a connect that gets no answer (a blackhole) is retried
  std::uint64_t seed = 1;
  std::string own_name;     // sent in the greeting and the handshake
  std::string peer_secret;  // empty: no handshake, just a greeting
};

class PeerLink : public std::enable_shared_from_this<PeerLink> {
 public:
  PeerLink(boost::asio::any_io_executor strand, std::shared_ptr<io::Environment> env,
           std::shared_ptr<LinkOwner> owner, PeerEndpoint peer, LinkSettings settings);

  // All of these run on the owner's strand.
  void start();
  void push(std::string_view line);  // one AT line, no line end
  // Hints before a push, for an owner with other work to do first: look_ahead() asks for the
  // connection this link writes on, look_ahead_stream() (later) for the stream behind it. On a
  // herd of hundreds each was a cache miss on the way to every flooded line's write.
  void look_ahead() const;
  void look_ahead_stream() const;
  void stop();
  [[nodiscard]] const PeerEndpoint& peer() const { return peer_; }
  [[nodiscard]] bool connected() const { return connected_; }
  [[nodiscard]] std::size_t queued_bytes() const { return queue_.bytes(); }

 private:
  struct Connection;
  boost::asio::awaitable<void> run();
  // With a peer secret: proves this link knows it (peer_auth.hpp); an error if the peer refuses.
  boost::asio::awaitable<boost::system::error_code> authenticate(Connection& connection,
                                                                 std::string& why);
  boost::asio::awaitable<void> write_until_lost(std::shared_ptr<Connection> connection);
  static boost::asio::awaitable<void> read_until_lost(std::shared_ptr<PeerLink> self,
                                                      std::shared_ptr<Connection> connection);
  boost::asio::awaitable<void> back_off();
  void report_lines(std::string_view lines, EventKind kind);
  void notice_reply(std::string_view line);
  // Link-up in anti-entropy mode: reconciliation with a Herd neighbour, else the whole store.
  void begin_catch_up();
  void send_whole_store();
  void send_sync_message(const std::string& message);
  void on_sync_reply(std::string_view line);
  // The neighbour answered no reconciliation message in time, or broke the protocol.
  void abandon_sync(const std::string& why);

  boost::asio::any_io_executor strand_;
  std::shared_ptr<io::Environment> env_;
  std::shared_ptr<LinkOwner> owner_;
  PeerEndpoint peer_;
  LinkSettings settings_;
  std::unique_ptr<io::Timer> wake_;
  std::unique_ptr<io::Timer> backoff_timer_;
  std::shared_ptr<Connection> connection_;
  LineQueue queue_;       // lines waiting for the writer
  std::string inflight_;  // what the one write in flight carries
  // The line a direct write (push) could not finish: the writer sends the rest, then reports it.
  std::string unfinished_line_;
  bool writer_idle_ = false;  // the writer waits for a push, with nothing queued or in flight
  std::string label_;         // "[NAME]", for the log
  ReconnectBackoff backoff_;
  std::int64_t connected_at_ms_ = 0;
  bool connected_ = false;
  // The peer answered our greeting with "? ": not a Herd server, so it is not greeted again.
  bool plain_peer_ = false;
  bool rejection_shown_ = false;  // "? AT" on stderr once per connection
  bool down_reported_ = false;
  bool stopped_ = false;
  // This connection's reconciliation, while it runs; a message waits for its answer until the
  // timer ends it (generation tells a stale timer from the current one).
  std::unique_ptr<reconcile::Initiator> sync_;
  std::unique_ptr<io::Timer> sync_timer_;
  std::uint64_t sync_generation_ = 0;
  std::vector<std::string> sync_send_;  // scratch: the clients a reply says to send
  // Clients whose records this reconciliation sent: if it gives up, the store goes without them.
  std::unordered_set<std::string> sync_sent_;
};

}  // namespace herd
