#pragma once
// The default five-server herd on free ports with the mock Places, for loopback tests.

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/io/tcp_environment.hpp"
#include "core/local_herd.hpp"
#include "core/runtime.hpp"
#include "sim/net/line_client.hpp"
#include "sim/places/places_mock.hpp"
#include "tests/event_recorder.hpp"

namespace herd::test {

const std::vector<std::string> all_five = {"Bailey", "Bona", "Campbell", "Clark", "Jaquez"};

struct FixedClock final : Clock {
  std::atomic<std::int64_t> now{1'621'464'828'223'372'003};
  std::int64_t now_ns() const override { return now.load(); }
};

struct HerdOptions {
  bool classic = false;
  bool fixed_clock = false;
  // The node's own defaults, so that a test states only what it changes.
  int places_timeout_ms = PlacesSettings{}.timeout_ms;
  std::size_t places_max_bytes = PlacesSettings{}.max_body_bytes;
  std::size_t max_line_bytes = NodeOptions{}.max_line_bytes;
  int idle_timeout_ms = NodeOptions{}.idle_timeout_ms;
  std::size_t max_clients = NodeOptions{}.max_clients;
  std::string log_dir{};
  std::string peer_secret{};
  std::size_t max_records = NodeOptions{}.max_records;
  std::size_t max_client_id_bytes = NodeOptions{}.max_client_id_bytes;
  std::int64_t max_clock_skew_s = NodeOptions{}.max_clock_skew_s;
  // Places: the legacy API by default here (herd node's default is the New one), over http
  // unless the mock is given a certificate.
  bool places_new_api = false;
  NewApiReply places_reply = NewApiReply::legacy_fields;
  std::optional<MockTls> mock_tls{};
  std::string places_ca_file{};
  std::string places_key = "test-key";
};

// Its links are all up before a test begins.
struct TestHerd {
  explicit TestHerd(HerdOptions options = {}) : mock("127.0.0.1", 0, options.mock_tls) {
    REQUIRE_FALSE(mock.start());
    HerdSettings settings;
    settings.topology = default_topology(0);
    settings.node.classic = options.classic;
    settings.node.places.url = options.places_new_api ? mock.search_nearby_url() : mock.url();
    settings.node.places.new_reply = options.places_reply;
    settings.node.places.ca_file = options.places_ca_file;
    settings.node.places.key = options.places_key;
    settings.node.places.timeout_ms = options.places_timeout_ms;
    settings.node.places.max_body_bytes = options.places_max_bytes;
    settings.node.max_line_bytes = options.max_line_bytes;
    settings.node.idle_timeout_ms = options.idle_timeout_ms;
    settings.node.max_clients = options.max_clients;
    settings.node.log_dir = options.log_dir;
    settings.node.max_records = options.max_records;
    settings.node.max_client_id_bytes = options.max_client_id_bytes;
    settings.node.max_clock_skew_s = options.max_clock_skew_s;
    settings.topology.peer_secret = options.peer_secret;
    settings.sink = events.sink();
    settings.runtime = &runtime;
    if (options.fixed_clock)
      settings.environment = [this](const NodeOptions& node) {
        return make_tcp_environment(runtime, node.places, clock);
      };
    herd = std::make_unique<LocalHerd>(settings);
    REQUIRE(herd->start());
    runtime.start();
    REQUIRE(wait_for_links(12));
  }
  ~TestHerd() {
    herd->stop();
    runtime.stop();
    mock.stop();
  }

  bool wait_for_links(std::size_t up_events) {
    return events.wait_for([up_events](const std::vector<RecordedEvent>& all) {
      std::size_t up = 0;
      for (const auto& e : all) up += e.kind == EventKind::link_up;
      return up >= up_events;
    });
  }

  std::uint16_t port(const std::string& name) { return herd->topology().find(name)->port; }

  // Sends one line to a server and returns its one-line reply.
  std::string ask(const std::string& name, const std::string& line) {
    LineClient client(port(name));
    client.send(line + "\n");
    auto reply = client.read_line();
    REQUIRE(reply.has_value());
    return *reply;
  }

  bool holds(const std::string& name, const std::string& line) {
    auto lines = herd->node(name)->snapshot_wait();
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  }

  Runtime runtime{2, 4};
  PlacesMock mock;
  EventRecorder events;
  FixedClock clock;
  std::unique_ptr<LocalHerd> herd;
};

}  // namespace herd::test
