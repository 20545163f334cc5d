// The runner on real sockets: nodes on the Runtime's threads, a fault proxy on every directed
// link, the mock Places over HTTP, and waits in wall-clock time.

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <regex>
#include <set>
#include <thread>

#include "core/local_herd.hpp"
#include "core/protocol.hpp"
#include "core/runtime.hpp"
#include "sim/checker/checker.hpp"
#include "sim/net/fault_proxy.hpp"
#include "sim/net/line_client.hpp"
#include "sim/places/places_mock.hpp"
#include "sim/report/progress.hpp"
#include "sim/report/trace.hpp"
#include "sim/runner/runner.hpp"
#include "sim/workload/client_work.hpp"

namespace herd {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int reply_timeout_ms = 15000;  // longer than any Places fault a scenario sets up

// Every event from every node, the holdings they imply, and a way to wait for a condition on them.
class EventLog {
 public:
  explicit EventLog(std::int64_t start_ns) : start_ns_(start_ns) {}

  // Also told of every event, on the node's strand (for the trace).
  void set_listener(std::function<void(const NodeEvent&)> listener) {
    listener_ = std::move(listener);
  }

  EventSink sink() {
    return [this](const NodeEvent& e) {
      if (listener_) listener_(e);
      {
        std::lock_guard lock(mutex_);
        events_.push_back({e.kind, std::string(e.node), std::string(e.peer), std::string(e.text),
                           e.time_ns - start_ns_, e.queue_bytes});
        if (e.kind == EventKind::link_up) ++link_ups_;
        if (e.kind == EventKind::update_stored) {
          Record record;
          if (record_from_at_line(e.text, record))
            held_[std::string(e.node)][std::string(record.client())] = e.text;
        }
      }
      changed_.notify_all();
    };
  }

  // A crashed node loses its memory; so does our picture of it.
  void forget(const std::string& node) {
    std::lock_guard lock(mutex_);
    held_.erase(node);
  }

  // Waits until every live node's events say it holds exactly the newest accepted records, or the
  // deadline passes. Checked on every event, so it stops at the first mismatch and copies nothing.
  bool wait_for_convergence(const std::set<std::string>& live, const History& history,
                            Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, deadline, [&] {
      const auto& expected = history.expected();
      for (const auto& node : live) {
        auto it = held_.find(node);
        std::size_t held = it == held_.end() ? 0 : it->second.size();
        if (held != expected.size()) return false;
        for (const auto& [client, record] : expected) {
          auto found = it->second.find(client);
          if (found == it->second.end() || found->second != record.line) return false;
        }
      }
      return true;
    });
  }

  // Waits until `node`'s events say it holds a record for `client` that `wanted` accepts.
  bool wait_for_record(const std::string& node, const std::string& client,
                       const std::function<bool(const std::string&)>& wanted,
                       Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, deadline, [&] {
      auto it = held_.find(node);
      if (it == held_.end()) return false;
      auto found = it->second.find(client);
      return found != it->second.end() && wanted(found->second);
    });
  }

  bool wait_for_link_ups(std::size_t count, Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, deadline, [&] { return link_ups_ >= count; });
  }

  std::vector<TimedEvent> take() {
    std::lock_guard lock(mutex_);
    return std::move(events_);
  }

 private:
  std::int64_t start_ns_;
  std::function<void(const NodeEvent&)> listener_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<TimedEvent> events_;
  Holdings held_;
  std::size_t link_ups_ = 0;
};

class RealRunner final : public StepContext {
 public:
  RealRunner(const Scenario& scenario, const SimOptions& options)
      : scenario_(scenario),
        options_(options),
        random_(scenario.seed),
        start_ns_(system_clock().now_ns()),
        log_(start_ns_),
        trace_(options.trace, true) {
    if (trace_.enabled()) log_.set_listener([this](const NodeEvent& e) { trace_node_event(e); });
  }

  RunResult run() {
    RunResult result;
    result.scenario = scenario_;
    for (const auto& s : scenario_.topology.servers) result.servers.push_back(s.name);
    auto began = Clock::now();
    if (auto error = set_up()) {
      result.setup_error = *error;
      tear_down();
      return result;
    }
    herd_up_ = Clock::now();
    for (std::size_t i = 0; i < scenario_.steps.size(); ++i) {
      const auto& step = scenario_.steps[i];
      StepOutcome outcome;
      outcome.index = i;
      outcome.kind = step.kind;
      outcome.description = describe(step);
      outcome.started_s = seconds_since_up();
      trace("step-start", "steps[" + std::to_string(i) + "] " + printable(outcome.description));
      run_step(step, outcome);
      outcome.finished_s = seconds_since_up();
      trace("step-end", "steps[" + std::to_string(i) + "] " + (outcome.ok ? "ok" : "FAIL") +
                            (outcome.message.empty() ? "" : ": " + printable(outcome.message)));
      print(outcome);
      result.steps.push_back(std::move(outcome));
    }
    finish_background(result.steps);
    tear_down();
    result.events = log_.take();
    {
      std::lock_guard lock(trace_mutex_);
      result.messages = trace_.take_messages();
    }
    result.metrics = compute_metrics(result.events, scenario_.topology.servers.size());
    result.duration_s = std::chrono::duration<double>(Clock::now() - began).count();
    result.passed = true;
    for (const auto& s : result.steps) result.passed = result.passed && s.ok;
    return result;
  }

