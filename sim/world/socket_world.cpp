#include "sim/world/socket_world.hpp"

#include <chrono>

#include "core/clock.hpp"
#include "core/local_herd.hpp"
#include "core/runtime.hpp"
#include "sim/checker/checker.hpp"
#include "sim/net/line_client.hpp"
#include "sim/places/places_mock.hpp"
#include "sim/report/run_record.hpp"
#include "sim/world/line_connection.hpp"
#include "sim/world/proxied_links.hpp"
#include "sim/world/wall_time.hpp"

namespace herd {
namespace {

std::vector<std::string> server_names(const Topology& topology) {
  std::vector<std::string> names;
  for (const auto& s : topology.servers) names.push_back(s.name);
  return names;
}

RecordSettings locked(RecordSettings settings) {
  settings.locked = true;
  return settings;
}

class SocketWorld final : public World, Herd {
 public:
  explicit SocketWorld(WorldOptions options)
      : options_(std::move(options)),
        start_ns_(system_clock().now_ns()),
        runtime_(2, 8),
        record_(locked(options_.record)),
        held_(server_names(options_.topology)),
        links_(runtime_, record_, options_.seed, start_ns_),
        time_(&held_),
        mock_("127.0.0.1", options_.places_port) {}

  ~SocketWorld() override { stop(); }

  NetworkKind network() const override { return NetworkKind::real; }
  Herd& herd() override { return *this; }
  Links& links() override { return links_; }
  Time& time() override { return time_; }
  RunRecord& record() override { return record_; }
  std::int64_t record_now_ns() override { return system_clock().now_ns() - start_ns_; }

  void collect(RunResult& result, std::int64_t up_ns) override {
    // The record's clock is wall time since the world began; the runner's is the steady clock.
    auto up_on_record = links_.now() - (time_.now_ns() - up_ns);
    record_.collect(result, up_ns == 0 ? 0 : up_on_record, options_.topology.servers.size());
  }

  Expected<void> start() override {
    if (options_.places_url.empty())
      if (auto ec = mock_.start()) return fail(mock_start_error(options_.places_port, ec));
    // Running before anything is built, so that tearing down a half-built herd never waits on a
    // context that does not run.
    runtime_.start();
    HerdSettings settings;
    settings.topology = options_.topology;
    if (options_.node) {
      settings.node = *options_.node;
    } else {
      settings.node.reconnect_max_ms = options_.reconnect_max_ms;
      settings.node.reconnect_stable_ms = options_.reconnect_stable_ms;
      settings.node.connect_timeout_ms = options_.connect_timeout_ms;
      settings.node.line_in_events = false;  // nothing here reads them (run_record.cpp)
      settings.node.log_dir = options_.log_dir;
    }
    settings.node.classic = options_.classic;
    if (options_.places_url.empty()) {
      // The mock speaks both APIs; the servers use Places API (New), as herd node does by default.
      settings.node.places.url = mock_.search_nearby_url();
      settings.node.places.api = PlacesApi::from_url;
      if (settings.node.places.key.empty()) settings.node.places.key = mock_places_key;
    } else {
      settings.node.places.url = options_.places_url;
    }
    settings.sink = [this](const NodeEvent& e) { on_event(e); };
    settings.seed = options_.seed;
    settings.runtime = &runtime_;
    std::optional<std::string> proxy_error;
    settings.route = [this, &proxy_error](const std::string& from, const ServerSpec& to) {
      auto port = links_.route(from, to.name, to.port);
      if (!port) {
        proxy_error = port.error();
        return PeerEndpoint{to.name, "127.0.0.1", 0};
      }
      return PeerEndpoint{to.name, "127.0.0.1", *port};
    };
    herd_ = std::make_unique<LocalHerd>(settings);
    if (auto started = herd_->start(); !started) return started;
    if (proxy_error) return fail(*proxy_error);
    // Every directed link reports up once; only then is the herd the scenario expects.
    auto links = 2 * options_.topology.links.size();
    auto deadline = time_.now_ns() + 20'000'000'000;
    if (!time_.run_until(deadline, [&] { return held_.link_ups() >= links; }))
      return fail("the links did not all come up within 20 s");
    return {};
  }

  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    links_.mark_end_of_run();
    if (herd_) herd_->stop();
    herd_.reset();
    links_.stop();
    runtime_.stop();
    mock_.stop();
  }

  void crash(const std::string& server) override {
    herd_->crash(server);
    links_.set_target_up(server, false);
    held_.forget(server);
  }

  Expected<void> restart(const std::string& server) override {
    held_.forget(server);
    if (auto restarted = herd_->restart(server); !restarted) return restarted;
    links_.set_target_up(server, true);
    return {};
  }

  void pause(const std::string& server) override { herd_->node(server)->pause(); }
  void resume(const std::string& server) override { herd_->node(server)->resume(); }

  std::unique_ptr<ClientConnection> connect(const std::string& server) override {
    auto client = LineClient::try_connect(herd_->topology().find(server)->port);
    if (!client) return nullptr;
    return std::make_unique<LineConnection>(std::move(client));
  }

  void set_places_faults(const PlacesFaults& faults) override { mock_.set_faults(faults); }

  HeldRecords& held() override { return held_; }
  void refresh_held() override {}
  bool held_is_answers() const override { return false; }

  StoreRecords read_store(const std::string& server) override {
    return holdings_from_lines(herd_->node(server)->snapshot_wait());
  }
  std::vector<std::string> newest(const std::string& server, std::size_t limit) override {
    return herd_->node(server)->snapshot_wait(limit);
  }
  std::vector<std::pair<std::string, std::string>> take_ended() override { return {}; }

 private:
  // On the nodes' strands, from the runtime's threads.
  void on_event(const NodeEvent& e) {
    auto line = e.kind == EventKind::update_stored
                    ? held_.stored(e.node, e.text, e.client, e.herd_index)
                    : TextInterner::none;
    if (e.kind == EventKind::link_up) held_.link_up();
    record_.node_event(e.time_ns - start_ns_, e, line);
  }

  WorldOptions options_;
  std::int64_t start_ns_;
  // Declared before what runs on it, so it outlives them.
  Runtime runtime_;
  RunRecord record_;
  HeldRecords held_;
  ProxiedLinks links_;
  WallTime time_;
  PlacesMock mock_;
  std::unique_ptr<LocalHerd> herd_;
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<World> make_socket_world(WorldOptions options) {
  return std::make_unique<SocketWorld>(std::move(options));
}

}  // namespace herd
