// The scenario runner on the virtual network: the herd's real node code, one thread, a clock that
// jumps to the next event, and one seeded random source for everything, so a scenario and a seed
// replay the same run, event for event, on every machine.
//
// The loop alternates two things until the step's condition holds: run every handler the nodes
// have ready (the io_context's poll, on this thread), then the next event of the network (a
// delivery, a timer, a connect), moving the clock to its time.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <set>

#include "core/io/environment.hpp"
#include "core/local_herd.hpp"
#include "core/location_store.hpp"
#include "core/protocol.hpp"
#include "core/runtime.hpp"
#include "sim/checker/checker.hpp"
#include "sim/net/virtual_environment.hpp"
#include "sim/net/virtual_network.hpp"
#include "sim/report/progress.hpp"
#include "sim/report/trace.hpp"
#include "sim/runner/runner.hpp"
#include "sim/workload/client_work.hpp"

namespace herd {
namespace {

using vnet::ConnectionId;
using vnet::End;
using vnet::millisecond;
using vnet::Time;

constexpr Time reply_timeout = 15'000 * millisecond;  // longer than any Places fault
constexpr Time link_up_timeout = 20'000 * millisecond;
// Loopback's few tens of microseconds, so that a flood takes time and the trace shows its order.
constexpr Time base_latency = 50'000;
constexpr const char* client_host = "client";

// A scenario's client: one connection from the host "client" to a server.
struct VirtualClient {
  VirtualClient(vnet::VirtualNetwork& n, ConnectionId c) : net(n), id(c) {
    net.set_receiver(
        id, End::initiator,
        {[this] { inbox += net.read(id, End::initiator); }, [this](bool) { closed = true; }});
  }
  ~VirtualClient() {
    net.set_receiver(id, End::initiator, {});
    net.close(id, End::initiator);
  }
  VirtualClient(const VirtualClient&) = delete;
  VirtualClient& operator=(const VirtualClient&) = delete;

