#pragma once
// An in-memory network on a virtual clock, for runs that replay bit for bit from a seed. Pure:
// no sockets, no threads, no wall clock. Time moves only when the next event runs, so a second
// of simulated traffic takes as long to run as its events take to handle.
//
// Hosts listen on ports and connect to ports; a connection is a pair of byte streams kept in
// order, as TCP keeps them. Faults are set per directed link, the connections `from` opens to
// `to`, with the meanings the fault proxies give them on real sockets: cut refuses and closes,
// drop swallows connects and stalls bytes, hold keeps the initiator's bytes until released,
// latency (with jitter), bandwidth and slicing shape the initiator's bytes. Every random choice
// (jitter) comes from one seeded source, and events at the same time run in the order they were
// scheduled, so the same calls give the same run on every machine.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/seeded_random.hpp"
#include "sim/faults/link_faults.hpp"

namespace herd::vnet {

using Time = std::int64_t;  // virtual nanoseconds since the network was made
inline constexpr Time millisecond = 1'000'000;

using Random = SeededRandom;

using ConnectionId = std::uint64_t;
enum class End { initiator, acceptor };
[[nodiscard]] inline End other(End end) {
  return end == End::initiator ? End::acceptor : End::initiator;
}

// Why bytes never reached the other end.
enum class DropReason { reset, crash, cut };
[[nodiscard]] const char* to_string(DropReason reason);

// A host's name, interned: the network compares and keys by these, and keeps each name once.
using HostId = std::uint32_t;

// What the network did with bytes, for a trace. Called as it happens, in virtual time.
struct Observer {
  std::function<void(ConnectionId, End from, std::string_view bytes)> sent;
  std::function<void(ConnectionId, End to, std::string_view bytes)> delivered;
  std::function<void(ConnectionId, End from, std::string_view bytes, DropReason)> dropped;
  // The connection was reset: what was in flight on it never arrives.
  std::function<void(ConnectionId, DropReason)> aborted;
  // Sent bytes (at once, or leaving a hold) will arrive at virtual time `due`.
  std::function<void(ConnectionId, End from, std::string_view bytes, std::int64_t due)> scheduled;
};

class VirtualNetwork {
 public:
  explicit VirtualNetwork(std::uint64_t seed);

  [[nodiscard]] Time now() const { return now_; }
  // Bytes sent on any connection and not yet arrived (a held link's are not on their way).
  [[nodiscard]] std::uint64_t deliveries_on_their_way() const { return deliveries_on_their_way_; }
  // When the next event is due; nullopt when none is left.
  [[nodiscard]] std::optional<Time> next_event_time() const {
    const Event* next = earliest();
    if (next == nullptr) return std::nullopt;
    return next->when;
  }
  [[nodiscard]] Random& random() { return random_; }

  // Runs `action` at virtual time `when` (not before now); same-time events run in order.
  void at(Time when, std::function<void()> action);
  void after(Time delay, std::function<void()> action) { at(now_ + delay, std::move(action)); }
  // Runs the earliest event, moving the clock to its time; false when none is left.
  bool run_next();
  // Runs every event up to `until`, then moves the clock there.
  void run_until(Time until);
  [[nodiscard]] std::optional<Time> next_event() const;
  // Forgets every scheduled event unrun (what they hold is destroyed now): the end of a run.
  void discard_events();
  // Whether an end that learns of bytes may act on them where it learns it (complete a read in
  // place) rather than leave that to its executor's queue. Its owner allows it only while that
  // queue is empty, so acting at once overtakes nothing that was waiting; off by default.
  void allow_acting_in_place(bool allowed) { acting_in_place_ = allowed; }
  [[nodiscard]] bool acting_in_place() const { return acting_in_place_; }

  // A new connection to `host`:`port` calls `on_accept` with its id (the acceptor's end).
  using AcceptHandler = std::function<void(ConnectionId)>;
  // A listener's id, or 0 when the port is taken.
  using ListenerId = std::uint64_t;
  [[nodiscard]] ListenerId listen(const std::string& host, std::uint16_t port,
                                  AcceptHandler on_accept);
  // Stops listener `id`, if it still listens on `port`: a restarted server may listen there again.
  void stop_listening(std::uint16_t port, ListenerId id);
  [[nodiscard]] bool listening(std::uint16_t port) const;
  // The lowest port from `from` on that nothing listens on (0 when none is left).
  [[nodiscard]] std::uint16_t first_free_port(std::uint16_t from);

