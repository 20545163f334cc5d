#include "sim/world/process_world.hpp"

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/clock.hpp"
#include "core/location_store.hpp"
#include "core/runtime.hpp"
#include "sim/net/fault_proxy.hpp"
#include "sim/net/line_client.hpp"
#include "sim/net/net_namespace.hpp"
#include "sim/places/places_mock.hpp"
#include "sim/report/run_record.hpp"
#include "sim/workload/at_reading.hpp"
#include "sim/workload/client_work.hpp"
#include "sim/world/course_connection.hpp"
#include "sim/world/line_connection.hpp"
#include "sim/world/proxied_links.hpp"
#include "sim/world/server_process.hpp"
#include "sim/world/wall_time.hpp"

namespace herd {
namespace {

using Steady = std::chrono::steady_clock;

std::vector<std::string> server_names(const Topology& topology) {
  std::vector<std::string> names;
  for (const auto& s : topology.servers) names.push_back(s.name);
  return names;
}

RecordSettings locked(RecordSettings settings) {
  settings.locked = true;
  return settings;
}

class ProcessWorld final : public World, Herd {
 public:
  explicit ProcessWorld(WorldOptions options)
      : options_(std::move(options)),
        herd_options_(*options_.external),
        start_ns_(system_clock().now_ns()),
        runtime_(1, 8),
        record_(locked(options_.record)),
        held_(server_names(options_.topology)),
        links_(runtime_, record_, options_.seed, start_ns_),
        time_(nullptr),
        mock_("127.0.0.1", options_.places_port) {
    if (!proxied())
      links_.no_proxies(
          "with --herd-ports the servers' links are fixed in their code, and without network "
          "namespaces (--herd-net shared, or none could be made) no proxy can sit on them");
  }

  ~ProcessWorld() override { stop(); }

  NetworkKind network() const override { return NetworkKind::real; }
  Herd& herd() override { return *this; }
  Links& links() override { return links_; }
  Time& time() override { return time_; }
  RunRecord& record() override { return record_; }
  std::int64_t record_now_ns() override { return system_clock().now_ns() - start_ns_; }

  void collect(RunResult& result, std::int64_t up_ns) override {
    result.black_box = true;
    auto up_on_record = links_.now() - (time_.now_ns() - up_ns);
    record_.collect(result, up_ns == 0 ? 0 : up_on_record, options_.topology.servers.size());
  }

  std::optional<std::string> why_not_this_topology() const override {
    if (!herd_options_.ports.empty())
      for (const auto& server : options_.topology.servers)
        if (!herd_options_.ports.count(server.name))
          return "its topology has " + server.name +
                 ", and --herd-ports names the only servers this herd has";
    return std::nullopt;
  }

  Expected<void> start() override {
    if (options_.places_url.empty())
      if (auto ec = mock_.start()) return fail(mock_start_error(options_.places_port, ec));
    runtime_.start();
    if (sandboxed()) {
      if (auto made = make_namespaces(); !made) return made;
    }
    ReservedPorts reserved;  // until the proxies have their own ports
    for (const auto& server : options_.topology.servers) {
      ports_[server.name] =
          proxied() && !sandboxed() ? reserved.take() : herd_options_.ports.at(server.name);
      if (ports_[server.name] == 0) return fail("no free loopback port for " + server.name);
    }
    if (proxied() && !sandboxed())
      for (const auto& [a, b] : options_.topology.links)
        for (const auto& [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
          auto port = links_.route(from, to, ports_[to]);
          if (!port) return port.failure();
          proxy_ports_[{from, to}] = *port;
        }
    reserved.release();
    const auto places_url = options_.places_url.empty() ? mock_.url() : options_.places_url;
    const auto places_new_url = mock_.search_nearby_url();
    for (const auto& server : options_.topology.servers) {
      auto dir =
          std::filesystem::path(herd_options_.dir) / (options_.name + ".servers") / server.name;
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) return fail("cannot make the folder " + dir.string() + ": " + ec.message());
      auto config = (dir / "config.json").string();
      if (!(std::ofstream(config) << config_for(server.name).dump(2) << "\n"))
        return fail("cannot write " + config);
      std::map<std::string, std::string> values = {{"name", server.name},
                                                   {"port", std::to_string(ports_[server.name])},
                                                   {"config", config},
                                                   {"places_url", places_url},
                                                   {"dir", dir.string()},
                                                   {"classic", options_.classic ? "--classic" : ""},
                                                   {"places_new_url", places_new_url}};
      values.insert(herd_options_.values.begin(), herd_options_.values.end());
      // The same values in the environment: HERD_NAME, HERD_PORT, ... (HERD_CLASSIC is 1 or 0).
      std::map<std::string, std::string> environment;
      for (const auto& [key, value] : values) {
        std::string name = "HERD_";
        for (char c : key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        environment[name] = key == "classic" ? (options_.classic ? "1" : "0") : value;
      }
      processes_[server.name] = std::make_unique<ServerProcess>(
          fill_template(herd_options_.command, values), std::move(environment), dir.string(),
          sandboxed() ? namespaces_.at(server.name).get() : nullptr);
    }
    // All at once, then each one's port: a herd of interpreters starts in the time of one.
    for (auto& [name, process] : processes_)
      if (auto started = process->start(); !started) return fail(name + ": " + started.error());
    for (const auto& server : options_.topology.servers)
      if (auto listening = wait_until_listening(server.name); !listening) return listening;
    return {};
  }

  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    queries_.clear();
    links_.mark_end_of_run();
    for (auto& [name, process] : processes_) process->kill();
    links_.stop();
    for (auto& forwarder : places_forwarders_) forwarder->stop();
    runtime_.stop();
    mock_.stop();
  }

