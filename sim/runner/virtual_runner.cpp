// The scenario runner on the virtual network: the herd's real node code, one thread, a clock that
// jumps to the next event, and one seeded random source for everything, so a scenario and a seed
// replay the same run, event for event, on every machine.
//
// The loop alternates two things until the step's condition holds: run every handler the nodes
// have ready (the io_context's poll, on this thread), then the next event of the network (a
// delivery, a timer, a connect), moving the clock to its time.

#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "core/io/environment.hpp"
#include "core/local_herd.hpp"
#include "core/location_store.hpp"
#include "core/runtime.hpp"
#include "sim/checker/checker.hpp"
#include "sim/live/clock_request.hpp"
#include "sim/live/json_text.hpp"
#include "sim/live/live_session.hpp"
#include "sim/net/virtual_environment.hpp"
#include "sim/net/virtual_network.hpp"
#include "sim/report/trace.hpp"
#include "sim/runner/runner.hpp"
#include "sim/runner/scenario_runner.hpp"
#include "sim/workload/client_work.hpp"

namespace herd {
namespace {

using vnet::ConnectionId;
using vnet::End;
using vnet::millisecond;
using vnet::Time;

constexpr Time link_up_timeout = 20'000 * millisecond;
// Loopback's few tens of microseconds, so that a flood takes time and the trace shows its order.
constexpr Time base_latency = 50'000;
constexpr const char* client_host = "client";

// A scenario's client: one connection from the host "client" to a server. Its reads run the
// herd (through `run_until`) until the reply is there.
class VirtualClient final : public ClientConnection {
 public:
  using RunUntil = std::function<bool(const std::function<bool()>& done, Time deadline)>;
  VirtualClient(vnet::VirtualNetwork& net, ConnectionId id, RunUntil run_until)
      : net_(net), id_(id), run_until_(std::move(run_until)) {
    net_.set_receiver(
        id_, End::initiator,
        {[this] { inbox_ += net_.read(id_, End::initiator); }, [this](bool) { closed_ = true; }});
  }
  ~VirtualClient() override {
    net_.set_receiver(id_, End::initiator, {});
    net_.close(id_, End::initiator);
  }
  VirtualClient(const VirtualClient&) = delete;
  VirtualClient& operator=(const VirtualClient&) = delete;

  bool send(const std::string& bytes) override {
    return !closed_ && net_.write(id_, End::initiator, bytes);
  }
  std::optional<std::string> read_through(std::string_view end, int timeout_ms) override {
    run_until_([&] { return closed_ || inbox_.find(end) != std::string::npos; },
               net_.now() + static_cast<Time>(timeout_ms) * millisecond);
    auto at = inbox_.find(end);
    if (at == std::string::npos) return std::nullopt;
    auto text = inbox_.substr(0, at + end.size());
    inbox_.erase(0, at + end.size());
    return text;
  }

 private:
  vnet::VirtualNetwork& net_;
  ConnectionId id_;
  RunUntil run_until_;
  std::string inbox_;
  bool closed_ = false;
};

class VirtualRunner final : public ScenarioRunner {
 public:
  VirtualRunner(const Scenario& scenario, const SimOptions& options)
      : ScenarioRunner(scenario, options),
        net_(scenario.seed),
        clock_(net_),
        trace_(options.trace, true) {
    trace_.set_listener(options.trace_listener, options.trace_listening);
    net_.set_base_latency(base_latency);
    // Only what servers say to each other is traced as messages; clients are traced by step.
    auto between_servers = [this](ConnectionId id) {
      return net_.host_of(id, End::initiator) != client_host &&
             net_.host_of(id, End::acceptor) != client_host;
    };
    net_.set_observer(
        {[this, between_servers](ConnectionId id, End from, const std::string& bytes) {
           if (between_servers(id))
             trace_.sent(net_.now(), id, net_.host_of(id, from),
                         net_.host_of(id, vnet::other(from)), bytes);
         },
         [this, between_servers](ConnectionId id, End to, const std::string& bytes) {
           if (between_servers(id)) ++deliveries_;
           if (between_servers(id))
             trace_.delivered(net_.now(), id, net_.host_of(id, vnet::other(to)),
                              net_.host_of(id, to), bytes);
         },
         {},
         [this](ConnectionId id, vnet::DropReason why) {
           trace_.lost(net_.now(), id, vnet::to_string(why));
         }});
    places_.on_call = [this](const std::string& server, const std::string& what) {
      trace("places-call", server + " " + what);
    };
    places_.on_answer = [this](const std::string& server, const std::string& what) {
      trace("places-answer", server + " " + printable(what));
    };
  }

  ~VirtualRunner() override { tear_down(); }

 private:
  // --- the loop ---------------------------------------------------------------------------

  void poll() {
    auto& io = runtime_.io();
    io.restart();
    io.poll();
  }

  // Runs the herd until `done` holds or the virtual clock reaches `deadline`.
  bool run_until(const std::function<bool()>& done, Time deadline) {
    for (;;) {
      poll();
      if (done()) return true;
      if (stopping()) return false;
      auto next = net_.next_event();
      if (!next || *next > deadline) {
        net_.run_until(deadline);
        poll();
        return done();
      }
      net_.run_next();
    }
  }

