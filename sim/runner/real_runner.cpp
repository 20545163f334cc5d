// The runner on real sockets: nodes on the Runtime's threads, a fault proxy on every directed
// link, the mock Places over HTTP, and waits in wall-clock time.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "core/local_herd.hpp"
#include "core/runtime.hpp"
#include "sim/checker/checker.hpp"
#include "sim/net/line_client.hpp"
#include "sim/places/places_mock.hpp"
#include "sim/report/trace.hpp"
#include "sim/runner/line_connection.hpp"
#include "sim/runner/runner.hpp"
#include "sim/runner/scenario_runner.hpp"
#include "sim/runner/socket_runner.hpp"
#include "sim/runner/traced_proxies.hpp"

namespace herd {
namespace {

using Clock = std::chrono::steady_clock;

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
      // Only these change what a wait looks at; the rest matter only while events are kept, so
      // a live herd's lines in and out cost no lock.
      bool changes = e.kind == EventKind::link_up || e.kind == EventKind::update_stored;
      if (!changes && !keep_events_.load(std::memory_order_relaxed)) return;
      {
        std::lock_guard lock(mutex_);
        if (keep_events_)
          events_.push_back({e.kind, std::string(e.node), std::string(e.peer), std::string(e.text),
                             e.time_ns - start_ns_, e.queue_bytes});
        if (e.kind == EventKind::link_up) ++link_ups_;
        if (e.kind == EventKind::update_stored) {
          Record record;
          if (record_from_at_line(e.text, record))
            held_[std::string(e.node)][std::string(record.client())] = e.text;
        }
      }
      if (changes) changed_.notify_all();
    };
  }

  // Stops (or starts) keeping every event for the report: a live herd may run for days. What
  // the nodes hold is still followed.
  void keep_events(bool keep) {
    std::lock_guard lock(mutex_);
    keep_events_ = keep;
  }

  std::size_t held_count(const std::string& node) {
    std::lock_guard lock(mutex_);
    auto it = held_.find(node);
    return it == held_.end() ? 0 : it->second.size();
  }

  // A crashed node loses its memory; so does our picture of it.
  void forget(const std::string& node) {
    std::lock_guard lock(mutex_);
    held_.erase(node);
  }

  // Waits until `done` holds of what the events say the nodes hold, or the deadline passes.
  // `stop` is asked every 100 ms: a wait of an hour must end when the run is told to stop.
  bool wait_until(const std::function<bool(const Holdings&)>& done, Clock::time_point deadline,
                  const std::function<bool()>& stop) {
    std::unique_lock lock(mutex_);
    while (!done(held_)) {
      if (Clock::now() >= deadline || stop()) return false;
      changed_.wait_until(lock, std::min(deadline, Clock::now() + std::chrono::milliseconds(100)));
    }
    return true;
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
  std::atomic<bool> keep_events_{true};
  Holdings held_;
  std::size_t link_ups_ = 0;
};

class RealRunner final : public SocketRunner {
 public:
  RealRunner(const Scenario& scenario, const SimOptions& options)
      : SocketRunner(scenario, options, 2), log_(start_ns_) {
    if (options.trace != nullptr || options.trace_listener)
      log_.set_listener([this](const NodeEvent& e) { links_.node_event(e); });
  }

 private:
  std::optional<std::string> set_up() override {
    if (auto error = start_places()) return error;
    // Running before anything is built, so that tearing down a half-built herd never waits on a
    // context that does not run.
    runtime_.start();
    HerdSettings settings;
    settings.topology = scenario_.topology;
    if (options_.node) {
      settings.node = *options_.node;
    } else {
      settings.node.reconnect_max_ms = options_.reconnect_max_ms;
      settings.node.reconnect_stable_ms = options_.reconnect_stable_ms;
      settings.node.connect_timeout_ms = options_.connect_timeout_ms;
      if (!options_.log_dir.empty())
        settings.node.log_dir = options_.log_dir + "/" + scenario_.name;
    }
    settings.node.classic = scenario_.classic;
    settings.node.places.url = places_url();
    settings.sink = log_.sink();
    settings.seed = scenario_.seed;
    settings.route = [this](const std::string& from, const ServerSpec& to) {
      auto port = links_.route(from, to.name, to.port);
      if (auto* error = std::get_if<std::string>(&port)) {
        proxy_error_ = *error;
        return PeerEndpoint{to.name, "127.0.0.1", 0};
      }
      return PeerEndpoint{to.name, "127.0.0.1", std::get<std::uint16_t>(port)};
    };
    herd_ = std::make_unique<LocalHerd>(runtime_, settings);
    if (auto error = herd_->start()) return error;
    if (proxy_error_) return proxy_error_;
    // Every directed link reports up once; only then is the herd the scenario expects.
    auto links = 2 * scenario_.topology.links.size();
    auto all_up = log_.wait_for_link_ups(links, Clock::now() + std::chrono::seconds(20));
    if (!all_up) return "the links did not all come up within 20 s";
    return std::nullopt;
  }

  void tear_down() override {
    links_.mark_end_of_run();
    if (herd_) herd_->stop();
    herd_.reset();
    links_.stop();
    runtime_.stop();
    mock_.stop();
  }

  void collect(RunResult& result) override {
    result.events = log_.take();
    result.messages = links_.take_messages();
  }

  bool run_until_held(const std::function<bool(const Holdings&)>& done, int ms) override {
    return log_.wait_until(done, Clock::now() + std::chrono::milliseconds(ms),
                           [this] { return stopping(); });
  }

  std::size_t held_count(const std::string& node) override { return log_.held_count(node); }

  std::vector<std::string> newest_of(const std::string& node, std::size_t limit) override {
    return herd_->node(node)->snapshot_wait(limit);
  }

  std::map<std::string, std::string, std::less<>> store_of(const std::string& node) override {
    return holdings_from_lines(herd_->node(node)->snapshot_wait());
  }

  std::uint16_t client_port(const std::string& node) const override {
    return herd_->topology().find(node)->port;
  }

  void crash_server(const std::string& node) override {
    herd_->crash(node);
    links_.set_target_up(node, false);
    log_.forget(node);
  }

  std::optional<std::string> restart_server(const std::string& node) override {
    log_.forget(node);
    if (auto error = herd_->restart(node)) return error;
    links_.set_target_up(node, true);
    return std::nullopt;
  }

  void pause_server(const std::string& node) override { herd_->node(node)->pause(); }
  void resume_server(const std::string& node) override { herd_->node(node)->resume(); }

  void keep_messages(bool keep) override {
    log_.keep_events(keep);
    links_.keep_messages(keep);
  }

  EventLog log_;
  std::optional<std::string> proxy_error_;
  std::unique_ptr<LocalHerd> herd_;
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
  if (options.external) return run_with_processes(effective, options);
  return run_on_real_network(effective, options);
}

}  // namespace herd