  void crash(const std::string& server) override {
    queries_.erase(server);
    processes_.at(server)->kill();
    links_.set_target_up(server, false);
    held_.forget(server);
  }

  Expected<void> restart(const std::string& server) override {
    held_.forget(server);
    queries_.erase(server);
    processes_.at(server)->kill();  // a restart of a running server stops it first
    if (auto started = processes_.at(server)->start(); !started)
      return fail(server + ": " + started.error());
    if (auto listening = wait_until_listening(server); !listening) return listening;
    links_.set_target_up(server, true);
    return {};
  }

  void pause(const std::string& server) override {
    // What it holds is read before it stops: a stopped process answers nothing.
    refresh(server);
    paused_.insert(server);
    processes_.at(server)->pause();
  }
  void resume(const std::string& server) override {
    paused_.erase(server);
    processes_.at(server)->resume();
  }

  std::unique_ptr<ClientConnection> connect(const std::string& server) override {
    auto client = dial(server);
    if (!client) return nullptr;
    if (!herd_options_.course_clients) return std::make_unique<LineConnection>(std::move(client));
    return std::make_unique<CourseConnection>(
        server, [this, server] { return dial(server); }, std::move(client), record_.findings());
  }

  void set_places_faults(const PlacesFaults& faults) override { mock_.set_faults(faults); }

  HeldRecords& held() override { return held_; }
  // Every live server that runs is asked about every client; a paused one keeps what it
  // answered before it stopped.
  void refresh_held() override {
    std::vector<std::string> servers;
    for (const auto& server : options_.topology.servers)
      if (held_.live(server.name) && !paused_.count(server.name)) servers.push_back(server.name);
    refresh_all(servers);
  }
  bool held_is_answers() const override { return true; }

  StoreRecords read_store(const std::string& server) override {
    if (!paused_.count(server)) refresh(server);
    return held_.records(server);
  }

  std::vector<std::string> newest(const std::string& server, std::size_t limit) override {
    std::vector<Record> records;
    for (const auto& [client, line] : read_store(server)) {
      Record record;
      if (record_from_at_line(line, record)) records.push_back(std::move(record));
    }
    std::sort(records.begin(), records.end(), [](const Record& a, const Record& b) {
      return a.time != b.time ? a.time > b.time : a.line < b.line;
    });
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < records.size() && i < limit; ++i) lines.push_back(records[i].line);
    return lines;
  }

  // A server that ended by itself fails the step that saw it go, and is no longer live.
  std::vector<std::pair<std::string, std::string>> take_ended() override {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& [name, process] : processes_) {
      auto ended = process->ended();
      if (!ended) continue;
      queries_.erase(name);
      paused_.erase(name);
      links_.set_target_up(name, false);
      out.emplace_back(name, *ended + " by itself" + tail(name));
    }
    return out;
  }

 private:
  bool proxied() const { return herd_options_.ports.empty() || herd_options_.namespaces; }

  std::unique_ptr<LineClient> dial(const std::string& server) {
    if (sandboxed())
      return LineClient::adopt(
          connect_loopback(namespaces_.at(server)->tcp_socket(), ports_.at(server)));
    return LineClient::try_connect(ports_.at(server));
  }

  bool sandboxed() const { return !herd_options_.ports.empty() && herd_options_.namespaces; }