  std::int64_t clock_ns() const override { return net_.now(); }
  void run_until_clock(std::int64_t when) override {
    run_until([] { return false; }, when);
  }
  std::int64_t wall_ns() const override { return clock_.now_ns(); }
  bool run_until_held(const std::function<bool(const Holdings&)>& done, int ms) override {
    return run_until([&] { return done(held_); }, net_.now() + static_cast<Time>(ms) * millisecond);
  }

  // --- the herd ---------------------------------------------------------------------------

  std::optional<std::string> set_up() override {
    HerdSettings settings;
    settings.topology = scenario_.topology;
    settings.node.classic = scenario_.classic;
    settings.node.reconnect_max_ms = options_.reconnect_max_ms;
    settings.node.reconnect_stable_ms = options_.reconnect_stable_ms;
    settings.node.connect_timeout_ms = options_.connect_timeout_ms;
    // A virtual run has no file descriptors to share out.
    settings.node.max_clients = 10'000;
    // Their own logs, as herd node writes them, with the virtual clock's times.
    if (!options_.log_dir.empty()) settings.node.log_dir = options_.log_dir + "/" + scenario_.name;
    settings.seed = scenario_.seed;
    settings.clock = &clock_;
    settings.sink = [this](const NodeEvent& e) { on_event(e); };
    settings.environment = [this](const std::string& name) {
      return vnet::make_virtual_environment(net_, name, places_, PlacesSettings{});
    };
    herd_ = std::make_unique<LocalHerd>(runtime_, settings);
    if (auto error = herd_->start()) return error;
    auto links = 2 * scenario_.topology.links.size();
    if (!run_until([&] { return link_ups_ >= links; }, net_.now() + link_up_timeout))
      return "the links did not all come up within 20 s of virtual time";
    up_ = net_.now();
    return std::nullopt;
  }

