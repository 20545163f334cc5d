// `herd sim`: runs scenario files, or random ones with --explore, and writes their reports.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "core/open_files.hpp"
#include "core/text_file.hpp"
#include "sim/campaign/campaign_merge.hpp"
#include "sim/campaign/determinism.hpp"
#include "sim/campaign/explore.hpp"
#include "sim/campaign/shrink_run.hpp"
#include "sim/live/live_server.hpp"
#include "sim/live/trace_replay.hpp"
#include "sim/net/net_namespace.hpp"
#include "sim/report/progress.hpp"
#include "sim/report/report.hpp"
#include "sim/run/run_scenario.hpp"
#include "sim/scenario/scenario.hpp"
#include "tools/commands.hpp"
#include "tools/flag_table.hpp"
#include "tools/herd_process_flags.hpp"
#include "tools/scenario_files.hpp"
#include "tools/shard_flag.hpp"

namespace herd::cli {
namespace {

namespace po = boost::program_options;

struct SimSettings {
  std::vector<std::string> files;
  std::optional<std::uint64_t> seed;
  std::string report_dir = "herd-reports";
  bool classic = false;
  bool verbose = false;
  bool explore = false;
  int runs = 10;
  bool runs_given = false;
  int places_port = 0;
  std::string log_dir;
  std::optional<NetworkKind> network;  // unset: real for files, virtual for --explore
  std::string trace_path;
  bool check_determinism = false;
  bool swarm = true;
  std::size_t timeline_max = default_timeline_max;
  int serve_port = -1;  // -1: no live view
  std::string replay;   // --serve --replay TRACE
  std::string control_bind = "127.0.0.1";
  bool control_open = false;
  bool paused = false;         // --serve --paused
  ExternalHerd herd;           // --herd-cmd: its command is empty when the herd is Herd's own nodes
  bool namespaces = true;      // --herd-net: with --herd-ports, each server in a namespace
  bool shrink = false;         // --shrink FILE
  bool shrink_found = true;    // explore shrinks what it finds unless --no-shrink
  std::optional<Shard> shard;  // --shard I/N; unset: the cluster engine's variables, or 0/1
  bool merge = false;          // --merge: the files are shards' report folders
};

NetworkKind network_for(const SimSettings& s) {
  return s.network.value_or(s.explore ? NetworkKind::virtual_ : NetworkKind::real);
}

FlagTable<SimSettings> make_sim_flags() {
  FlagTable<SimSettings> table = {
      {"seed", "N",
       "the seed for traffic and faults (overrides the scenario's; with --explore, the first "
       "run's)",
       [](const SimSettings&) { return std::string("the scenario's; 1 for --explore"); },
       [](SimSettings& s, const std::string& v) {
         s.seed = static_cast<std::uint64_t>(
             parse_integer("seed", v, 0, std::numeric_limits<std::int64_t>::max()));
       }},
      {"report-dir", "DIR", "write NAME.report.json and NAME.timeline.svg here (\"\": none)",
       [](const SimSettings& s) { return s.report_dir; },
       [](SimSettings& s, const std::string& v) { s.report_dir = v; }},
      {"classic",
       "",
       "run every scenario in classic mode (no anti-entropy)",
       {},
       [](SimSettings& s, const std::string&) { s.classic = true; }},
      {"verbose",
       "",
       "list every problem a failed check found, one per line",
       {},
       [](SimSettings& s, const std::string&) { s.verbose = true; }},
      {"explore",
       "",
       "run random fault schedules and check that each converges",
       {},
       [](SimSettings& s, const std::string&) { s.explore = true; }},
      {"runs", "N", "with --explore: how many random schedules",
       [](const SimSettings& s) { return std::to_string(s.runs); },
       [](SimSettings& s, const std::string& v) {
         s.runs = static_cast<int>(parse_integer("runs", v, 1, 1'000'000));
         s.runs_given = true;
       }},
      {"log-dir", "DIR",
       "keep each server's own log, DIR/SCENARIO/NAME.log, as herd node writes it",
       [](const SimSettings&) { return std::string("none"); },
       [](SimSettings& s, const std::string& v) { s.log_dir = v; }},
      {"net", "real|virtual",
       "the network: real (loopback TCP through fault proxies, wall-clock time) or virtual (one "
       "thread, in-memory, virtual time: a seed replays bit for bit)",
       [](const SimSettings&) { return std::string("real; virtual for --explore"); },
       [](SimSettings& s, const std::string& v) {
         if (v == "real")
           s.network = NetworkKind::real;
         else if (v == "virtual")
           s.network = NetworkKind::virtual_;
         else
           throw UsageError{"--net must be real or virtual, not \"" + v + "\""};
       }},
      {"trace", "FILE",
       "write every event (steps, client lines, messages sent, delivered and dropped with their "
       "ids, stores, links, faults, Places) to FILE, one line each",
       [](const SimSettings&) { return std::string("none"); },
       [](SimSettings& s, const std::string& v) { s.trace_path = v; }},
      {"check-determinism",
       "",
       "with --net virtual: run each scenario twice and fail if the traces differ, naming the "
       "first line that does",
       {},
       [](SimSettings& s, const std::string&) { s.check_determinism = true; }},
      {"timeline-max", "N",
       "draw at most N messages in each timeline (it says how many it leaves out)",
       [](const SimSettings& s) { return std::to_string(s.timeline_max); },
       [](SimSettings& s, const std::string& v) {
         s.timeline_max = static_cast<std::size_t>(parse_integer("timeline-max", v, 1, 10'000'000));
       }},
      {"serve", "PORT",
       "after the scenario's steps, keep the herd up and serve the live view and its control API "
       "on PORT (0: any free port) until Ctrl-C",
       [](const SimSettings&) { return std::string("none"); },
       [](SimSettings& s, const std::string& v) {
         s.serve_port = static_cast<int>(parse_integer("serve", v, 0, 65535));
       }},
      {"paused",
       "",
       "with --serve: serve the page before the first step and let the page run the scenario's "
       "steps one at a time (or all), each in pace with the clock's speed on --net virtual, so a "
       "class watches a scripted partition happen",
       {},
       [](SimSettings& s, const std::string&) { s.paused = true; }},
      {"replay", "TRACE",
       "with --serve: play a saved trace (--trace FILE, or a failing explore run's) in the live "
       "view instead of running a herd",
       [](const SimSettings&) { return std::string("none"); },
       [](SimSettings& s, const std::string& v) { s.replay = v; }},
      {"control-bind", "ADDR",
       "the address the live view listens on; anything but 127.0.0.1 lets other machines crash "
       "servers and cut links",
       [](const SimSettings& s) { return s.control_bind; },
       [](SimSettings& s, const std::string& v) { s.control_bind = control_address(v); }},
      {"control-open",
       "",
       "with --serve: ask no token of the control API, so anyone who can reach its address (and "
       "any program on this machine) can crash servers and cut links; only for a trusted "
       "classroom network. Pages on other origins are still refused",
       {},
       [](SimSettings& s, const std::string&) { s.control_open = true; }},
      {"no-swarm",
       "",
       "with --explore on the virtual network: every fault kind in every run, instead of each "
       "seed drawing which kinds are on and how hard",
       {},
       [](SimSettings& s, const std::string&) { s.swarm = false; }},
      {"shrink",
       "",
       "with one FILE that fails: remove steps and halve numbers while it still fails the same "
       "way, and write the smallest as FILE.shrunk.json (on the virtual network one run decides "
       "a candidate; elsewhere it must fail 3 runs of 3)",
       {},
       [](SimSettings& s, const std::string&) { s.shrink = true; }},
      {"no-shrink",
       "",
       "with --explore: do not shrink the failing runs it finds",
       {},
       [](SimSettings& s, const std::string&) { s.shrink_found = false; }},
      {"places-port", "N", "the port of the mock Places",
       [](const SimSettings&) { return std::string("any free port"); },
       [](SimSettings& s, const std::string& v) {
         s.places_port = static_cast<int>(parse_integer("places-port", v, 1, 65535));
       }},
      {"shard", "I/N",
       "with --explore: run shard I of N (from 0) of the seeds, those at k mod N = I from the "
       "first; each seed's outcome goes to REPORT-DIR/explore-shard-I-of-N.jsonl for --merge",
       [](const SimSettings&) {
         return std::string(
             "HERD_SHARD, a Slurm array's SLURM_ARRAY_TASK_ID (with _MIN, _COUNT, _STEP) or a "
             "Kubernetes Indexed Job's JOB_COMPLETION_INDEX with HERD_SHARDS, when set; else "
             "0/1");
       },
       [](SimSettings& s, const std::string& v) {
         auto shard = parse_shard(v);
         if (!shard) throw UsageError{"--shard: " + shard.error()};
         s.shard = *shard;
       }},
      {"merge",
       "",
       "read the explore logs (explore-*.jsonl) in the folders given as FILEs, from the shards "
       "of one campaign, and print one summary: seeds run, passed, failed, missing (a shard "
       "that died), failures by signature with their smallest reproduction; written to "
       "REPORT-DIR/campaign.json and campaign.txt. Exit 2 when seeds are missing, else 1 when "
       "one failed, 3 when some were inconclusive",
       {},
       [](SimSettings& s, const std::string&) { s.merge = true; }},
  };
  auto herd = herd_process_flags<SimSettings>("", "none: Herd's own nodes");
  table.insert(table.end(), herd.begin(), herd.end());
  return table;
}

const FlagTable<SimSettings>& sim_flags() {
  static const FlagTable<SimSettings> table = make_sim_flags();
  return table;
}

enum class Ran { passed, failed, inconclusive, skipped };

struct RanOne {
  Ran ran = Ran::failed;
  RunRow row;
  std::vector<Finding> findings;
};

RanOne run_one(const Scenario& scenario, const SimOptions& options, const std::string& report_dir,
               bool check_determinism, std::ostream* trace, std::size_t timeline_max) {
  std::cout << "scenario " << scenario.name
            << (scenario.source.empty() ? "" : " (" + scenario.source + ")") << "\n";
  if (!scenario.description.empty()) std::cout << "  " << scenario.description << "\n";
  auto result = run_traced(scenario, options, check_determinism, trace);
  std::cout << summary_text(result);
  RanOne out;
  out.row = {scenario.name, scenario.beyond_course, verdict_word(result), first_finding(result)};
  out.findings = result.findings;
  if (!result.skipped.empty()) {
    std::cout << std::endl;
    out.ran = Ran::skipped;
    out.row.verdict = "SKIPPED";
    return out;
  }
  if (!report_dir.empty()) {
    auto written = write_reports(result, report_dir, timeline_max);
    if (!written.error.empty())
      std::cout << "  (no report: " << written.error << ")\n";
    else
      std::cout << "  report: " << written.report_path << ", timeline: " << written.timeline_path
                << "\n";
  }
  std::cout << std::endl;
  out.ran = result.passed ? Ran::passed : result.inconclusive ? Ran::inconclusive : Ran::failed;
  return out;
}

// Serves the live view of whatever `run` runs, then stops it on Ctrl-C.
template <typename Run>
int serve_live(const std::string& bind, int port, bool open, SimOptions sim, Run run) {
  ControlSettings control;
  control.bind = bind;
  control.port = static_cast<std::uint16_t>(port);
  auto live = LiveServer::start(control, open);
  if (!live) throw UsageError{live.error()};
  (*live)->serve(sim);
  return run(sim, (*live)->session(), (*live)->address());
}

int serve(const SimSettings& settings, const SimOptions& sim, std::ostream* trace) {
  auto loaded = load_scenario(settings.files.front());
  if (!loaded) throw UsageError{loaded.error()};
  return serve_live(
      settings.control_bind, settings.serve_port, settings.control_open, sim,
      [&](SimOptions live, LiveSession&, const std::string& url) {
        live.live_paused = settings.paused;
        std::cout << "live view: " << url
                  << (settings.paused ? " (the scenario waits: its steps run as the page lets "
                                        "them; Ctrl-C stops)"
                                      : " (the scenario runs first; Ctrl-C stops)")
                  << std::endl;
        return run_one(*loaded, live, settings.report_dir, false, trace, settings.timeline_max)
                           .ran == Ran::passed
                   ? 0
                   : 1;
      });
}

// Plays a saved trace in the live view at its own pace, then keeps the page up until Ctrl-C.
int replay(const SimSettings& settings) {
  auto text = read_bounded_file(settings.replay, std::size_t{1} << 30);
  if (!text) throw UsageError{"cannot read the trace " + settings.replay + ": " + text.error()};
  auto trace = read_trace(*text);
  if (!trace) throw UsageError{settings.replay + ": " + trace.error()};
  return serve_live(settings.control_bind, settings.serve_port, settings.control_open, SimOptions{},
                    [&](const SimOptions&, LiveSession& session, const std::string& url) {
                      std::cout << "live view: " << url << " (replaying " << trace->lines.size()
                                << " lines of " << settings.replay << "; Ctrl-C stops)"
                                << std::endl;
                      // A moment for a page to open before the first line goes out.
                      play_trace(session, *trace, "replay of " + settings.replay,
                                 std::chrono::seconds(2), std::cout);
                      return 0;
                    });
}

// `herd sim --merge DIR...`: one campaign's summary from its shards' logs.
int merge(const SimSettings& settings) {
  if (settings.files.empty())
    throw UsageError{
        "--merge reads the shards' report folders: give them (herd sim --merge "
        "shard-0 shard-1 ...)"};
  if (settings.explore) throw UsageError{"--merge reads a campaign's logs; it runs no seeds"};
  auto summary = merge_campaign_logs(settings.files);
  if (!summary) throw UsageError{"--merge: " + summary.error()};
  auto text = campaign_summary_text(*summary);
  std::cout << text;
  if (!settings.report_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(settings.report_dir, ec);
    for (auto [name, body] : {std::pair{"campaign.json", campaign_summary_json(*summary, true)},
                              std::pair{"campaign.txt", text}}) {
      auto path = (std::filesystem::path(settings.report_dir) / name).string();
      if (!(std::ofstream(path) << body))
        std::cout << "merge: cannot write " << path << "\n";
      else
        std::cout << "merge: written to " << path << "\n";
    }
  }
  return campaign_exit_status(*summary);
}

}  // namespace

int run_up_with_control(const ControlledUp& plan) {
  Scenario herd;
  herd.name = "herd-up";
  herd.description = "the herd of herd up, behind fault proxies and the live view";
  herd.topology = plan.topology;
  herd.classic = plan.node.classic;
  SimOptions sim;
  sim.network = NetworkKind::real;
  sim.node = plan.node;
  sim.places_url = plan.places_url;
  sim.places_port = static_cast<std::uint16_t>(plan.places_port);
  sim.progress = &std::cout;
  return serve_live(plan.control_bind, plan.control_port, plan.control_open, sim,
                    [&](SimOptions live, LiveSession&, const std::string& url) {
                      // Printed once every server listens and every link is up: a client may
                      // connect then.
                      live.on_ready = [&plan, url] {
                        std::cout << "herd up: " << plan.topology.servers.size() << " servers ("
                                  << (plan.node.classic ? "classic" : "anti-entropy")
                                  << "), every link through a fault proxy\n";
                        for (const auto& server : plan.topology.servers)
                          std::cout << "  " << server.name << " " << server.host << ":"
                                    << server.port << "\n";
                        std::cout << "live view: " << url << " (Ctrl-C stops)" << std::endl;
                      };
                      auto result = run_scenario(herd, live);
                      if (!result.setup_error.empty()) {
                        std::cerr << "herd up: " << result.setup_error << "\n";
                        return 2;
                      }
                      return 0;
                    });
}

int run_sim(const Args& args) {
  SimSettings settings;
  po::options_description options("Options");
  options.add_options()("file", po::value(&settings.files)->value_name("FILE.json"),
                        "scenario files (default: every scenarios/*.json)");
  register_flags(sim_flags(), options);
  po::positional_options_description positional;
  positional.add("file", -1);
  po::variables_map values;
  if (!parse_command_line(
          "sim",
          "[FILE.json ...] [options]\n\nRuns scenarios, each in a fresh in-process herd with fault "
          "proxies on every link and the mock Places,\nprinting a line per step (numbered from 0, "
          "as steps[N] in the file) and a summary per scenario.\nWith --net virtual the same node "
          "code runs on one thread, an in-memory network and a virtual\nclock: the same seed "
          "gives the same run on every machine.\nWith --herd-cmd the servers are processes "
          "started from a command (anyone's herd),\nchecked from outside through WHATSAT.\n"
          "Exit status: 0 all passed (some may be skipped), 1 a "
          "scenario failed, 2 a usage error or a bad scenario file, 3 none failed but some "
          "could not be judged (inconclusive: a server that could not be read).\n\n"
          "  herd sim                              every shipped scenario\n"
          "  herd sim scenarios/partition-heal.json --classic\n"
          "  herd sim scenarios/flapping-link.json --net virtual --trace flap.trace "
          "--check-determinism\n"
          "  herd sim --explore --runs 1000 --seed 7  random schedules on the virtual network; a "
          "failure is written\n                                        as a new scenario file, "
          "and shrunk\n"
          "  herd sim scenarios/course-grader.json --herd-cmd 'python3 server.py {name} --config "
          "{config} --places-url {places_url}'\n"
          "                                        your own herd's servers, as processes\n"
          "  herd sim --shrink failing.json        the steps that make it fail, in "
          "failing.shrunk.json\n"
          "  herd sim --explore --runs 100000 --shard 3/8 --report-dir campaign\n"
          "                                        one shard of a campaign (a cluster array's "
          "task finds its own)\n"
          "  herd sim --merge campaign             the campaign's summary from every shard's "
          "log",
          args, options, positional, values))
    return 0;
  apply_flags(sim_flags(), values, settings);
  if (settings.merge) return merge(settings);
  if (settings.shard && !settings.explore)
    throw UsageError{"--shard splits an --explore campaign's seeds (herd grade has its own)"};
  if (settings.shrink && settings.explore)
    throw UsageError{"--explore shrinks what it finds by itself; --shrink is for a scenario file"};
  if (settings.runs_given && !settings.explore)
    throw UsageError{"--runs counts random schedules and needs --explore"};
  for (const auto& file : settings.files)
    if (std::filesystem::is_directory(file))
      throw UsageError{file + " is a directory; give scenario files (for example " + file +
                       "/*.json), or no file for every shipped scenario"};
  raise_open_file_limit();
  SimOptions sim;
  sim.seed = settings.seed;
  sim.force_classic = settings.classic;
  sim.verbose = settings.verbose;
  sim.places_port = static_cast<std::uint16_t>(settings.places_port);
  sim.log_dir = settings.log_dir;
  sim.progress = &std::cout;
  sim.network = network_for(settings);
  sim.timeline_max = settings.timeline_max;
  sim.keep_timeline = !settings.report_dir.empty();
  if (settings.check_determinism && sim.network != NetworkKind::virtual_)
    throw UsageError{
        "--check-determinism compares two runs of a seed, which only the virtual network "
        "replays: add --net virtual"};
  if (!settings.herd.ports.empty() && settings.herd.command.empty())
    throw UsageError{"--herd-ports gives the ports of server processes: add --herd-cmd"};
  if (!settings.herd.command.empty()) {
    if (settings.network == NetworkKind::virtual_)
      throw UsageError{
          "--herd-cmd runs server processes, which talk real TCP: --net virtual cannot run them"};
    sim.network = NetworkKind::real;
    sim.external = settings.herd;
    // Each server's folder (config, output) goes beside the reports, or in a folder of its own.
    // Absolute: a command that begins "cd {dir} && ..." still finds {config}.
    sim.external->dir =
        std::filesystem::absolute(settings.report_dir.empty()
                                      ? (std::filesystem::temp_directory_path() /
                                         ("herd-sim-servers-" + std::to_string(::getpid())))
                                      : std::filesystem::path(settings.report_dir))
            .lexically_normal()
            .string();
    std::cout << "servers from: " << settings.herd.command
              << "\n  their folders: " << sim.external->dir << "/SCENARIO.servers/NAME/"
              << std::endl;
    if (!settings.herd.ports.empty() && settings.namespaces)
      sim.external->namespaces = enter_net_namespaces(std::cout);
  }
  if (sim.network == NetworkKind::virtual_ && settings.places_port != 0)
    throw UsageError{
        "--places-port is for the real network; the virtual network's Places has no port"};
  std::ofstream trace_file;
  std::ostream* trace = nullptr;
  if (!settings.trace_path.empty()) {
    trace_file.open(settings.trace_path);
    if (!trace_file) throw UsageError{"cannot write the trace file " + settings.trace_path};
    trace = &trace_file;
  }

  if (settings.explore) {
    if (!settings.files.empty())
      throw UsageError{"--explore makes its own scenarios; give no files"};
    ExploreSettings plan;
    plan.first_seed = settings.seed.value_or(1);
    plan.runs = settings.runs;
    plan.classic = settings.classic;
    plan.swarm = settings.swarm;
    plan.check_determinism = settings.check_determinism;
    plan.shrink_found = settings.shrink_found;
    plan.report_dir = settings.report_dir;
    plan.shard = resolve_shard(settings.shard, "explore");
    auto summary = explore(plan, sim, trace, std::cout);
    if (!summary.failed.empty()) return 1;
    return summary.inconclusive.empty() ? 0 : 3;
  }
  if (!settings.replay.empty()) {
    if (settings.serve_port < 0)
      throw UsageError{"--replay plays a trace in the live view: add --serve PORT"};
    if (!settings.files.empty())
      throw UsageError{"--replay plays a trace, not scenario files: give no files"};
    return replay(settings);
  }
  if (settings.paused && (settings.serve_port < 0 || !settings.replay.empty()))
    throw UsageError{
        "--paused holds a scenario's steps for the live view's page: add --serve PORT (a replay "
        "has its own clock)"};
  if (settings.serve_port >= 0) {
    if (settings.files.size() != 1)
      throw UsageError{"--serve shows one scenario's herd: give exactly one file"};
    if (settings.check_determinism) throw UsageError{"--serve and --check-determinism do not mix"};
    return serve(settings, sim, trace);
  }
  if (settings.shrink) {
    if (settings.files.size() != 1)
      throw UsageError{"--shrink takes exactly one scenario file (a failing one)"};
    auto loaded = load_scenario(settings.files.front());
    if (!loaded) throw UsageError{loaded.error()};
    const auto& scenario = *loaded;
    std::cout << "shrink: running " << settings.files.front() << " as it is" << std::endl;
    auto result = run_scenario(scenario, sim);
    std::cout << summary_text(result);
    if (!result.setup_error.empty()) return 1;
    if (result.passed) {
      std::cout << "shrink: " << settings.files.front() << " passes; nothing to shrink\n";
      return 1;
    }
    return shrink_and_write(scenario, result, sim, shrunk_path(settings.files.front()), std::cout)
               ? 0
               : 2;
  }
  if (settings.files.empty()) settings.files = scenario_files(default_scenario_dir());
  if (settings.files.empty()) throw UsageError{"no scenario files to run"};
  std::vector<Scenario> scenarios;
  for (const auto& file : settings.files) {
    auto loaded = load_scenario(file);
    if (!loaded) throw UsageError{loaded.error()};
    scenarios.push_back(std::move(*loaded));
  }
  if (settings.places_port != 0)
    std::cout << "mock Places on port " << settings.places_port << "\n";
  std::size_t passed = 0;
  std::vector<std::string> failures, skipped, inconclusive;
  std::vector<Finding> conformance;  // each kind once, over every run
  std::vector<RunRow> rows;
  for (const auto& scenario : scenarios) {
    auto ran = run_one(scenario, sim, settings.report_dir, settings.check_determinism, trace,
                       settings.timeline_max);
    rows.push_back(ran.row);
    for (const auto& f : ran.findings)
      if (std::none_of(conformance.begin(), conformance.end(),
                       [&](const Finding& kept) { return kept.kind == f.kind; }))
        conformance.push_back(f);
    switch (ran.ran) {
      case Ran::passed:
        ++passed;
        break;
      case Ran::failed:
        failures.push_back(scenario.name);
        break;
      case Ran::inconclusive:
        inconclusive.push_back(scenario.name);
        break;
      case Ran::skipped:
        skipped.push_back(scenario.name);
        break;
    }
  }
  if (rows.size() > 1 || !conformance.empty()) std::cout << run_table(rows, conformance) << "\n";
  for (const auto& name : skipped) std::cout << "skipped: " << name << "\n";
  for (const auto& name : inconclusive) std::cout << "inconclusive: " << name << "\n";
  for (const auto& name : failures) std::cout << "failed: " << name << "\n";
  std::cout << "herd sim: " << passed << " passed, " << failures.size() << " failed"
            << (inconclusive.empty() ? ""
                                     : ", " + std::to_string(inconclusive.size()) + " inconclusive")
            << (skipped.empty() ? "" : ", " + std::to_string(skipped.size()) + " skipped") << "\n";
  if (!failures.empty()) return 1;
  return inconclusive.empty() ? 0 : 3;
}

}  // namespace herd::cli
