#include "sim/world/virtual_world.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

#include "core/local_herd.hpp"
#include "core/location_store.hpp"
#include "sim/checker/checker.hpp"
#include "sim/report/run_record.hpp"
#include "sim/workload/client_work.hpp"
#include "sim/world/virtual_loop.hpp"

namespace herd {
namespace {

using vnet::ConnectionId;
using vnet::End;
using vnet::millisecond;
using Nanos = vnet::Time;  // virtual nanoseconds (herd::Time is the run's clock)

constexpr Nanos link_up_timeout = 20'000 * millisecond;
// Loopback's few tens of microseconds, so that a flood takes time and the trace shows its order.
constexpr Nanos base_latency = 50'000;
constexpr const char* client_host = "client";
constexpr int connect_timeout_ms = 15'000;

// A scenario's client: one connection from the host "client" to a server. Its reads run the
// world's time (paced when a page watches) until the reply is there.
class VirtualClient final : public ClientConnection {
 public:
  VirtualClient(VirtualLoop& loop, Time& time, ConnectionId id)
      : loop_(loop), time_(time), id_(id) {
    loop_.net().set_receiver(id_, End::initiator,
                             {[this] { loop_.net().read_into(id_, End::initiator, inbox_); },
                              [this](bool) { closed_ = true; }});
  }
  ~VirtualClient() override {
    loop_.net().set_receiver(id_, End::initiator, {});
    loop_.net().close(id_, End::initiator);
  }
  VirtualClient(const VirtualClient&) = delete;
  VirtualClient& operator=(const VirtualClient&) = delete;

  bool send(const std::string& bytes) override {
    return !closed_ && loop_.net().write(id_, End::initiator, bytes);
  }
  std::optional<std::string> read_through(std::string_view end, int timeout_ms) override {
    time_.run_until(loop_.now() + static_cast<Nanos>(timeout_ms) * millisecond,
                    [&] { return closed_ || inbox_.find(end) != std::string::npos; });
    auto at = inbox_.find(end);
    if (at == std::string::npos) return std::nullopt;
    auto text = inbox_.substr(0, at + end.size());
    inbox_.erase(0, at + end.size());
    return text;
  }

 private:
  VirtualLoop& loop_;
  Time& time_;
  ConnectionId id_;
  std::string inbox_;
  bool closed_ = false;
};

class VirtualWorld final : public World, Herd, Links, Time {
 public:
  explicit VirtualWorld(WorldOptions options)
      : options_(std::move(options)),
        loop_(options_.seed),
        record_(options_.record),
        held_(server_names(options_.topology)) {
    auto& net = loop_.net();
    net.set_base_latency(base_latency);
    // Only what servers say to each other is traced as messages; clients are traced by step.
    auto between_servers = [&net, client = net.host_id(client_host)](ConnectionId id) {
      return net.host_id_of(id, End::initiator) != client &&
             net.host_id_of(id, End::acceptor) != client;
    };
    // The record hears of the bytes between servers only when it traces, listens or counts
    // them: on a busy ring, reading every line for nobody took a tenth of the flood's
    // instructions.
    const bool messages = record_.wants_messages();
    vnet::Observer observer;
    if (messages)
      observer.sent = [this, &net, between_servers](ConnectionId id, End from,
                                                    std::string_view bytes) {
        if (between_servers(id))
          record_.sent(net.now(), id, from == End::initiator, net.host_of(id, from),
                       net.host_of(id, vnet::other(from)), bytes);
      };
    observer.delivered = [this, &net, between_servers, messages](ConnectionId id, End to,
                                                                 std::string_view bytes) {
      if (!between_servers(id)) return;
      ++deliveries_;
      if (messages)
        record_.delivered(net.now(), id, to == End::acceptor, net.host_of(id, vnet::other(to)),
                          net.host_of(id, to), bytes);
    };
    if (messages)
      observer.aborted = [this, &net](ConnectionId id, vnet::DropReason why) {
        record_.lost(net.now(), id, vnet::to_string(why));
      };
    if (record_.wants_schedule())
      observer.scheduled = [this, &net, between_servers](ConnectionId id, End from,
                                                         std::string_view bytes, std::int64_t due) {
        if (between_servers(id))
          record_.scheduled(net.now(), id, from == End::initiator, due, bytes);
      };
    net.set_observer(std::move(observer));
    loop_.places().on_call = [this](const std::string& server, const std::string& what) {
      record_.event(loop_.now(), "places-call", server + " " + what);
    };
    loop_.places().on_answer = [this](const std::string& server, const std::string& what) {
      record_.event(loop_.now(), "places-answer", server + " " + printable(what));
    };
  }