 private:
  std::optional<std::string> set_up() {
    if (auto ec = mock_.start()) return "cannot start the mock Places: " + ec.message();
    // Running before anything is built, so that tearing down a half-built herd never waits on a
    // context that does not run.
    runtime_.start();
    HerdSettings settings;
    settings.topology = scenario_.topology;
    settings.node.classic = scenario_.classic;
    settings.node.places.url = mock_.url();
    settings.node.reconnect_max_ms = options_.reconnect_max_ms;
    settings.node.reconnect_stable_ms = options_.reconnect_stable_ms;
    if (!options_.log_dir.empty()) settings.node.log_dir = options_.log_dir + "/" + scenario_.name;
    settings.node.connect_timeout_ms = options_.connect_timeout_ms;
    settings.sink = log_.sink();
    settings.seed = scenario_.seed;
    settings.route = [this](const std::string& from, const ServerSpec& to) {
      auto& proxy = proxies_[{from, to.name}];
      if (!proxy) {
        proxy = std::make_unique<FaultProxy>(runtime_, from, to.name, to.port, random_.next());
        observe(*proxy);
        if (auto ec = proxy->start())
          proxy_error_ = "cannot start the proxy " + from + " -> " + to.name + ": " + ec.message();
      }
      return PeerEndpoint{to.name, "127.0.0.1", proxy->port()};
    };
    herd_ = std::make_unique<LocalHerd>(runtime_, settings);
    if (auto error = herd_->start()) return error;
    if (proxy_error_) return proxy_error_;
    for (const auto& s : scenario_.topology.servers) live_.insert(s.name);
    // Every directed link reports up once; only then is the herd the scenario expects.
    auto links = 2 * scenario_.topology.links.size();
    auto all_up = log_.wait_for_link_ups(links, Clock::now() + std::chrono::seconds(20));
    if (!all_up) return "the links did not all come up within 20 s";
    return std::nullopt;
  }

  void tear_down() {
    clients_.clear();
    if (herd_) herd_->stop();
    herd_.reset();
    for (auto& [key, proxy] : proxies_) proxy->stop();
    proxies_.clear();
    runtime_.stop();
    mock_.stop();
  }

  double seconds_since_up() const {
    return std::chrono::duration<double>(Clock::now() - herd_up_).count();
  }

  // --- the trace: every thread writes to it, one line at a time --------------------------

  void trace(std::string_view kind, const std::string& text) {
    if (!trace_.enabled()) return;
    std::lock_guard lock(trace_mutex_);
    trace_.event(trace_now(), kind, text);
  }

  std::int64_t trace_now() const { return system_clock().now_ns() - start_ns_; }

  void trace_node_event(const NodeEvent& e) {
    std::string node(e.node), peer(e.peer), text(e.text);
    switch (e.kind) {
      case EventKind::update_stored:
        return trace("stored", node + " " + text);
      case EventKind::update_dropped:
        return trace("stale", node + " " + text);
      case EventKind::link_up:
        return trace("link-up", node + ">" + peer);
      case EventKind::link_down:
        return trace("link-down", node + ">" + peer + " " + text);
      default:
        return;
    }
  }

  // A message's id comes from its proxy's connection (numbered across every proxy) and its line
  // on it: TCP keeps a connection in order, so nothing is matched by text.
  void observe(FaultProxy& proxy) {
    auto from = proxy.from(), to = proxy.to();
    auto link = proxy_count_++;
    auto number = [this, link](std::uint64_t connection) {
      auto [it, added] = connection_numbers_.try_emplace({link, connection}, 0);
      if (added) it->second = ++connections_seen_;
      return it->second;
    };
    proxy.set_observer(
        {[this, from, to, number](std::uint64_t c, bool forward, std::string_view bytes) {
           std::lock_guard lock(trace_mutex_);
           trace_.sent(trace_now(), number(c), forward ? from : to, forward ? to : from, bytes);
         },
         [this, from, to, number](std::uint64_t c, bool forward, std::string_view bytes) {
           std::lock_guard lock(trace_mutex_);
           trace_.delivered(trace_now(), number(c), forward ? from : to, forward ? to : from,
                            bytes);
         },
         [this, number](std::uint64_t c, const char* why) {
           std::lock_guard lock(trace_mutex_);
           trace_.lost(trace_now(), number(c), why);
         }});
  }

