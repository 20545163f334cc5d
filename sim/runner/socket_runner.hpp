#pragma once
// What the two runners on real sockets share (real_runner.cpp: Herd's nodes in this process;
// process_runner.cpp: a herd of server processes): the wall clock, the runtime the proxies and
// the mock Places run on, a fault proxy on every link, and the trace. Only those two files
// include it.

#include <algorithm>
#include <chrono>
#include <thread>

#include "core/clock.hpp"
#include "core/runtime.hpp"
#include "sim/net/line_client.hpp"
#include "sim/places/places_mock.hpp"
#include "sim/runner/line_connection.hpp"
#include "sim/runner/scenario_runner.hpp"
#include "sim/runner/traced_proxies.hpp"

namespace herd {

class SocketRunner : public ScenarioRunner {
 protected:
  using Clock = std::chrono::steady_clock;

  SocketRunner(const Scenario& scenario, const SimOptions& options, unsigned threads)
      : ScenarioRunner(scenario, options),
        start_ns_(system_clock().now_ns()),
        runtime_(threads, 8),
        links_(runtime_, options, scenario.seed, start_ns_) {}

  // The port a client reaches `node` on.
  [[nodiscard]] virtual std::uint16_t client_port(const std::string& node) const = 0;

  std::int64_t clock_ns() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
  }
  void run_until_clock(std::int64_t when) override {
    const auto until = Clock::time_point(std::chrono::nanoseconds(when));
    while (!stopping() && Clock::now() < until)
      std::this_thread::sleep_until(std::min(until, Clock::now() + std::chrono::milliseconds(100)));
  }
  std::int64_t wall_ns() const override { return system_clock().now_ns(); }

  std::unique_ptr<ClientConnection> connect(const std::string& node) override {
    auto client = LineClient::try_connect(client_port(node));
    if (!client) return nullptr;
    return std::make_unique<LineConnection>(std::move(client));
  }

  void change_link(const std::string& from, const std::string& to,
                   const std::function<void(LinkFaults&)>& change) override {
    links_.change(from, to, change);
  }
  void reset_link(const std::string& from, const std::string& to) override {
    links_.reset(from, to);
  }
  LinkFaults link_faults(const std::string& from, const std::string& to) override {
    return links_.faults(from, to);
  }
  void set_places_faults(const PlacesFaults& faults) override { mock_.set_faults(faults); }
  void trace(std::string_view kind, const std::string& text) override { links_.event(kind, text); }

  // Starts the mock Places unless the options name a real one; why not, if it cannot start.
  std::optional<std::string> start_places() {
    if (!options_.places_url.empty()) return std::nullopt;
    if (auto ec = mock_.start())
      return "cannot start the mock Places on port " + std::to_string(options_.places_port) + ": " +
             ec.message();
    return std::nullopt;
  }
  [[nodiscard]] std::string places_url() const {
    return options_.places_url.empty() ? mock_.url() : options_.places_url;
  }

  std::int64_t start_ns_;
  // Declared before what runs on it, so it outlives them.
  Runtime runtime_;
  PlacesMock mock_{"127.0.0.1", options_.places_port};
  TracedProxies links_;
};

}  // namespace herd