  ~VirtualWorld() override { stop(); }

  // --- World ---------------------------------------------------------------------------------
  NetworkKind network() const override { return NetworkKind::virtual_; }
  Herd& herd() override { return *this; }
  Links& links() override { return *this; }
  Time& time() override { return *this; }
  RunRecord& record() override { return record_; }

  void collect(RunResult& result, std::int64_t up_ns) override {
    result.simulated_s = static_cast<double>(ended_) / 1e9;
    record_.collect(result, up_ns, options_.topology.servers.size());
  }

  // --- Herd ----------------------------------------------------------------------------------
  Expected<void> start() override {
    HerdSettings settings;
    settings.topology = options_.topology;
    settings.node.classic = options_.classic;
    settings.node.reconnect_max_ms = options_.reconnect_max_ms;
    settings.node.reconnect_stable_ms = options_.reconnect_stable_ms;
    settings.node.connect_timeout_ms = options_.connect_timeout_ms;
    settings.node.line_in_events = false;  // nothing here reads them (run_record.cpp)
    // A virtual run has no file descriptors to share out.
    settings.node.max_clients = 10'000;
    // Their own logs, as herd node writes them, with the virtual clock's times.
    settings.node.log_dir = options_.log_dir;
    settings.seed = options_.seed;
    settings.sink = [this](const NodeEvent& e) { on_event(e); };
    settings.environment = [this](const NodeOptions& node) {
      return loop_.environment(node.name, PlacesSettings{});
    };
    herd_ = std::make_unique<LocalHerd>(settings);
    if (auto started = herd_->start(); !started) return started;
    auto links = 2 * options_.topology.links.size();
    if (!loop_.run_until([&] { return held_.link_ups() >= links; }, loop_.now() + link_up_timeout))
      return fail("the links did not all come up within 20 s of virtual time");
    return {};
  }

  // Everything the nodes held is closed and every handler has run before the network goes, so
  // nothing outlives what it points at.
  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    ended_ = loop_.now();
    record_.end(ended_);
    if (herd_) herd_->stop();
    loop_.drain();
    herd_.reset();
    loop_.poll();
  }

  void crash(const std::string& server) override {
    // Its connections reset and its listener goes, as when a process dies; then its memory.
    loop_.net().crash(server);
    herd_->crash(server);
    loop_.poll();
    held_.forget(server);
  }

  Expected<void> restart(const std::string& server) override {
    // A restart of a running server kills it first, as on real sockets.
    if (herd_->node(server) != nullptr) crash(server);
    held_.forget(server);
    auto restarted = herd_->restart(server);
    loop_.poll();
    return restarted;
  }

  void pause(const std::string& server) override { herd_->node(server)->pause(); }
  void resume(const std::string& server) override {
    herd_->node(server)->resume();
    loop_.poll();
  }

  std::unique_ptr<ClientConnection> connect(const std::string& server) override {
    std::optional<ConnectionId> id;
    bool answered = false;
    loop_.net().connect(client_host, herd_->topology().find(server)->port,
                        [&](std::optional<ConnectionId> got) {
                          answered = true;
                          id = got;
                        });
    run_until(loop_.now() + static_cast<Nanos>(connect_timeout_ms) * millisecond,
              [&] { return answered; });
    if (!id) return nullptr;
    Time& time = *this;
    return std::make_unique<VirtualClient>(loop_, time, *id);
  }

  void set_places_faults(const PlacesFaults& faults) override { loop_.places().faults = faults; }

  HeldRecords& held() override { return held_; }
  void refresh_held() override {}
  bool held_is_answers() const override { return false; }

  // Read past a pause, as a debugger reads a stopped process's memory.
  StoreRecords read_store(const std::string& server) override {
    return holdings_from_lines(newest(server, static_cast<std::size_t>(-1)));
  }