  // `from` connects to `port`: `done` gets the new connection (the initiator's end), or nullopt
  // if it is refused. Across a blackhole it is never called: the caller's timeout decides.
  void connect(const std::string& from, std::uint16_t port,
               std::function<void(std::optional<ConnectionId>)> done);

  // An end learns that bytes arrived, or that the stream ended (`on_closed` with reset = false
  // after the other end closed, true when the connection was reset), through these.
  // An end that sets `on_bytes` is handed bytes as they arrive when none wait unread, rather
  // than told to read them: they are not copied into the connection first.
  struct Receiver {
    std::function<void()> on_readable;
    std::function<void(bool reset)> on_closed;
    std::function<void(std::string_view bytes)> on_bytes = {};
  };
  void set_receiver(ConnectionId id, End end, Receiver receiver);
  // Takes what has arrived at `end`.
  [[nodiscard]] std::string read(ConnectionId id, End end);
  // The same, appended to `out`: no buffer changes hands, so a flood allocates nothing per line.
  void read_into(ConnectionId id, End end, std::string& out);
  // Sends bytes from `end`; false if the connection is gone (reset, or `end` closed it).
  bool write(ConnectionId id, End end, std::string_view bytes);
  // `end` closes: the other end sees the stream end after every byte sent before.
  void close(ConnectionId id, End end);
  // Aborts the connection at once: both ends see a reset; bytes in flight are lost.
  void reset(ConnectionId id, DropReason why = DropReason::reset);
  [[nodiscard]] bool open(ConnectionId id) const;
  // The host at `end` of a connection ("" when it is gone): its name, or its id.
  [[nodiscard]] const std::string& host_of(ConnectionId id, End end) const;
  [[nodiscard]] HostId host_id_of(ConnectionId id, End end) const;
  // A host's id (made on first use), and its name.
  [[nodiscard]] HostId host_id(const std::string& name);
  [[nodiscard]] const std::string& host_name(HostId id) const { return host_names_[id]; }

  // The host dies: its listeners go at once; each of its connections delivers what the host had
  // already sent, then resets. Bytes on their way to it are lost.
  void crash(const std::string& host);

  // Faults on the connections `from` opens to `to`. Cutting resets the current ones.
  void set_faults(const std::string& from, const std::string& to, const LinkFaults& faults);
  [[nodiscard]] LinkFaults faults(const std::string& from, const std::string& to) const;

  void set_observer(Observer observer) { observer_ = std::move(observer); }
  // Every connection's bytes take at least this long, as loopback's few microseconds do; links'
  // latency faults add to it. 0 by default.
  void set_base_latency(Time latency) { base_latency_ = latency; }
  // The lines a held link keeps back, in the order they would go (every connection's, oldest
  // connection first); and releasing the first of them alone, as a step-by-step demo chooses
  // which held message goes next. False when the link holds nothing.
  [[nodiscard]] std::vector<std::string> held_lines(const std::string& from,
                                                    const std::string& to) const;
  bool release_one_line(const std::string& from, const std::string& to);
  // Resets the current connections `from` opened to `to` (a link's reset step).
  void reset_link(const std::string& from, const std::string& to);

