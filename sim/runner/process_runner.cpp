// The runner for a herd of server processes (`herd sim --herd-cmd`): each server of the scenario's
// topology started from the user's command in its own process group, every link through a fault
// proxy (unless the ports are fixed in the servers' code), the mock Places over HTTP. Nothing
// inside a server is seen, so the checker is a black box: a server holds a record when the first
// line of its answer to "WHATSAT client 1 1" is that record's AT line.

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/clock.hpp"
#include "core/runtime.hpp"
#include "sim/net/line_client.hpp"
#include "sim/places/places_mock.hpp"
#include "sim/runner/line_connection.hpp"
#include "sim/runner/runner.hpp"
#include "sim/runner/scenario_runner.hpp"
#include "sim/runner/server_process.hpp"
#include "sim/runner/socket_runner.hpp"
#include "sim/runner/traced_proxies.hpp"

namespace herd {
namespace {

using Clock = std::chrono::steady_clock;

// Steps that put a fault on a link between two servers, which only a proxy can do.
bool needs_proxy(StepKind kind) {
  switch (kind) {
    case StepKind::cut:
    case StepKind::drop:
    case StepKind::partition:
    case StepKind::latency:
    case StepKind::reset:
    case StepKind::bandwidth:
    case StepKind::slice:
    case StepKind::hold:
      return true;
    default:
      return false;
  }
}

class ProcessRunner final : public SocketRunner {
 public:
  ProcessRunner(const Scenario& scenario, const SimOptions& options)
      : SocketRunner(scenario, options, 1) {}

 private:
  const ExternalHerd& herd() const { return *options_.external; }
  bool proxied() const { return herd().ports.empty(); }

  std::optional<std::string> cannot_run() const override {
    if (proxied()) return std::nullopt;
    for (std::size_t i = 0; i < scenario_.steps.size(); ++i)
      if (needs_proxy(scenario_.steps[i].kind))
        return "steps[" + std::to_string(i) + "] (" + describe(scenario_.steps[i]) +
               ") needs a fault proxy between two servers, and with --herd-ports the servers' "
               "links are fixed in their code; traffic and server faults can run, link faults "
               "cannot";
    return std::nullopt;
  }

  std::optional<std::string> set_up() override {
    if (!proxied()) {
      for (const auto& server : scenario_.topology.servers)
        if (!herd().ports.count(server.name))
          return "--herd-ports gives no port for " + server.name + ", a server of the topology";
    }
    if (auto error = start_places()) return error;
    runtime_.start();
    ReservedPorts reserved;  // until the proxies have their own ports
    for (const auto& server : scenario_.topology.servers) {
      ports_[server.name] = proxied() ? reserved.take() : herd().ports.at(server.name);
      if (ports_[server.name] == 0) return "no free loopback port for " + server.name;
    }
    if (proxied())
      for (const auto& [from, to] : directed_links()) {
        auto port = links_.route(from, to, ports_[to]);
        if (auto* error = std::get_if<std::string>(&port)) return *error;
        proxy_ports_[{from, to}] = std::get<std::uint16_t>(port);
      }
    reserved.release();
    const auto places_url = this->places_url();
    for (const auto& server : scenario_.topology.servers) {
      auto dir = std::filesystem::path(herd().dir) / (scenario_.name + ".servers") / server.name;
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) return "cannot make the folder " + dir.string() + ": " + ec.message();
      auto config = (dir / "config.json").string();
      if (!(std::ofstream(config) << config_for(server.name).dump(2) << "\n"))
        return "cannot write " + config;
      const std::map<std::string, std::string> values = {
          {"name", server.name}, {"port", std::to_string(ports_[server.name])},
          {"config", config},    {"places_url", places_url},
          {"dir", dir.string()}, {"classic", scenario_.classic ? "--classic" : ""}};
      // The same values in the environment: HERD_NAME, HERD_PORT, ... (HERD_CLASSIC is 1 or 0).
      std::map<std::string, std::string> environment;
      for (const auto& [key, value] : values) {
        std::string name = "HERD_";
        for (char c : key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        environment[name] = key == "classic" ? (scenario_.classic ? "1" : "0") : value;
      }
      processes_[server.name] = std::make_unique<ServerProcess>(
          fill_template(herd().command, values), std::move(environment), dir.string());
    }
    // All at once, then each one's port: a herd of interpreters starts in the time of one.
    for (auto& [name, process] : processes_)
      if (auto error = process->start()) return name + ": " + *error;
    for (const auto& server : scenario_.topology.servers)
      if (auto error = wait_until_listening(server.name)) return error;
    return std::nullopt;
  }