  std::vector<std::string> newest(const std::string& server, std::size_t limit) override {
    std::vector<std::string> lines;
    bool read = false;
    herd_->node(server)->snapshot(
        [&](std::vector<std::string> got) {
          lines = std::move(got);
          read = true;
        },
        limit);
    while (!read) loop_.poll();
    return lines;
  }

  std::vector<std::pair<std::string, std::string>> take_ended() override { return {}; }

  // --- Links ---------------------------------------------------------------------------------
  LinkFaults faults(const std::string& from, const std::string& to) const override {
    return loop_net().faults(from, to);
  }
  void set_faults(const std::string& from, const std::string& to,
                  const LinkFaults& faults) override {
    loop_.net().set_faults(from, to, faults);
    loop_.poll();
  }
  void reset(const std::string& from, const std::string& to) override {
    loop_.net().reset_link(from, to);
    loop_.poll();
  }
  std::vector<std::string> held_lines(const std::string& from,
                                      const std::string& to) const override {
    return loop_net().held_lines(from, to);
  }
  bool release_one_line(const std::string& from, const std::string& to) override {
    bool released = loop_.net().release_one_line(from, to);
    loop_.poll();
    return released;
  }
  std::optional<std::string> why_no_faults() const override { return std::nullopt; }

  // --- Time ----------------------------------------------------------------------------------
  std::int64_t now_ns() const override { return loop_net().now(); }
  std::int64_t wall_ns() const override { return loop_.wall_ns(); }
  bool run_until(std::int64_t deadline_ns, const std::function<bool()>& done) override {
    if (horizon_) deadline_ns = std::min<std::int64_t>(deadline_ns, *horizon_);
    if (!idle_) return loop_.run_until(done, deadline_ns, stopping_);
    // Watched: the herd runs no further than the wall clock allows at the page's speed, and
    // the page is answered while it waits, so pausing or stepping acts inside a step too.
    for (;;) {
      auto target = std::min<Nanos>(deadline_ns, paced_target());
      if (target > loop_.now()) {
        if (loop_.run_until(done, target, stopping_)) return true;
      } else {
        loop_.poll();
        if (done()) return true;
      }
      if (stopping()) return false;
      if (loop_.now() >= deadline_ns) return done();
      idle_(pace_wait());
    }
  }
  void advance_to(std::int64_t deadline_ns) override {
    run_until(deadline_ns, [] { return false; });
  }
  void pace_with(std::function<void(std::chrono::milliseconds)> idle) override {
    idle_ = std::move(idle);
  }
  void let_idle_work_run() override {
    if (idle_) idle_(std::chrono::milliseconds(0));
  }
  void stop_when(std::function<bool()> stopping) override { stopping_ = std::move(stopping); }
  bool stopping() const override {
    return (stopping_ && stopping_()) || (horizon_ && loop_.now() >= *horizon_);
  }
  void stop_at(std::optional<std::int64_t> horizon_ns) override { horizon_ = horizon_ns; }

  // Live, virtual time follows the wall clock, at the page's speed, so a page sees messages
  // travel; the herd runs between the page's requests.
  std::chrono::milliseconds keep_pace() override {
    auto target = paced_target();
    if (target > loop_.now()) loop_.run_until([] { return false; }, target, stopping_);
    return pace_wait();
  }

  ClockState clock_state() const override {
    ClockState state;
    state.paused = paused_;
    state.speed = speed_;
    return state;
  }