  vnet::VirtualNetwork& net;
  ConnectionId id;
  std::string inbox;
  bool closed = false;
};

class VirtualRunner final : public StepContext {
 public:
  VirtualRunner(const Scenario& scenario, const SimOptions& options)
      : scenario_(scenario),
        options_(options),
        net_(scenario.seed),
        clock_(net_),
        random_(scenario.seed ^ 0x7a11c0ffeeULL),
        trace_(options.trace, true) {
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
           if (between_servers(id))
             trace_.delivered(net_.now(), id, net_.host_of(id, vnet::other(to)),
                              net_.host_of(id, to), bytes);
         },
         {},
         [this](ConnectionId id, vnet::DropReason why) {
           trace_.lost(net_.now(), id, vnet::to_string(why));
         }});
    places_.on_call = [this](const std::string& server, const std::string& what) {
      trace_.event(net_.now(), "places-call", server + " " + what);
    };
    places_.on_answer = [this](const std::string& server, const std::string& what) {
      trace_.event(net_.now(), "places-answer", server + " " + printable(what));
    };
  }

  ~VirtualRunner() override { tear_down(); }

  RunResult run() {
    RunResult result;
    result.scenario = scenario_;
    for (const auto& s : scenario_.topology.servers) result.servers.push_back(s.name);
    auto began = std::chrono::steady_clock::now();
    if (auto error = set_up()) {
      result.setup_error = *error;
      tear_down();
      return result;
    }
    up_ = net_.now();
    for (std::size_t i = 0; i < scenario_.steps.size(); ++i) {
      const auto& step = scenario_.steps[i];
      StepOutcome outcome;
      outcome.index = i;
      outcome.kind = step.kind;
      outcome.description = describe(step);
      outcome.started_s = seconds_since_up();
      trace_.event(net_.now(), "step-start",
                   "steps[" + std::to_string(i) + "] " + printable(outcome.description));
      apply_step(step, *this, outcome);
      outcome.finished_s = seconds_since_up();
      trace_.event(net_.now(), "step-end",
                   "steps[" + std::to_string(i) + "] " + (outcome.ok ? "ok" : "FAIL") +
                       (outcome.message.empty() ? "" : ": " + printable(outcome.message)));
      if (options_.progress) print_step(*options_.progress, outcome);
      result.steps.push_back(std::move(outcome));
    }
    finish_background(result.steps);
    result.simulated_s = static_cast<double>(net_.now()) / 1e9;
    tear_down();
    result.events = std::move(events_);
    result.messages = trace_.take_messages();
    // On the events' clock: since the herd came up.
    for (auto& m : result.messages) {
      m.sent_ns -= up_;
      if (m.delivered_ns) *m.delivered_ns -= up_;
      if (!m.dropped.empty()) m.dropped_ns -= up_;
    }
    result.metrics = compute_metrics(result.events, scenario_.topology.servers.size());
    result.duration_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    result.events_run = events_run_;
    result.passed = true;
    for (const auto& s : result.steps) result.passed = result.passed && s.ok;
    return result;
  }

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
      auto next = net_.next_event();
      if (!next || *next > deadline) {
        net_.run_until(deadline);
        poll();
        return done();
      }
      net_.run_next();
      ++events_run_;
    }
  }

  void run_for(Time span) {
    run_until([] { return false; }, net_.now() + span);
  }

  double seconds_since_up() const { return static_cast<double>(net_.now() - up_) / 1e9; }

  // --- the herd ---------------------------------------------------------------------------

  std::optional<std::string> set_up() {
    HerdSettings settings;
    settings.topology = scenario_.topology;
    settings.node.classic = scenario_.classic;
    settings.node.reconnect_max_ms = options_.reconnect_max_ms;
    settings.node.reconnect_stable_ms = options_.reconnect_stable_ms;
    settings.node.connect_timeout_ms = options_.connect_timeout_ms;
    // A virtual run has no file descriptors to share out; the real default cap is plenty.
    settings.node.max_clients = 10'000;
    settings.seed = scenario_.seed;
    settings.clock = &clock_;
    settings.sink = [this](const NodeEvent& e) { on_event(e); };
    settings.environment = [this](const std::string& name) {
      return vnet::make_virtual_environment(net_, name, places_, PlacesSettings{});
    };
    herd_ = std::make_unique<LocalHerd>(runtime_, settings);
    if (auto error = herd_->start()) return error;
    for (const auto& s : scenario_.topology.servers) live_.insert(s.name);
    auto links = 2 * scenario_.topology.links.size();
    if (!run_until([&] { return link_ups_ >= links; }, net_.now() + link_up_timeout))
      return "the links did not all come up within 20 s of virtual time";
    return std::nullopt;
  }

  // Everything the nodes held is closed and every handler has run before the network goes, so
  // nothing outlives what it points at.
  void tear_down() {
    if (torn_down_) return;
    torn_down_ = true;
    clients_.clear();
    background_.clear();
    if (herd_) herd_->stop();
    poll();
    for (int i = 0; i < 100'000 && net_.run_next(); ++i) poll();
    net_.discard_events();
    poll();
    herd_.reset();
    poll();
  }

  void on_event(const NodeEvent& e) {
    events_.push_back({e.kind, std::string(e.node), std::string(e.peer), std::string(e.text),
                       e.time_ns - vnet::VirtualClock::epoch_ns - up_, e.queue_bytes});
    switch (e.kind) {
      case EventKind::update_stored: {
        Record record;
        if (record_from_at_line(e.text, record))
          held_[std::string(e.node)][std::string(record.client())] = e.text;
        trace_.event(net_.now(), "stored", std::string(e.node) + " " + std::string(e.text));
        break;
      }
      case EventKind::update_dropped:
        trace_.event(net_.now(), "stale", std::string(e.node) + " " + std::string(e.text));
        break;
      case EventKind::link_up:
        ++link_ups_;
        trace_.event(net_.now(), "link-up", std::string(e.node) + ">" + std::string(e.peer));
        break;
      case EventKind::link_down:
        trace_.event(net_.now(), "link-down",
                     std::string(e.node) + ">" + std::string(e.peer) + " " + std::string(e.text));
        break;
      default:
        break;
    }
  }

  std::uint16_t port_of(const std::string& node) { return herd_->topology().find(node)->port; }

  // --- clients ----------------------------------------------------------------------------

  std::unique_ptr<VirtualClient> connect(const std::string& node) {
    std::optional<ConnectionId> id;
    bool answered = false;
    net_.connect(client_host, port_of(node), [&](std::optional<ConnectionId> got) {
      answered = true;
      id = got;
    });
    run_until([&] { return answered; }, net_.now() + reply_timeout);
    if (!id) return nullptr;
    return std::make_unique<VirtualClient>(net_, *id);
  }

  std::optional<std::string> read_through(VirtualClient& client, std::string_view end) {
    run_until([&] { return client.closed || client.inbox.find(end) != std::string::npos; },
              net_.now() + reply_timeout);
    auto at = client.inbox.find(end);
    if (at == std::string::npos) return std::nullopt;
    auto text = client.inbox.substr(0, at);
    client.inbox.erase(0, at + end.size());
    return text;
  }

  bool exchange(VirtualClient& client, const std::string& line, std::string& reply,
                std::string& why, const std::string& node, bool send_now = true) {
    if (send_now) {
      trace_.event(net_.now(), "client-send", node + " " + printable(line));
      if (client.closed || !net_.write(client.id, End::initiator, line + "\n")) {
        why = node + " closed the connection";
        return false;
      }
    }
    if (std::holds_alternative<AtMessage>(parse_command(line))) {
      history_.accept(line);  // a peer's AT gets no reply
      return true;
    }
    auto first = read_through(client, "\n");
    if (!first) {
      why = "no reply from " + node;
      return false;
    }
    reply = *first;
    if (reply_has_body(line, reply)) {
      auto rest = read_through(client, "\n\n");
      if (!rest) {
        why = node + " sent the AT line of a WHATSAT reply but no JSON";
        return false;
      }
      reply += "\n" + *rest + "\n\n";
    }
    trace_.event(net_.now(), "client-reply", node + " " + printable(reply));
    if (std::holds_alternative<IamatCommand>(parse_command(line)) && reply.starts_with("AT "))
      history_.accept(reply);
    return true;
  }

  struct Background {
    const Step* step;
    std::size_t index;
    std::string line;
    std::unique_ptr<VirtualClient> client;
  };

  void send(const Step& step, StepOutcome& out) override {
    auto line = expand_now(step.line, clock_.now_ns());
    auto client = live_.count(step.node) ? connect(step.node) : nullptr;
    if (!client) {
      out.ok = step.expect == ReplyKind::none;
      out.message = step.node + " refused the connection";
      return;
    }
    if (step.background) {
      trace_.event(net_.now(), "client-send", step.node + " " + printable(line));
      net_.write(client->id, End::initiator, line + "\n");
      out.message = "the reply is checked when the run ends";
      background_.push_back({&step, out.index, line, std::move(client)});
      return;
    }
    finish_send(step, line, *client, out, true);
  }

  void finish_background(std::vector<StepOutcome>& outcomes) {
    for (auto& b : background_) {
      StepOutcome out;
      out.index = b.index;
      out.kind = StepKind::send;
      out.description = "reply to steps[" + std::to_string(b.index) + "] (" + b.line + ")";
      out.started_s = seconds_since_up();
      finish_send(*b.step, b.line, *b.client, out, false);
      out.finished_s = seconds_since_up();
      if (options_.progress) print_step(*options_.progress, out);
      outcomes.push_back(std::move(out));
    }
    background_.clear();
  }

  void finish_send(const Step& step, const std::string& line, VirtualClient& client,
                   StepOutcome& out, bool send_now) {
    std::string reply, why;
    if (!exchange(client, line, reply, why, step.node, send_now)) {
      out.ok = false;
      out.message = why;
      return;
    }
    auto newline = reply.find('\n');
    out.message = reply.empty()                  ? "no reply (an AT from a peer gets none)"
                  : newline == std::string::npos ? reply
                                                 : reply.substr(0, newline) + " ...";
    auto verdict = judge_reply(step, line, reply, clock_.now_ns());
    out.ok = verdict.ok;
    if (!verdict.ok) out.message = verdict.message;
  }

  void traffic(const Step& step, StepOutcome& out) override {
    std::vector<std::string> targets;
    // A paused server answers nobody, so traffic goes to the others.
    for (const auto& name : step.nodes.empty() ? herd_->names() : step.nodes)
      if (live_.count(name) && !paused_.count(name)) targets.push_back(name);
    if (targets.empty()) {
      out.ok = false;
      out.message = "no live, unpaused node to send to";
      return;
    }
    auto plan = plan_traffic(step, targets, random_);
    auto begin = net_.now();
    std::size_t accepted = 0;
    std::string first_error;
    for (const auto& update : plan) {
      if (begin + update.offset_ns > net_.now()) run_for(begin + update.offset_ns - net_.now());
      auto line = iamat_line(update, clock_.now_ns());
      auto& client = clients_[update.node];
      if (!client) client = connect(update.node);
      std::string reply, why;
      if (client && exchange(*client, line, reply, why, update.node) && reply.starts_with("AT ")) {
        ++accepted;
        continue;
      }
      if (first_error.empty()) first_error = client ? why : update.node + " refused the connection";
      client.reset();
    }
    out.ok = accepted == plan.size();
    out.message =
        std::to_string(accepted) + " of " + std::to_string(plan.size()) + " updates accepted";
    if (!first_error.empty()) out.message += " (first error: " + first_error + ")";
  }

  // --- faults -----------------------------------------------------------------------------

  // Every directed link of the topology, in the topology's order.
  std::vector<std::pair<std::string, std::string>> directed_links() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [a, b] : scenario_.topology.links) {
      out.emplace_back(a, b);
      out.emplace_back(b, a);
    }
    return out;
  }

  bool matches(const Step& step, const std::pair<std::string, std::string>& link) const {
    bool forward = link.first == step.from && link.second == step.to;
    bool backward = link.first == step.to && link.second == step.from;
    return step.from.empty() || forward || (backward && !step.one_way);
  }

  void change_links(const Step& step, const std::function<void(LinkFaults&)>& change) override {
    for (const auto& link : directed_links()) {
      if (!matches(step, link)) continue;
      auto faults = net_.faults(link.first, link.second);
      change(faults);
      net_.set_faults(link.first, link.second, faults);
    }
    poll();
  }

  void reset_links(const Step& step) override {
    for (const auto& link : directed_links())
      if (matches(step, link)) net_.reset_link(link.first, link.second);
    poll();
  }

  void partition(const Step& step) override {
    std::map<std::string, std::size_t> group_of;
    for (std::size_t g = 0; g < step.groups.size(); ++g)
      for (const auto& name : step.groups[g]) group_of[name] = g;
    auto group = [&](const std::string& name) {
      auto it = group_of.find(name);
      return it == group_of.end() ? step.groups.size() : it->second;  // the unnamed form a group
    };
    for (const auto& link : directed_links()) {
      auto faults = net_.faults(link.first, link.second);
      faults.cut = group(link.first) != group(link.second);
      net_.set_faults(link.first, link.second, faults);
    }
    poll();
  }

  void heal() override {
    for (const auto& link : directed_links()) net_.set_faults(link.first, link.second, {});
    poll();
  }

  void crash(const std::string& node, StepOutcome&) override {
    trace_.event(net_.now(), "crash", node);
    paused_.erase(node);
    clients_.erase(node);
    // Its connections reset and its listener goes, as when a process dies; then its memory.
    net_.crash(node);
    herd_->crash(node);
    poll();
    held_.erase(node);
    live_.erase(node);
  }

  void restart(const std::string& node, StepOutcome& out) override {
    trace_.event(net_.now(), "restart", node);
    paused_.erase(node);
    clients_.erase(node);
    held_.erase(node);
    if (auto error = herd_->restart(node)) {
      out.ok = false;
      out.message = *error;
      live_.erase(node);
    } else {
      live_.insert(node);
    }
    poll();
  }

  void pause(const std::string& node, StepOutcome& out) override {
    if (!live_.count(node)) {
      out.ok = false;
      out.message = node + " is crashed";
    } else if (paused_.insert(node).second) {
      trace_.event(net_.now(), "pause", node);
      herd_->node(node)->pause();
    }
  }

  void resume(const std::string& node, StepOutcome&) override {
    if (paused_.erase(node) && live_.count(node)) {
      trace_.event(net_.now(), "resume", node);
      herd_->node(node)->resume();
      poll();
    }
  }

  void set_places(const PlacesFaults& faults) override { places_.faults = faults; }

  void wait(int ms) override { run_for(static_cast<Time>(ms) * millisecond); }

  // --- checks -----------------------------------------------------------------------------

  bool events_say_converged() const {
    const auto& expected = history_.expected();
    for (const auto& node : live_) {
      auto it = held_.find(node);
      std::size_t held = it == held_.end() ? 0 : it->second.size();
      if (held != expected.size()) return false;
      for (const auto& [client, record] : expected) {
        auto found = it->second.find(client);
        if (found == it->second.end() || found->second != record.line) return false;
      }
    }
    return true;
  }

  // What `node` holds, read from its store (past a pause, as a debugger reads memory).
  std::map<std::string, std::string, std::less<>> store_of(const std::string& node) {
    std::vector<std::string> lines;
    bool read = false;
    herd_->node(node)->snapshot([&](std::vector<std::string> got) {
      lines = std::move(got);
      read = true;
    });
    while (!read) poll();
    return holdings_from_lines(lines);
  }

  void expect_converged(const Step& step, StepOutcome& out, bool want_converged) override {
    auto start = net_.now();
    bool converged = run_until([this] { return events_say_converged(); },
                               start + static_cast<Time>(step.ms) * millisecond);
    double waited_ms = static_cast<double>(net_.now() - start) / 1e6;
    Holdings real;
    for (const auto& node : live_) real[node] = store_of(node);
    auto verdict = check_convergence(history_, real);
    char took[64];
    std::snprintf(took, sizeof took, "%.1f ms", waited_ms);
    if (want_converged) {
      out.ok = verdict.converged;
      out.message = verdict.converged
                        ? "converged after " + std::string(took) + " (" +
                              std::to_string(history_.expected().size()) + " clients on " +
                              std::to_string(live_.size()) + " live nodes)"
                        : summarize_verdict(verdict, options_.verbose, out.details);
    } else {
      out.ok = !converged && !verdict.converged;
      out.message =
          out.ok
              ? "diverged as expected: " + summarize_verdict(verdict, options_.verbose, out.details)
              : "expected divergence, but the herd converged after " + std::string(took);
    }
  }

  void expect_record(const Step& step, StepOutcome& out) override {
    if (!live_.count(step.node)) {
      out.ok = false;
      out.message = step.node + " is crashed";
      return;
    }
    auto matches = [&step](const std::string& line) {
      auto command = parse_command(line);
      auto* at = std::get_if<AtMessage>(&command);
      return at != nullptr && (step.time.empty() || at->time_text == step.time) &&
             (step.origin.empty() || at->server == step.origin);
    };
    if (step.ms > 0)
      run_until(
          [&] {
            auto it = held_.find(step.node);
            if (it == held_.end()) return false;
            auto found = it->second.find(step.client);
            return found != it->second.end() && matches(found->second);
          },
          net_.now() + static_cast<Time>(step.ms) * millisecond);
    auto held = store_of(step.node);
    auto it = held.find(step.client);
    if (step.absent) {
      out.ok = it == held.end();
      out.message = out.ok ? "holds nothing for " + step.client : "holds \"" + it->second + "\"";
      return;
    }
    if (it == held.end()) {
      out.ok = false;
      out.message = "holds nothing for " + step.client;
      return;
    }
    out.ok = matches(it->second);
    out.message = "holds \"" + it->second + "\"";
  }

  const Scenario& scenario_;
  const SimOptions& options_;
  // The network first: everything after it points into it, and goes before it.
  vnet::VirtualNetwork net_;
  vnet::VirtualClock clock_;
  vnet::VirtualPlaces places_;
  SeededRandom random_;
  Trace trace_;
  Runtime runtime_{1, 1};  // never started: this thread polls it
  std::unique_ptr<LocalHerd> herd_;
  std::map<std::string, std::unique_ptr<VirtualClient>> clients_;
  std::vector<Background> background_;
  std::set<std::string> live_, paused_;
  History history_;
  Holdings held_;  // what each live node holds, as its events say
  std::vector<TimedEvent> events_;
  std::size_t link_ups_ = 0;
  std::uint64_t events_run_ = 0;
  Time up_ = 0;
  bool torn_down_ = false;
};

}  // namespace

RunResult run_on_virtual_network(const Scenario& scenario, const SimOptions& options) {
  VirtualRunner runner(scenario, options);
  return runner.run();
}

}  // namespace herd