  // Herd's config format: every server and link; the servers next to `name` are where its
  // links lead, their proxies' ports when there are proxies.
  nlohmann::json config_for(const std::string& name) const {
    nlohmann::json servers = nlohmann::json::array(), links = nlohmann::json::array();
    for (const auto& server : scenario_.topology.servers) {
      auto proxy = proxy_ports_.find({name, server.name});
      servers.push_back(
          {{"name", server.name},
           {"host", "127.0.0.1"},
           {"port", proxy != proxy_ports_.end() ? proxy->second : ports_.at(server.name)}});
    }
    for (const auto& [a, b] : scenario_.topology.links) links.push_back({a, b});
    nlohmann::json config = {{"servers", servers}, {"links", links}};
    if (!scenario_.topology.peer_secret.empty()) config["secret"] = scenario_.topology.peer_secret;
    return config;
  }

  std::optional<std::string> start_server(const std::string& name) {
    if (auto error = processes_.at(name)->start()) return name + ": " + *error;
    return wait_until_listening(name);
  }

  // A process starting up gives no event to wait on: its port is polled.
  std::optional<std::string> wait_until_listening(const std::string& name) {
    auto& process = *processes_.at(name);
    auto deadline = Clock::now() + std::chrono::milliseconds(herd().start_timeout_ms);
    while (Clock::now() < deadline) {
      if (LineClient::try_connect(ports_.at(name))) return std::nullopt;
      if (auto ended = process.ended()) return name + " " + *ended + " as it started" + tail(name);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return name + " did not listen on port " + std::to_string(ports_.at(name)) + " within " +
           std::to_string(herd().start_timeout_ms) + " ms" + tail(name);
  }

  std::string tail(const std::string& name) const {
    auto& process = *processes_.at(name);
    auto text = process.output_tail();
    return text.empty() ? " (no output; " + process.output_path() + ")"
                        : "; its output (" + process.output_path() + ") ends:\n" + text;
  }

  void tear_down() override {
    queries_.clear();
    links_.mark_end_of_run();
    for (auto& [name, process] : processes_) process->kill();
    links_.stop();
    runtime_.stop();
    mock_.stop();
  }

  void collect(RunResult& result) override {
    result.black_box = true;
    result.messages = links_.take_messages();
  }

  // A server that ended by itself fails the step that saw it go, and is no longer live.
  void after_step(StepOutcome& out) override {
    just_read_.clear();  // the next step asks again
    for (auto& [name, process] : processes_) {
      auto ended = process->ended();
      if (!ended) continue;
      queries_.erase(name);
      live_.erase(name);
      paused_.erase(name);
      links_.set_target_up(name, false);
      out.ok = false;
      out.message +=
          (out.message.empty() ? "" : "; ") + name + " " + *ended + " by itself" + tail(name);
      trace("exited", name + " " + *ended);
    }
  }

  // --- the black-box checker --------------------------------------------------------------

  // The AT line `node` answers first to "WHATSAT client 1 1", or nullopt when it has none (an
  // error line, or no answer in time even on a fresh connection).
  std::optional<std::string> held_line(const std::string& node, const std::string& client) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (auto answer = ask(node, "WHATSAT " + client + " 1 1\n")) {
        if (!answer->starts_with("AT ")) return std::nullopt;
        return answer;
      }
      queries_.erase(node);  // a server that drops or garbles a connection gets a new one
    }
    return std::nullopt;
  }