  // Everything the nodes held is closed and every handler has run before the network goes, so
  // nothing outlives what it points at.
  void tear_down() override {
    if (torn_down_) return;
    torn_down_ = true;
    simulated_ = net_.now();
    if (herd_) herd_->stop();
    poll();
    for (int i = 0; i < 100'000 && net_.run_next(); ++i) poll();
    net_.discard_events();
    poll();
    herd_.reset();
    poll();
  }

  void collect(RunResult& result) override {
    result.simulated_s = static_cast<double>(simulated_) / 1e9;
    result.events = std::move(events_);
    result.messages = trace_.take_messages();
    mark_end_of_run(result.messages, simulated_);
    // On the events' clock: since the herd came up.
    for (auto& m : result.messages) {
      m.sent_ns -= up_;
      if (m.delivered_ns) *m.delivered_ns -= up_;
      if (!m.dropped.empty()) m.dropped_ns -= up_;
    }
  }

  void on_event(const NodeEvent& e) {
    if (keep_events_)
      events_.push_back({e.kind, std::string(e.node), std::string(e.peer), std::string(e.text),
                         e.time_ns - vnet::VirtualClock::epoch_ns - up_, e.queue_bytes});
    if (e.kind == EventKind::update_stored) {
      Record record;
      if (record_from_at_line(e.text, record))
        held_[std::string(e.node)][std::string(record.client())] = e.text;
    }
    if (e.kind == EventKind::link_up) ++link_ups_;
    trace_.node_event(net_.now(), e);
  }

  // A live herd may run for days: what it does after the scenario is not kept for the report.
  void keep_messages(bool keep) override {
    keep_events_ = keep;
    trace_.keep_messages(keep);
  }

  void trace(std::string_view kind, const std::string& text) override {
    trace_.event(net_.now(), kind, text);
  }

  std::unique_ptr<ClientConnection> connect(const std::string& node) override {
    std::optional<ConnectionId> id;
    bool answered = false;
    net_.connect(client_host, herd_->topology().find(node)->port,
                 [&](std::optional<ConnectionId> got) {
                   answered = true;
                   id = got;
                 });
    run_until([&] { return answered; },
              net_.now() + static_cast<Time>(reply_timeout_ms) * millisecond);
    if (!id) return nullptr;
    return std::make_unique<VirtualClient>(
        net_, *id, [this](const std::function<bool()>& done, Time deadline) {
          return run_until(done, deadline);
        });
  }

  // What `node` holds, read from its store (past a pause, as a debugger reads memory).
  std::size_t held_count(const std::string& node) override {
    auto it = held_.find(node);
    return it == held_.end() ? 0 : it->second.size();
  }

  std::map<std::string, std::string, std::less<>> store_of(const std::string& node) override {
    return holdings_from_lines(newest_of(node, static_cast<std::size_t>(-1)));
  }

  std::vector<std::string> newest_of(const std::string& node, std::size_t limit) override {
    std::vector<std::string> lines;
    bool read = false;
    herd_->node(node)->snapshot(
        [&](std::vector<std::string> got) {
          lines = std::move(got);
          read = true;
        },
        limit);
    while (!read) poll();
    return lines;
  }

  // --- faults -----------------------------------------------------------------------------

  void change_link(const std::string& from, const std::string& to,
                   const std::function<void(LinkFaults&)>& change) override {
    auto faults = net_.faults(from, to);
    change(faults);
    net_.set_faults(from, to, faults);
    poll();
  }

  void reset_link(const std::string& from, const std::string& to) override {
    net_.reset_link(from, to);
    poll();
  }

  void crash_server(const std::string& node) override {
    // Its connections reset and its listener goes, as when a process dies; then its memory.
    net_.crash(node);
    herd_->crash(node);
    poll();
    held_.erase(node);
  }

  std::optional<std::string> restart_server(const std::string& node) override {
    // A restart of a running server kills it first, as on real sockets.
    if (herd_->node(node) != nullptr) crash_server(node);
    held_.erase(node);
    auto error = herd_->restart(node);
    poll();
    return error;
  }

  void pause_server(const std::string& node) override { herd_->node(node)->pause(); }
  void resume_server(const std::string& node) override {
    herd_->node(node)->resume();
    poll();
  }
  void set_places_faults(const PlacesFaults& faults) override { places_.faults = faults; }

  LinkFaults link_faults(const std::string& from, const std::string& to) override {
    return net_.faults(from, to);
  }

  std::vector<std::string> held_lines(const std::string& from, const std::string& to) override {
    return net_.held_lines(from, to);
  }

  LiveAnswer live_clock(const std::string& body) override {
    auto error = [](const std::string& message) {
      return LiveAnswer{400, json_text({{"error", message}})};
    };
    auto parsed = parse_clock_request(body);
    if (auto* wrong = std::get_if<std::string>(&parsed)) return error(*wrong);
    const auto& request = std::get<ClockRequest>(parsed);
    // Every change starts the wall-to-virtual mapping afresh from now.
    live_began_ = std::chrono::steady_clock::now();
    live_virtual_ = net_.now();
    if (request.paused) live_paused_ = *request.paused;
    if (request.speed) live_speed_ = *request.speed;
    int delivered = 0;
    if (request.deliver) {
      // The next held line of the link chosen goes on alone; the link stays held.
      const auto& [from, to] = *request.deliver;
      if (!net_.release_one_line(from, to))
        return error("deliver: " + from + " -> " + to + " holds nothing");
      poll();
      delivered = 1;
    }
    if (request.step) {
      // A step runs the network until the next message between servers arrives (timers and
      // connects on the way run too); the clock stays paused after it.
      live_paused_ = true;
      for (int n = *request.step; n > 0; --n) {
        auto before = deliveries_;
        while (deliveries_ == before && net_.run_next()) poll();
        if (deliveries_ == before) break;
        ++delivered;
      }
      live_virtual_ = net_.now();
    }
    nlohmann::json answer = {{"paused", live_paused_},
                             {"speed", live_speed_},
                             {"time_s", seconds_since_up()},
                             {"delivered", delivered}};
    return {200, json_text(answer)};
  }

  // Live, virtual time follows the wall clock, so a page sees messages travel; the herd runs
  // between the session's jobs.
  void idle_live(LiveSession& live) override {
    auto now = std::chrono::steady_clock::now();
    if (!live_began_) {
      live_began_ = now;
      live_virtual_ = net_.now();
    }
    if (live_paused_) {
      live.wait_for_job(std::chrono::milliseconds(20));
      return;
    }
    auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - *live_began_).count();
    auto target = live_virtual_ + static_cast<Time>(live_speed_ * static_cast<double>(elapsed));
    if (target > net_.now()) run_until_clock(target);
    auto next = net_.next_event();
    auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(
        next ? std::chrono::nanoseconds(*next - net_.now()) : std::chrono::nanoseconds(20'000'000));
    live.wait_for_job(std::clamp(gap, std::chrono::milliseconds(1), std::chrono::milliseconds(20)));
  }

  // The network first: everything after it points into it, and goes before it.
  vnet::VirtualNetwork net_;
  vnet::VirtualClock clock_;
  vnet::VirtualPlaces places_;
  Trace trace_;
  Runtime runtime_{1, 1};  // never started: this thread polls it
  std::unique_ptr<LocalHerd> herd_;
  Holdings held_;  // what each live node holds, as its events say
  std::vector<TimedEvent> events_;
  bool keep_events_ = true;
  std::size_t link_ups_ = 0;
  Time up_ = 0, simulated_ = 0;
  bool torn_down_ = false;
  std::optional<std::chrono::steady_clock::time_point> live_began_;
  Time live_virtual_ = 0;
  bool live_paused_ = false;
  double live_speed_ = 1;
  std::uint64_t deliveries_ = 0;  // messages delivered between servers, for stepping
};

}  // namespace

RunResult run_on_virtual_network(const Scenario& scenario, const SimOptions& options) {
  VirtualRunner runner(scenario, options);
  return runner.run();
}

}  // namespace herd