  void print(const StepOutcome& o) {
    if (options_.progress != nullptr) print_step(*options_.progress, o);
  }

  std::uint16_t port_of(const std::string& node) { return herd_->topology().find(node)->port; }

  // Sends one line and reads its reply; false with a reason when the node does not answer.
  bool exchange(LineClient& client, const std::string& line, std::string& reply, std::string& why,
                const std::string& node, bool send_now = true) {
    if (send_now) trace("client-send", node + " " + printable(line));
    if (send_now && !client.try_send(line + "\n")) {
      why = node + " closed the connection";
      return false;
    }
    auto command = parse_command(line);
    if (std::holds_alternative<AtMessage>(command)) {
      history_.accept(line);  // a peer's AT gets no reply
      return true;
    }
    auto first = client.read_line(reply_timeout_ms);
    if (!first) {
      why = "no reply from " + node;
      return false;
    }
    reply = *first;
    if (reply_has_body(line, reply)) {
      auto rest = client.read_through("\n\n", reply_timeout_ms);
      if (!rest) {
        why = node + " sent the AT line of a WHATSAT reply but no JSON";
        return false;
      }
      reply += "\n" + *rest;
    }
    trace("client-reply", node + " " + printable(reply));
    if (std::holds_alternative<IamatCommand>(command) && reply.starts_with("AT "))
      history_.accept(reply);
    return true;
  }

  // A send whose reply is read when the run ends, so that later steps run while it waits.
  struct Background {
    const Step* step;
    std::size_t index;
    std::string line;
    std::unique_ptr<LineClient> client;
  };

  void send(const Step& step, StepOutcome& out) override {
    auto line = expand_now(step.line, system_clock().now_ns());
    auto client = LineClient::try_connect(port_of(step.node));
    if (!client) {
      out.ok = step.expect == ReplyKind::none;
      out.message = step.node + " refused the connection";
      return;
    }
    if (step.background) {
      if (!client->try_send(line + "\n")) {
        out.ok = false;
        out.message = step.node + " closed the connection";
        return;
      }
      trace("client-send", step.node + " " + printable(line));
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
      print(out);
      outcomes.push_back(std::move(out));
    }
    background_.clear();
  }

  void finish_send(const Step& step, const std::string& line, LineClient& client, StepOutcome& out,
                   bool send_now) {
    std::string reply, why;
    if (!exchange(client, line, reply, why, step.node, send_now)) {
      out.ok = false;
      out.message = why;
      return;
    }
    out.message = reply.empty() ? "no reply (an AT from a peer gets none)" : first_line(reply);
    auto verdict = judge_reply(step, line, reply, system_clock().now_ns());
    out.ok = verdict.ok;
    if (!verdict.ok) out.message = verdict.message;
  }

  static std::string first_line(const std::string& text) {
    auto newline = text.find('\n');
    return newline == std::string::npos ? text : text.substr(0, newline) + " ...";
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
    auto total = plan.size();
    auto begin = Clock::now();
    std::size_t accepted = 0;
    std::string first_error;
    for (const auto& update : plan) {
      std::this_thread::sleep_until(begin + std::chrono::nanoseconds(update.offset_ns));
      const auto& node = update.node;
      std::string line = iamat_line(update, system_clock().now_ns());
      auto& client = clients_[node];
      if (!client) client = LineClient::try_connect(port_of(node));
      std::string reply, why;
      if (client && exchange(*client, line, reply, why, node) && reply.starts_with("AT ")) {
        ++accepted;
        continue;
      }
      if (first_error.empty()) first_error = client ? why : node + " refused the connection";
      client.reset();
    }
    out.ok = accepted == total;
    out.message = std::to_string(accepted) + " of " + std::to_string(total) + " updates accepted";
    if (!first_error.empty()) out.message += " (first error: " + first_error + ")";
  }

  template <typename Change>
  void each_link(const Step& step, Change change) {
    for (auto& [key, proxy] : proxies_) {
      bool forward = key.first == step.from && key.second == step.to;
      bool backward = key.first == step.to && key.second == step.from;
      if (step.from.empty() || forward || (backward && !step.one_way)) {
        auto faults = proxy->faults();
        change(faults, *proxy);
        proxy->set_faults(faults);
      }
    }
  }

