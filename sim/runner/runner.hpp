#pragma once
// The runner: composes the parts of the simulator (the scenario's steps, the client workload,
// the faults, a network, the checker and the report) into one run of a scenario against a fresh
// in-process herd. Two networks: real (every node on loopback TCP, every directed link through a
// fault proxy, the mock Places over HTTP; real_runner.cpp) and virtual (the same node code on an
// in-memory network and a virtual clock, one thread; virtual_runner.cpp).

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/node.hpp"
#include "sim/report/metrics.hpp"
#include "sim/report/trace.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/step_context.hpp"

namespace herd {

enum class NetworkKind {
  real,     // every node on loopback TCP, links through fault proxies, wall-clock time
  virtual_  // one thread, an in-memory network, a virtual clock: a seed replays bit for bit
};

class LiveSession;

// A herd under test made of server processes (`herd sim --herd-cmd`), instead of Herd's own
// nodes in this process: a student's Python servers, another herd's, or `herd node` itself.
struct ExternalHerd {
  // Run under /bin/sh -c for each server, in the directory herd sim runs in, with {name}, {port},
  // {config}, {places_url}, {dir} and {classic} ("--classic" when the scenario runs in classic
  // mode, else nothing) replaced, and HERD_NAME, HERD_PORT, HERD_CONFIG, HERD_PLACES_URL, HERD_DIR
  // and HERD_CLASSIC (1 or 0) set.
  std::string command;
  // --herd-ports: servers listening on ports fixed in their code, neighbours too; then no proxy
  // sits between them and a step that needs one is refused. Empty: the harness picks ports and
  // points every link at a fault proxy through {config}.
  std::map<std::string, std::uint16_t> ports;
  // Each server's folder (its config and output) is DIR/SCENARIO.servers/NAME.
  std::string dir;
  int start_timeout_ms = 10'000;  // for a server's port to accept connections after a start
  int reply_timeout_ms = 5'000;   // for each answer the checker waits on
};

struct SimOptions {
  NetworkKind network = NetworkKind::real;
  std::ostream* trace = nullptr;  // one line per event (trace.hpp); nullptr: none
  // Also told of every trace line as it is written (the live view's events).
  std::function<void(std::string_view line)> trace_listener;
  // Whether trace_listener wants lines right now (none given: always); while it does not, the
  // runner formats none.
  std::function<bool()> trace_listening;
  // The live view: once the scenario's steps have run, the herd stays up and serves the
  // session's jobs (its state, posted steps) until the session is stopped. nullptr: none.
  LiveSession* live = nullptr;
  // Called once the herd is up, every link connected, before the first step.
  std::function<void()> on_ready;
  // On real sockets, for `herd up --control`: the servers' own settings (limits, backoff, logs,
  // Places key) instead of the simulator's quick ones, and a real Places instead of the mock.
  std::optional<NodeOptions> node;
  std::string places_url;             // empty: the mock Places
  std::optional<std::uint64_t> seed;  // overrides the scenario's
  bool force_classic = false;         // run in classic mode whatever the scenario says
  bool verbose = false;               // also print what each failed check found
  std::ostream* progress = nullptr;   // one line per step; nullptr: silent
  // Links retry faster than a real node's, so that runs are short: scenarios restart a server and
  // crash it again within tens of milliseconds.
  int reconnect_max_ms = 250;
  int reconnect_stable_ms = 10;
  int connect_timeout_ms = 500;
  std::uint16_t places_port = 0;  // the mock Places' port; 0: any free port
  std::string log_dir;            // the servers' own logs, in DIR/SCENARIO/NAME.log; "": none
  // On real sockets: a herd of server processes instead of Herd's nodes in this process.
  std::optional<ExternalHerd> external;
};

struct RunResult {
  Scenario scenario;  // as run: seed and mode after the options
  NetworkKind network = NetworkKind::real;
  bool passed = false;
  std::string setup_error;  // the herd could not start
  std::string skipped;      // why this herd cannot run the scenario at all (nothing was started)
  // The servers were processes seen only from outside (--herd-cmd): their own events are
  // unknown, and the metrics count what crossed the proxies.
  bool black_box = false;
  std::vector<StepOutcome> steps;
  Metrics metrics;
  std::vector<TimedEvent> events;  // times since the herd came up
  // Every line between servers, matched send to arrival by connection and place on it; times on
  // the events' clock.
  std::vector<TracedMessage> messages;
  std::vector<std::string> servers;
  double duration_s = 0;   // wall-clock time the run took
  double simulated_s = 0;  // on the virtual network: virtual time the run covered
};

[[nodiscard]] RunResult run_scenario(const Scenario& scenario, const SimOptions& options);

// The runners behind run_scenario, one per network.
[[nodiscard]] RunResult run_on_real_network(const Scenario& scenario, const SimOptions& options);
[[nodiscard]] RunResult run_with_processes(const Scenario& scenario, const SimOptions& options);
[[nodiscard]] RunResult run_on_virtual_network(const Scenario& scenario, const SimOptions& options);

}  // namespace herd
