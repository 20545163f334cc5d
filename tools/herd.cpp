// The `herd` command: run one node, a whole herd, the mock Places, or the simulator.

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/node.hpp"
#include "core/runtime.hpp"
#include "sim/bench.hpp"
#include "sim/explore.hpp"
#include "sim/local_herd.hpp"
#include "sim/places_mock.hpp"
#include "sim/report.hpp"
#include "sim/scenario.hpp"
#include "sim/simulator.hpp"

namespace po = boost::program_options;
using namespace herd;

namespace {

constexpr int exit_usage = 2;

// A startup problem the user can fix: printed as one line, exit status 2.
struct UsageError {
  std::string message;
};

struct HerdFlags {
  std::string config;
  int base_port = -1;
  std::string places_url;
  std::string places_key;
  int places_timeout_ms = 5000;
  std::size_t places_max_bytes = 4 * 1024 * 1024;
  std::string log_dir = "logs";
  bool classic = false;
  std::size_t max_line_bytes = 64 * 1024;
  int idle_timeout_ms = 300'000;
  std::size_t max_clients = 1024;
};

void add_herd_flags(po::options_description& options, HerdFlags& flags) {
  options.add_options()("config", po::value(&flags.config)->value_name("FILE"),
                        "JSON config with servers (name, port, host) and links; default: the five "
                        "servers of SPEC.md")(
      "base-port", po::value(&flags.base_port)->value_name("N"),
      "shift every port so the lowest is N (default servers: Bailey N .. Jaquez N+4; default "
      "12000)")("places-url", po::value(&flags.places_url)->value_name("URL"),
                "Places Nearby Search endpoint without its query string")(
      "places-key", po::value(&flags.places_key)->value_name("KEY"),
      "Places API key (default: $GOOGLE_PLACES_API_KEY); never printed or logged")(
      "places-timeout-ms",
      po::value(&flags.places_timeout_ms)->value_name("MS")->default_value(5000),
      "give up on a Places call after this long and answer with an error object")(
      "log-dir", po::value(&flags.log_dir)->value_name("DIR")->default_value("logs"),
      "one log file per server, NAME.log, in this directory")(
      "classic", po::bool_switch(&flags.classic),
      "the course's minimum: no anti-entropy when a link comes up, nothing queued for a down link");
}

Topology load_topology(const HerdFlags& flags) {
  Topology topology = default_topology();
  if (!flags.config.empty()) {
    auto loaded = load_config(flags.config);
    if (auto* error = std::get_if<ConfigError>(&loaded)) throw UsageError{error->message};
    topology = std::get<Topology>(loaded);
  }
  if (flags.base_port != -1) {
    if (flags.base_port < 1 || flags.base_port > 65535)
      throw UsageError{"--base-port: expected a port from 1 to 65535, got " +
                       std::to_string(flags.base_port)};
    if (!topology.shift_ports(static_cast<std::uint16_t>(flags.base_port)))
      throw UsageError{"--base-port " + std::to_string(flags.base_port) +
                       ": the highest port would pass 65535"};
  }
  return topology;
}

// What every server run from these flags shares; name, address, port and peers come later.
NodeOptions node_defaults(const HerdFlags& flags, const std::string& default_places_url) {
  NodeOptions node;
  auto& places = node.places;
  places.url = flags.places_url.empty() ? default_places_url : flags.places_url;
  places.key = flags.places_key;
  if (places.key.empty())
    if (const char* key = std::getenv("GOOGLE_PLACES_API_KEY")) places.key = key;
  if (flags.places_timeout_ms < 1 || flags.places_timeout_ms > 600000)
    throw UsageError{"--places-timeout-ms: expected 1 to 600000, got " +
                     std::to_string(flags.places_timeout_ms)};
  places.timeout_ms = flags.places_timeout_ms;
  if (flags.places_max_bytes < 1024) throw UsageError{"--places-max-bytes: expected 1024 or more"};
  places.max_body_bytes = flags.places_max_bytes;
  if (flags.max_line_bytes < 64) throw UsageError{"--max-line-bytes: expected 64 or more"};
  if (flags.idle_timeout_ms < 1) throw UsageError{"--idle-timeout-ms: expected 1 or more"};
  if (flags.max_clients < 1) throw UsageError{"--max-clients: expected 1 or more"};
  node.max_line_bytes = flags.max_line_bytes;
  node.idle_timeout_ms = flags.idle_timeout_ms;
  node.max_clients = flags.max_clients;
  node.classic = flags.classic;
  node.log_dir = flags.log_dir;
  node.log_to_stderr = true;
  if (!places.url.starts_with("http://") && !places.url.starts_with("https://"))
    throw UsageError{"--places-url: expected an http:// or https:// URL, got \"" + places.url +
                     "\""};
  return node;
}

// Parses `args`; returns false when --help was printed.
bool parse(const std::string& command, const std::string& synopsis,
           const std::vector<std::string>& args, po::options_description& options,
           const po::positional_options_description& positional, po::variables_map& values) {
  options.add_options()("help,h", "show this help");
  po::store(po::command_line_parser(args).options(options).positional(positional).run(), values);
  if (values.count("help")) {
    std::cout << "Usage: herd " << command << " " << synopsis << "\n\n" << options << "\n";
    return false;
  }
  po::notify(values);
  return true;
}

void print_table(const Topology& topology) {
  std::printf("  %-10s %-15s %-6s %s\n", "server", "host", "port", "neighbours");
  for (const auto& s : topology.servers) {
    std::string neighbours;
    for (const auto& n : topology.neighbours(s.name))
      neighbours += (neighbours.empty() ? "" : ", ") + n;
    std::printf("  %-10s %-15s %-6u %s\n", s.name.c_str(), s.host.c_str(), s.port,
                neighbours.c_str());
  }
}

int run_node(const std::vector<std::string>& args) {
  HerdFlags flags;
  std::string name;
  po::options_description options("Options");
  options.add_options()("name", po::value(&name)->value_name("NAME"), "the server to run");
  add_herd_flags(options, flags);
  po::positional_options_description positional;
  positional.add("name", 1);
  po::variables_map values;
  if (!parse(
          "node",
          "NAME [options]\n\nRuns one server of the herd, a drop-in for `python3 server.py NAME`.",
          args, options, positional, values))
    return 0;
  if (name.empty()) throw UsageError{"missing the server NAME (for example: herd node Clark)"};
  Topology topology = load_topology(flags);
  const ServerSpec* me = topology.find(name);
  if (me == nullptr) {
    std::string known;
    for (const auto& s : topology.servers) known += (known.empty() ? "" : ", ") + s.name;
    throw UsageError{"no server named \"" + name + "\" in the config (servers: " + known + ")"};
  }
  NodeOptions node_options = node_defaults(flags, google_places_url);
  node_options.name = me->name;
  node_options.listen_host = me->host;
  node_options.port = me->port;
  node_options.peer_secret = topology.peer_secret;
  for (const auto& neighbour : topology.neighbours(name)) {
    const ServerSpec* peer = topology.find(neighbour);
    node_options.peers.push_back({peer->name, peer->host, peer->port});
  }
  Runtime runtime;
  Node node(runtime, node_options);
  if (auto ec = node.bind())
    throw UsageError{name + ": cannot listen on " + me->host + ":" + std::to_string(me->port) +
                     ": " + ec.message()};
  runtime.start();
  node.start();
  runtime.wait_for_shutdown_signal();
  node.stop_and_wait();
  runtime.stop();
  return 0;
}

int run_up(const std::vector<std::string>& args) {
  HerdFlags flags;
  po::options_description options("Options");
  add_herd_flags(options, flags);
  po::variables_map values;
  if (!parse("up",
             "[options]\n\nRuns every server of the herd in one process. Unless --places-url is "
             "given, "
             "it also starts the mock Places and points the servers at it.",
             args, options, {}, values))
    return 0;
  Topology topology = load_topology(flags);
  PlacesMock mock;
  std::string places_url = flags.places_url;
  if (places_url.empty()) {
    if (auto ec = mock.start()) throw UsageError{"cannot start the mock Places: " + ec.message()};
    places_url = mock.url();
  }
  HerdSettings settings;
  settings.topology = topology;
  settings.node = node_defaults(flags, places_url);
  Runtime runtime;
  LocalHerd herd(runtime, settings);
  if (auto error = herd.start()) throw UsageError{*error};
  runtime.start();
  std::printf("herd up: %zu servers, %s mode, Places at %s%s\n", topology.servers.size(),
              flags.classic ? "classic" : "anti-entropy", places_url.c_str(),
              flags.places_url.empty() ? " (mock)" : "");
  print_table(herd.topology());
  std::printf("Logs in %s/. Ctrl-C stops.\n", flags.log_dir.c_str());
  std::fflush(stdout);
  runtime.wait_for_shutdown_signal();
  std::fprintf(stderr, "herd up: stopping\n");
  herd.stop();
  runtime.stop();
  mock.stop();
  return 0;
}

int run_places_mock(const std::vector<std::string>& args) {
  int port = 8090;
  int latency_ms = 0;
  std::string host = "127.0.0.1";
  po::options_description options("Options");
  options.add_options()("port", po::value(&port)->value_name("N")->default_value(8090),
                        "port to listen on (0: any free port)")(
      "host", po::value(&host)->value_name("ADDR")->default_value("127.0.0.1"),
      "address to listen on")("latency-ms",
                              po::value(&latency_ms)->value_name("N")->default_value(0),
                              "delay every answer by N ms");
  po::variables_map values;
  if (!parse("places-mock", "[options]\n\nRuns the mock Google Places Nearby Search alone.", args,
             options, {}, values))
    return 0;
  if (port < 0 || port > 65535)
    throw UsageError{"--port: expected 0 to 65535, got " + std::to_string(port)};
  if (latency_ms < 0)
    throw UsageError{"--latency-ms: expected 0 or more, got " + std::to_string(latency_ms)};
  PlacesMock mock(host, static_cast<std::uint16_t>(port));
  if (auto ec = mock.start())
    throw UsageError{"cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message()};
  PlacesFaults faults;
  faults.latency_ms = latency_ms;
  mock.set_faults(faults);
  std::printf(
      "mock Places at %s\nTry: curl "
      "'%s?location=34.068930,-118.445127&radius=10000&key=any'\nCtrl-C stops.\n",
      mock.url().c_str(), mock.url().c_str());
  std::fflush(stdout);
  Runtime runtime(1, 1);
  runtime.wait_for_shutdown_signal();
  mock.stop();
  return 0;
}

// `herd sim` with no file runs the shipped scenarios: ./scenarios if there is one, else the
// source tree's.
std::string default_scenario_dir() {
  if (std::filesystem::is_directory("scenarios")) return "scenarios";
  return HERD_SOURCE_DIR "/scenarios";
}

std::vector<std::string> scenario_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  if (ec) throw UsageError{"cannot read the scenario directory " + dir + ": " + ec.message()};
  std::sort(files.begin(), files.end());
  return files;
}

bool run_one(const Scenario& scenario, const SimOptions& options, const std::string& report_dir) {
  std::cout << "scenario " << scenario.name
            << (scenario.source.empty() ? "" : " (" + scenario.source + ")") << "\n";
  if (!scenario.description.empty()) std::cout << "  " << scenario.description << "\n";
  auto result = run_scenario(scenario, options);
  std::cout << summary_text(result);
  if (!report_dir.empty()) {
    auto error = write_reports(result, report_dir);
    if (!error.empty())
      std::cout << "  (no report: " << error << ")\n";
    else
      std::cout << "  report: " << report_dir << "/" << result.scenario.name
                << ".json, timeline: " << report_dir << "/" << result.scenario.name
                << ".timeline.svg\n";
  }
  std::cout << std::endl;
  return result.passed;
}

int run_sim(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  std::uint64_t seed = 1;
  std::string report_dir = "herd-reports";
  bool classic = false, verbose = false, explore = false;
  int runs = 10;
  po::options_description options("Options");
  options.add_options()("file", po::value(&files)->value_name("FILE.json"),
                        "scenario files (default: every scenarios/*.json)")(
      "seed", po::value(&seed)->value_name("N"),
      "the seed for traffic and faults (overrides the scenario's; "
      "with --explore, the first run's)")(
      "report-dir", po::value(&report_dir)->value_name("DIR")->default_value("herd-reports"),
      "write NAME.json and NAME.timeline.svg here (\"\" for none)")(
      "classic", po::bool_switch(&classic), "run every scenario in classic mode (no anti-entropy)")(
      "verbose", po::bool_switch(&verbose), "say everything a failed check found")(
      "explore", po::bool_switch(&explore), "run random fault schedules and check they converge")(
      "runs", po::value(&runs)->value_name("N")->default_value(10),
      "with --explore: how many random schedules");
  po::positional_options_description positional;
  positional.add("file", -1);
  po::variables_map values;
  if (!parse("sim",
             "[FILE.json ...] [options]\n\nRuns scenarios, each in a fresh in-process herd with "
             "fault proxies on "
             "every link and the mock Places,\nprinting a line per step and a summary per "
             "scenario. Exit status: 0 all "
             "passed, 1 a scenario failed,\n2 a usage error or a bad scenario file.\n\n"
             "  herd sim                              every shipped scenario\n"
             "  herd sim scenarios/partition-heal.json --classic\n"
             "  herd sim --explore --runs 20 --seed 7  random schedules; a failure is written as a "
             "scenario file",
             args, options, positional, values))
    return 0;
  SimOptions sim;
  if (values.count("seed")) sim.seed = seed;
  sim.force_classic = classic;
  sim.verbose = verbose;
  sim.progress = &std::cout;

  if (explore) {
    if (!files.empty()) throw UsageError{"--explore makes its own scenarios; give no files"};
    if (runs < 1) throw UsageError{"--runs: expected 1 or more, got " + std::to_string(runs)};
    std::vector<std::uint64_t> failed;
    for (int i = 0; i < runs; ++i) {
      std::uint64_t run_seed = seed + static_cast<std::uint64_t>(i);
      std::cout << "explore run " << i + 1 << "/" << runs << ", seed " << run_seed << "\n";
      auto scenario = random_scenario(run_seed, classic);
      SimOptions one = sim;
      one.seed.reset();
      if (run_one(scenario, one, "")) continue;
      failed.push_back(run_seed);
      std::string dir = report_dir.empty() ? "." : report_dir;
      std::filesystem::create_directories(dir);
      auto path = (std::filesystem::path(dir) / (scenario.name + ".json")).string();
      std::ofstream(path) << scenario_to_json(scenario);
      std::cout << "  FAILED with seed " << run_seed << "; replay it with: herd sim " << path
                << (classic ? " (the file says classic)" : "") << "\n\n";
    }
    std::cout << "explore: " << runs - static_cast<int>(failed.size()) << " passed, "
              << failed.size() << " failed (" << (classic ? "classic" : "anti-entropy")
              << ", seeds " << seed << " to " << seed + static_cast<std::uint64_t>(runs) - 1
              << ")\n";
    return failed.empty() ? 0 : 1;
  }

  if (files.empty()) files = scenario_files(default_scenario_dir());
  if (files.empty()) throw UsageError{"no scenario files to run"};
  std::vector<Scenario> scenarios;
  for (const auto& file : files) {
    auto loaded = load_scenario(file);
    if (auto* error = std::get_if<ScenarioError>(&loaded)) throw UsageError{error->message};
    scenarios.push_back(std::get<Scenario>(loaded));
  }
  std::size_t passed = 0;
  std::vector<std::string> failures;
  for (const auto& scenario : scenarios) {
    if (run_one(scenario, sim, report_dir))
      ++passed;
    else
      failures.push_back(scenario.name);
  }
  for (const auto& name : failures) std::cout << "failed: " << name << "\n";
  std::cout << "herd sim: " << passed << " passed, " << failures.size() << " failed\n";
  return failures.empty() ? 0 : 1;
}

int run_bench_command(const std::vector<std::string>& args) {
  BenchOptions bench;
  std::string svg = "herd-bench-latency.svg";
  po::options_description options("Options");
  options.add_options()("quick", po::bool_switch(&bench.quick),
                        "small sizes and short runs (CI runs this so the bench never rots)")(
      "json", po::bool_switch(&bench.json), "print the figures as JSON")(
      "svg", po::value(&svg)->value_name("FILE")->default_value("herd-bench-latency.svg"),
      "write a plot of latency against load here (\"\" for none; only with the iamat section)")(
      "only", po::value(&bench.only)->multitoken()->value_name("SECTION..."),
      "run only these sections: iamat, flood, memory, scale, whatsat");
  po::variables_map values;
  if (!parse("bench",
             "[options]\n\nMeasures Herd beside baselines taken in the same run on this machine: "
             "IAMAT "
             "throughput and latency\nagainst a minimal line-echo server, flood latency across the "
             "five-server herd, "
             "memory per stored\nrecord against the raw line bytes, herds of 5, 50 and 500 "
             "servers, and WHATSAT "
             "against the mock\nPlaces asked directly. Prints a table (or JSON) with each ratio "
             "and its target.",
             args, options, {}, values))
    return 0;
  for (const auto& section : bench.only) {
    const auto& known = bench_sections();
    if (std::find(known.begin(), known.end(), section) == known.end())
      throw UsageError{"--only: no section \"" + section +
                       "\" (sections: iamat, flood, memory, scale, whatsat)"};
  }
  bench.svg_path = svg;
  bench.out = &std::cout;
  bench.progress = &std::cerr;
  return run_bench(bench);
}

void print_usage() {
  std::cout
      << "Usage: herd COMMAND [options]   (herd COMMAND --help for each)\n\n"
         "Commands:\n"
         "  node NAME     run one server of the herd (a drop-in for the course's server.py)\n"
         "  up            run every server in one process, with the mock Places\n"
         "  places-mock   run the mock Google Places Nearby Search alone\n"
         "  sim [FILE]    run simulator scenarios: faults, crashes, convergence checks, reports\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_usage();
    return exit_usage;
  }
  std::string command = args.front();
  args.erase(args.begin());
  std::map<std::string, std::function<int(const std::vector<std::string>&)>> commands = {
      {"node", run_node},
      {"up", run_up},
      {"places-mock", run_places_mock},
      {"sim", run_sim},
      {"bench", run_bench_command}};
  if (command == "--help" || command == "-h" || command == "help") {
    print_usage();
    return 0;
  }
  auto it = commands.find(command);
  if (it == commands.end()) {
    std::cerr << "herd: unknown command \"" << command << "\"\n";
    print_usage();
    return exit_usage;
  }
  try {
    return it->second(args);
  } catch (const po::error& e) {
    std::cerr << "herd " << command << ": " << e.what() << " (see herd " << command << " --help)\n";
    return exit_usage;
  } catch (const UsageError& e) {
    std::cerr << "herd " << command << ": " << e.message << "\n";
    return exit_usage;
  }
}