  Expected<ClockState> control(const ClockRequest& request) override {
    // The herd first catches up with the wall clock (it runs in slices, up to 20 ms behind): a
    // page that has been moving its dots at the old speed then finds the herd where it drew it.
    if (auto target = paced_target(); target > loop_.now())
      loop_.run_until([] { return false; }, target, stopping_);
    // Every change starts the wall-to-virtual mapping afresh from now.
    paced_from_ = std::chrono::steady_clock::now();
    paced_virtual_ = loop_.now();
    if (request.paused) paused_ = *request.paused;
    if (request.speed) speed_ = *request.speed;
    ClockState state;
    if (request.deliver) {
      // The next held line of the link chosen goes on alone; the link stays held.
      const auto& [from, to] = *request.deliver;
      if (!release_one_line(from, to))
        return fail("deliver: " + from + " -> " + to + " holds nothing");
      state.delivered = 1;
    }
    if (request.step) {
      // A step runs the network until the next message between servers arrives (timers and
      // connects on the way run too); the clock stays paused after it. With nothing on its way
      // the next event is a timer, perhaps minutes ahead: the clock stays, and the page says so.
      paused_ = true;
      const vnet::Time horizon = loop_.now() + step_horizon;
      for (int n = *request.step; n > 0; --n) {
        auto before = deliveries_;
        loop_.poll();
        if (loop_net().deliveries_on_their_way() == 0) {
          state.note =
              "no message is on its way between servers (a held link keeps its own; "
              "select it to deliver one): the clock stays where it was";
          break;
        }
        while (deliveries_ == before) {
          loop_.poll();
          auto next = loop_net().next_event_time();
          if (!next || *next > horizon || !loop_.step()) break;
        }
        loop_.poll();
        if (deliveries_ == before) {
          state.note = "no message arrived between servers within " +
                       std::to_string(step_horizon / (1000 * vnet::millisecond)) +
                       " s of the herd's time";
          break;
        }
        ++state.delivered;
      }
      paced_virtual_ = loop_.now();
    }
    state.paused = paused_;
    state.speed = speed_;
    return state;
  }

 private:
  static std::vector<std::string> server_names(const Topology& topology) {
    std::vector<std::string> names;
    for (const auto& s : topology.servers) names.push_back(s.name);
    return names;
  }
  const vnet::VirtualNetwork& loop_net() const { return const_cast<VirtualLoop&>(loop_).net(); }

  // Where virtual time should be by now: the wall time since the page last changed the clock,
  // at its speed; where it is while paused.
  Nanos paced_target() {
    auto now = std::chrono::steady_clock::now();
    if (!paced_from_) {
      paced_from_ = now;
      paced_virtual_ = loop_.now();
    }
    if (paused_) return loop_.now();
    auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - *paced_from_).count();
    return paced_virtual_ + static_cast<Nanos>(speed_ * static_cast<double>(elapsed));
  }
  // How long the caller may wait before the next event is due (20 ms when paused).
  std::chrono::milliseconds pace_wait() const {
    if (paused_) return std::chrono::milliseconds(20);
    auto next = loop_net().next_event();
    auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(
        next ? std::chrono::nanoseconds(*next - loop_.now())
             : std::chrono::nanoseconds(20'000'000));
    return std::clamp(gap, std::chrono::milliseconds(1), std::chrono::milliseconds(20));
  }

  void on_event(const NodeEvent& e) {
    // The herd lists its servers as held_ does (both follow the topology): the node's place
    // there is a hint HeldRecords checks against the name.
    auto line = e.kind == EventKind::update_stored
                    ? held_.stored(e.node, e.text, e.client, e.herd_index)
                    : TextInterner::none;
    if (e.kind == EventKind::link_up) held_.link_up();
    record_.node_event(loop_.now(), e, line);
  }

  WorldOptions options_;
  // The loop first: everything after it points into it, and goes before it.
  VirtualLoop loop_;
  RunRecord record_;
  HeldRecords held_;
  std::unique_ptr<LocalHerd> herd_;
  std::function<bool()> stopping_;
  std::function<void(std::chrono::milliseconds)> idle_;
  Nanos ended_ = 0;
  bool stopped_ = false;
  std::uint64_t deliveries_ = 0;  // messages delivered between servers, for stepping
  // How far ahead a step looks for the next message between servers.
  static constexpr vnet::Time step_horizon = 10'000 * vnet::millisecond;
  std::optional<std::chrono::steady_clock::time_point> paced_from_;
  Nanos paced_virtual_ = 0;
  bool paused_ = false;
  double speed_ = 1;
  std::optional<Nanos> horizon_;  // time goes no further (stop_at)
};

}  // namespace

std::unique_ptr<World> make_virtual_world(WorldOptions options) {
  return std::make_unique<VirtualWorld>(std::move(options));
}

}  // namespace herd