 private:
  struct Direction {
    std::string held;             // bytes waiting for hold or drop to end
    std::string arrived;          // delivered, not yet read
    Time last_delivery = 0;       // bytes in this direction arrive in order
    std::uint64_t in_flight = 0;  // deliveries scheduled and not yet run
    bool closing = false;         // the sender closed; the end follows its last byte
    bool ended = false;           // the receiver has seen the end
  };
  struct Connection {
    HostId initiator_host = 0, acceptor_host = 0;
    bool open = true;
    std::uint64_t generation = 0;    // deliveries scheduled before a reset are void
    std::optional<End> crashed_end;  // its host crashed; the reset follows its last bytes
    Direction forward, backward;     // initiator -> acceptor, acceptor -> initiator
    Receiver at_initiator, at_acceptor;
  };
  struct Listener {
    HostId host;
    AcceptHandler on_accept;
    ListenerId id = 0;
  };
  // What an event does. Deliveries and ends of streams, nearly every event, carry their data
  // here rather than in a function, so that scheduling one allocates nothing beyond its bytes.
  struct Payload {
    enum class Kind : std::uint8_t { action, delivery, close } kind = Kind::action;
    End from = End::initiator;
    ConnectionId id = 0;
    std::uint64_t generation = 0;
    std::string bytes;
    std::function<void()> action;
  };
  struct Event {
    Time when;
    std::uint64_t order;
    std::uint32_t slot;  // in payloads_
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.when != b.when ? a.when > b.when : a.order > b.order;
    }
  };

  Direction& direction(Connection& c, End from) {
    return from == End::initiator ? c.forward : c.backward;
  }
  Receiver& receiver(Connection& c, End at) {
    return at == End::initiator ? c.at_initiator : c.at_acceptor;
  }
  [[nodiscard]] Connection* find(ConnectionId id);
  [[nodiscard]] const Connection* find(ConnectionId id) const;
  void erase(ConnectionId id);
  // Every open connection `from` opened to `to`, oldest first.
  template <typename Visit>
  void each_connection(HostId from, HostId to, Visit&& visit);
  [[nodiscard]] LinkFaults faults_of(const Connection& c) const;
  [[nodiscard]] static std::uint64_t link_key(HostId from, HostId to) {
    return (static_cast<std::uint64_t>(from) << 32) | to;
  }
  void schedule(Time when, Payload payload);
  // The next event to run (of both queues), or nullptr; and taking it off its queue.
  [[nodiscard]] const Event* earliest() const {
    if (in_order_.empty()) return events_.empty() ? nullptr : &events_.top();
    if (events_.empty() || Later{}(events_.top(), in_order_.front())) return &in_order_.front();
    return &events_.top();
  }
  Event take_earliest();
  // `past_hold`: the bytes go even though the link holds (one released by hand).
  void send(ConnectionId id, End from, std::string_view bytes, bool past_hold = false);
  // Buffers for bytes on their way, reused: a delivery hands its buffer back.
  std::string spare_buffer(std::string_view bytes);
  void recycle(std::string&& bytes);
  void deliver(ConnectionId id, End from, std::string bytes, std::uint64_t generation);
  void finish_close(ConnectionId id, End from, std::uint64_t generation);
  void release_held(ConnectionId id);

  Time now_ = 0;
  Time base_latency_ = 0;
  bool acting_in_place_ = false;
  std::uint64_t next_order_ = 0;
  // Events in two queues, run in one order (time, then scheduling): deliveries scheduled no
  // earlier than the last one queued in order (on links of one latency, all of them) wait in a
  // plain queue, and everything else in a heap. A busy ring's deliveries then cost no heap
  // pass, where each took about 300 instructions among its servers' timers.
  std::priority_queue<Event, std::vector<Event>, Later> events_;
  std::deque<Event> in_order_;
  std::uint64_t deliveries_on_their_way_ = 0;
  std::vector<Payload> payloads_;
  std::vector<std::string> spare_buffers_;
  std::vector<std::uint32_t> free_payloads_;
  Random random_;
  ListenerId next_listener_ = 1;
  std::vector<std::string> host_names_;
  std::unordered_map<std::string, HostId> host_ids_;
  // A slot per connection id, in order: iterating them (a crash, a cut) visits connections in the
  // same order on every machine. Ids are never reused.
  std::vector<std::unique_ptr<Connection>> connections_;
  std::size_t first_open_ = 0;  // slots before it are all closed
  std::map<std::uint16_t, Listener> listeners_;
  // Every port from a first_free_port() search's start up to this one is taken: a herd of
  // thousands of servers on port 0 searches once, not once per server. A port freed below it
  // moves it back.
  std::uint16_t search_from_ = 0, taken_below_ = 0;
  std::unordered_map<std::uint64_t, LinkFaults> faults_;  // by link_key
  Observer observer_;
};

}  // namespace herd::vnet