  // A network namespace per server. Inside `from`'s, each neighbour's port is the proxy of
  // from -> neighbour, which reaches the neighbour's port inside the neighbour's own; the mock
  // Places' port is a plain forwarder to the mock. Nothing else listens there: a server that
  // sends straight to a non-neighbour is refused, as a partition would refuse it.
  Expected<void> make_namespaces() {
    for (const auto& server : options_.topology.servers) {
      auto ns = NetNamespace::create();
      if (!ns) return fail("cannot give " + server.name + " a network namespace: " + ns.error());
      namespaces_[server.name] = std::move(*ns);
    }
    auto maker = [this](const std::string& server) {
      const NetNamespace* ns = namespaces_.at(server).get();
      return [ns] { return ns->tcp_socket(); };
    };
    for (const auto& [a, b] : options_.topology.links)
      for (const auto& [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
        const auto port = herd_options_.ports.at(to);
        auto routed = links_.route(from, to, port, {maker(from), maker(to), port});
        if (!routed) return routed.failure();
        proxy_ports_[{from, to}] = *routed;
      }
    if (!options_.places_url.empty()) return {};  // a Places of the user's, reached as it is
    for (const auto& server : options_.topology.servers) {
      auto forwarder =
          std::make_unique<FaultProxy>(runtime_, server.name, "Places", mock_.port(), options_.seed,
                                       ProxySockets{maker(server.name), {}, mock_.port()});
      if (auto ec = forwarder->start())
        return fail("cannot forward the mock Places' port into " + server.name +
                    "'s network namespace: " + ec.message());
      places_forwarders_.push_back(std::move(forwarder));
    }
    return {};
  }

  // Herd's config format, with only what `name` may know: its own address and its neighbours',
  // which are their proxies' ports when there are proxies. Given every server's real port, a
  // herd that sends straight to a non-neighbour would go round the proxies, and a partition
  // would not hold it.
  nlohmann::json config_for(const std::string& name) const {
    nlohmann::json servers = nlohmann::json::array(), links = nlohmann::json::array();
    for (const auto& server : options_.topology.servers) {
      auto proxy = proxy_ports_.find({name, server.name});
      if (server.name != name && proxy == proxy_ports_.end() && proxied()) continue;
      servers.push_back(
          {{"name", server.name},
           {"host", "127.0.0.1"},
           {"port", proxy != proxy_ports_.end() ? proxy->second : ports_.at(server.name)}});
    }
    for (const auto& [a, b] : options_.topology.links)
      if (a == name || b == name) links.push_back({a, b});
    nlohmann::json config = {{"servers", servers}, {"links", links}};
    if (!options_.topology.peer_secret.empty()) config["secret"] = options_.topology.peer_secret;
    return config;
  }

  // A process starting up gives no event to wait on: its port is polled.
  Expected<void> wait_until_listening(const std::string& name) {
    auto& process = *processes_.at(name);
    auto deadline = Steady::now() + std::chrono::milliseconds(herd_options_.start_timeout_ms);
    while (Steady::now() < deadline) {
      if (dial(name)) return {};
      if (auto ended = process.ended())
        return fail(name + " " + *ended + " as it started" + tail(name));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return fail(name + " did not listen on port " + std::to_string(ports_.at(name)) + " within " +
                std::to_string(herd_options_.start_timeout_ms) + " ms" + tail(name));
  }

  std::string tail(const std::string& name) const {
    auto& process = *processes_.at(name);
    auto text = process.output_tail();
    return text.empty() ? " (no output; " + process.output_path() + ")"
                        : "; its output (" + process.output_path() + ") ends:\n" + text;
  }

  // What a server's WHATSAT said about one client: the AT line it holds, that it holds nothing
  // ("? ..."), or that it could not be read (closed, timed out, garbled), with why.
  struct Answer {
    enum class Kind { holds, says_unknown, unreadable } kind = Kind::unreadable;
    std::string text;
    bool timed_out = false;  // the server kept the question without answering
  };

  // What every live, unpaused server answers now about every client the herd accepted updates
  // for, asked in parallel (a server that hangs on a question costs its own time only). The
  // checker's questions are not the scenario's: Places answers them at once.
  void refresh_all(const std::vector<std::string>& servers) {
    const auto faults = mock_.faults();
    if (faults != PlacesFaults{}) mock_.set_faults({});
    const auto clients = held_.expected_clients();
    std::map<std::string, std::map<std::string, Answer>> answers;
    for (const auto& server : servers) {
      answers[server];
      queries_[server];  // made here: the askers below only look their own up
    }
    {
      std::vector<std::thread> askers;
      for (auto& [server, out] : answers)
        askers.emplace_back([this, &server, &out, &clients] {
          for (const auto& client : clients) {
            out[client] = held_line(server, client);
            // One question left hanging means the next would too: the rest wait for the next
            // round rather than adding a timeout each.
            if (out[client].timed_out) {
              for (const auto& rest : clients)
                if (!out.count(rest))
                  out[rest] = {Answer::Kind::unreadable,
                               "not asked: an earlier question to " + server + " timed out"};
              break;
            }
          }
        });
      for (auto& asker : askers) asker.join();
    }
    if (faults != PlacesFaults{}) mock_.set_faults(faults);
    // A WHATSAT that has answered with an AT line about a client, anywhere in the run, shows
    // that "? ..." about it means "holds nothing"; before that it may as well mean "cannot".
    for (const auto& [server, by_client] : answers)
      for (const auto& [client, answer] : by_client)
        if (answer.kind == Answer::Kind::holds) readable_clients_.insert(client);
    const auto expected = held_.expected_lines();
    for (const auto& [server, by_client] : answers) {
      StoreRecords seen, unreadable;
      for (const auto& [client, answer] : by_client) {
        switch (answer.kind) {
          case Answer::Kind::holds:
            seen[client] = as_origin_said(server, answer.text, expected, client);
            break;
          case Answer::Kind::says_unknown:
            if (readable_clients_.count(client)) break;
            unreadable[client] = "WHATSAT answered \"" + printable(answer.text) +
                                 "\", and no server has yet answered WHATSAT about " + client +
                                 " with an AT line, so it may mean \"cannot\" as well as \"none\"";
            break;
          case Answer::Kind::unreadable:
            unreadable[client] = answer.text;
            break;
        }
      }
      held_.replace(server, seen, unreadable);
    }
  }
  void refresh(const std::string& server) { refresh_all({server}); }

  // The line a WHATSAT answered, as the checker compares it: the origin's own AT line when the
  // answer is the same update in another form (a conformance finding, said once), else as it is.
  std::string as_origin_said(const std::string& server, const std::string& answer,
                             const StoreRecords& expected, const std::string& client) {
    auto origin = expected.find(client);
    if (origin == expected.end() || origin->second == answer) return answer;
    auto deviations = whatsat_line_deviations(answer, origin->second, server);
    if (!deviations) return answer;
    for (const auto& d : *deviations) record_.findings().add(d.kind, d.text);
    return origin->second;
  }

  // What `server` answers first to "WHATSAT client 1 1".
  Answer held_line(const std::string& server, const std::string& client) {
    const std::string question = "WHATSAT " + client + " 1 1\n";
    if (herd_options_.course_clients) {
      CourseConnection connection(
          server, [this, server] { return dial(server); }, nullptr, record_.findings());
      if (!connection.send(question)) return {Answer::Kind::unreadable, connection.why_nothing()};
      auto first = connection.read_through("\n", herd_options_.reply_timeout_ms);
      if (!first)
        return {Answer::Kind::unreadable, connection.why_nothing(), connection.timed_out()};
      return classify(first->substr(0, first->size() - 1));
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (auto answer = ask(server, question)) return classify(*answer);
      queries_.erase(server);  // a server that drops or garbles a connection gets a new one
    }
    return {Answer::Kind::unreadable,
            "no answer from " + server + " within " +
                std::to_string(herd_options_.reply_timeout_ms) + " ms, twice",
            true};
  }

  static Answer classify(const std::string& first_line) {
    if (read_at_fields(first_line)) return {Answer::Kind::holds, first_line};
    if (first_line.starts_with("?")) return {Answer::Kind::says_unknown, first_line};
    return {Answer::Kind::unreadable, "WHATSAT answered \"" + printable(first_line.substr(0, 120)) +
                                          "\", neither an AT line nor \"? ...\""};
  }

  // One question on the checker's connection to `server`, kept from question to question
  // (--herd-client persistent).
  std::optional<std::string> ask(const std::string& server, const std::string& line) {
    auto& connection = queries_[server];
    if (!connection) connection = dial(server);
    if (!connection || !connection->try_send(line)) return std::nullopt;
    auto first = connection->read_line(herd_options_.reply_timeout_ms);
    // The rest of an AT answer (Places' JSON, then a blank line) is read before the next one.
    if (first && first->starts_with("AT ") &&
        !connection->read_through("\n\n", herd_options_.reply_timeout_ms))
      return std::nullopt;
    return first;
  }

  WorldOptions options_;
  ExternalHerd herd_options_;
  std::int64_t start_ns_;
  Runtime runtime_;
  RunRecord record_;
  HeldRecords held_;
  ProxiedLinks links_;
  WallTime time_;
  PlacesMock mock_;
  std::map<std::string, std::uint16_t> ports_;
  std::map<std::pair<std::string, std::string>, std::uint16_t> proxy_ports_;
  std::map<std::string, std::unique_ptr<NetNamespace>> namespaces_;  // with sandboxed()
  std::vector<std::unique_ptr<FaultProxy>> places_forwarders_;       // with sandboxed()
  std::map<std::string, std::unique_ptr<ServerProcess>> processes_;
  std::map<std::string, std::unique_ptr<LineClient>> queries_;  // the checker's, per server
  std::set<std::string> paused_;
  std::set<std::string> readable_clients_;  // WHATSAT has answered an AT line about them
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<World> make_process_world(WorldOptions options) {
  return std::make_unique<ProcessWorld>(std::move(options));
}

}  // namespace herd