  void partition(const Step& step) override {
    std::map<std::string, std::size_t> group_of;
    for (std::size_t g = 0; g < step.groups.size(); ++g)
      for (const auto& name : step.groups[g]) group_of[name] = g;
    auto group = [&](const std::string& name) {
      auto it = group_of.find(name);
      return it == group_of.end() ? step.groups.size() : it->second;  // the unnamed form a group
    };
    for (auto& [key, proxy] : proxies_) {
      auto faults = proxy->faults();
      faults.cut = group(key.first) != group(key.second);
      proxy->set_faults(faults);
    }
  }

  // Connections to a crashed server are refused, through its proxies as without them.
  void set_target_up(const std::string& node, bool up) {
    for (auto& [key, proxy] : proxies_)
      if (key.second == node) proxy->set_target_up(up);
  }

  void expect_converged(const Step& step, StepOutcome& out, bool want_converged) override {
    auto start = Clock::now();
    auto converged =
        log_.wait_for_convergence(live_, history_, start + std::chrono::milliseconds(step.ms));
    auto waited_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    // The events said so; the nodes' own stores have the last word.
    Holdings real;
    for (const auto& node : live_)
      real[node] = holdings_from_lines(herd_->node(node)->snapshot_wait());
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
      log_.wait_for_record(step.node, step.client, matches,
                           Clock::now() + std::chrono::milliseconds(step.ms));
    auto held = holdings_from_lines(herd_->node(step.node)->snapshot_wait());
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

  // StepContext: what the steps of the scenario's table do, on real sockets.
  void change_links(const Step& step, const std::function<void(LinkFaults&)>& change) override {
    each_link(step, [&change](LinkFaults& f, FaultProxy&) { change(f); });
  }

  void reset_links(const Step& step) override {
    each_link(step, [](LinkFaults&, FaultProxy& p) { p.reset_connections(); });
  }

  void heal() override {
    for (auto& [key, proxy] : proxies_) proxy->set_faults(LinkFaults{});
  }

  void crash(const std::string& node, StepOutcome&) override {
    trace("crash", node);
    paused_.erase(node);
    herd_->crash(node);
    set_target_up(node, false);
    log_.forget(node);
    live_.erase(node);
    clients_.erase(node);
  }

  void restart(const std::string& node, StepOutcome& out) override {
    trace("restart", node);
    paused_.erase(node);
    log_.forget(node);
    clients_.erase(node);
    if (auto error = herd_->restart(node)) {
      out.ok = false;
      out.message = *error;
      live_.erase(node);
    } else {
      live_.insert(node);
      set_target_up(node, true);
    }
  }

  void pause(const std::string& node, StepOutcome& out) override {
    if (!live_.count(node)) {
      out.ok = false;
      out.message = node + " is crashed";
    } else if (paused_.insert(node).second) {
      trace("pause", node);
      herd_->node(node)->pause();
    }
  }

  void resume(const std::string& node, StepOutcome&) override {
    if (paused_.erase(node) && live_.count(node)) {
      trace("resume", node);
      herd_->node(node)->resume();
    }
  }

  void set_places(const PlacesFaults& faults) override { mock_.set_faults(faults); }

  void wait(int ms) override { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

  void run_step(const Step& step, StepOutcome& out) { apply_step(step, *this, out); }

  const Scenario& scenario_;
  const SimOptions& options_;
  SeededRandom random_;
  std::int64_t start_ns_;
  // Declared before what runs on it, so it outlives them.
  Runtime runtime_{2, 8};
  PlacesMock mock_{"127.0.0.1", options_.places_port};
  EventLog log_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<FaultProxy>> proxies_;
  std::optional<std::string> proxy_error_;
  std::unique_ptr<LocalHerd> herd_;
  std::map<std::string, std::unique_ptr<LineClient>> clients_;
  std::vector<Background> background_;
  std::set<std::string> live_, paused_;
  History history_;
  Clock::time_point herd_up_ = Clock::now();
  Trace trace_;
  std::mutex trace_mutex_;
  std::size_t proxy_count_ = 0;
  std::map<std::pair<std::size_t, std::uint64_t>, std::uint64_t> connection_numbers_;
  std::uint64_t connections_seen_ = 0;
};

}  // namespace

RunResult run_on_real_network(const Scenario& scenario, const SimOptions& options) {
  RealRunner runner(scenario, options);
  return runner.run();
}

RunResult run_scenario(const Scenario& scenario, const SimOptions& options) {
  Scenario effective = scenario;
  if (options.seed) effective.seed = *options.seed;
  if (options.force_classic) effective.classic = true;
  if (options.network == NetworkKind::virtual_) return run_on_virtual_network(effective, options);
  return run_on_real_network(effective, options);
}

}  // namespace herd