  // One question on the checker's connection to `node`, kept from question to question: a
  // connection per question would leave tens of thousands of sockets in TIME_WAIT.
  std::optional<std::string> ask(const std::string& node, const std::string& line) {
    auto& connection = queries_[node];
    if (!connection) connection = LineClient::try_connect(ports_.at(node));
    if (!connection || !connection->try_send(line)) return std::nullopt;
    auto first = connection->read_line(herd().reply_timeout_ms);
    // The rest of an AT answer (Places' JSON, then a blank line) is read before the next one.
    if (first && first->starts_with("AT ") &&
        !connection->read_through("\n\n", herd().reply_timeout_ms))
      return std::nullopt;
    return first;
  }

  // What each of `nodes` holds, asked of it now (a paused one: what it held when it stopped,
  // as a stopped process answers nothing).
  Holdings read_stores(const std::set<std::string>& nodes) {
    // The checker's questions are not the scenario's: Places answers them at once.
    const auto faults = mock_.faults();
    if (faults != PlacesFaults{}) mock_.set_faults({});
    Holdings held;
    for (const auto& node : nodes) {
      auto& seen = last_seen_[node];
      if (!paused_.count(node)) {
        seen.clear();
        for (const auto& [client, record] : history().expected())
          if (auto line = held_line(node, client)) seen[client] = *line;
      }
      held[node] = seen;
    }
    if (faults != PlacesFaults{}) mock_.set_faults(faults);
    return held;
  }

  // A check waits with run_until_held and then reads the stores: here both are the same
  // questions, so the last round of the wait answers the read, within the same step.
  std::map<std::string, std::string, std::less<>> store_of(const std::string& node) override {
    if (!just_read_.erase(node)) read_stores({node});
    return last_seen_[node];
  }

  std::size_t held_count(const std::string& node) override { return store_of(node).size(); }

  bool run_until_held(const std::function<bool(const Holdings&)>& done, int ms) override {
    auto deadline = Clock::now() + std::chrono::milliseconds(ms);
    while (true) {
      auto held = read_stores(live_);
      just_read_ = live_;
      if (done(held)) return true;
      if (Clock::now() >= deadline || stopping()) return false;
      // The servers tell nothing as they change; ask again shortly.
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  std::uint16_t client_port(const std::string& node) const override { return ports_.at(node); }

  // --- faults -----------------------------------------------------------------------------

  void crash_server(const std::string& node) override {
    queries_.erase(node);
    processes_.at(node)->kill();
    links_.set_target_up(node, false);
    last_seen_.erase(node);
    just_read_.erase(node);
  }

  std::optional<std::string> restart_server(const std::string& node) override {
    last_seen_.erase(node);
    just_read_.erase(node);
    queries_.erase(node);
    processes_.at(node)->kill();  // a restart of a running server stops it first
    if (auto error = start_server(node)) return error;
    links_.set_target_up(node, true);
    return std::nullopt;
  }

  void pause_server(const std::string& node) override {
    // What it holds is read before it stops: a stopped process answers nothing.
    (void)read_stores({node});
    processes_.at(node)->pause();
  }
  void resume_server(const std::string& node) override { processes_.at(node)->resume(); }

  void keep_messages(bool keep) override { links_.keep_messages(keep); }

  std::map<std::string, std::uint16_t> ports_;
  std::map<std::pair<std::string, std::string>, std::uint16_t> proxy_ports_;
  std::map<std::string, std::unique_ptr<ServerProcess>> processes_;
  std::map<std::string, std::unique_ptr<LineClient>> queries_;  // the checker's, per server
  Holdings last_seen_;               // what each server answered when last asked
  std::set<std::string> just_read_;  // servers the step's last wait read, not yet read again
};

}  // namespace

RunResult run_with_processes(const Scenario& scenario, const SimOptions& options) {
  ProcessRunner runner(scenario, options);
  return runner.run();
}

}  // namespace herd
