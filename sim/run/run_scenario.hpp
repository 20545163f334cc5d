#pragma once
// One run of a scenario, composed: a fresh world of the chosen network (sim/world/), the runner
// over it (sim/runner/), and with a live view, the page's API between and after the steps
// (sim/live/). Everything above (explore, shrinking, the CLI) runs scenarios through this.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "core/node.hpp"
#include "sim/report/run_result.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/world/world.hpp"

namespace herd {

class LiveSession;

struct SimOptions {
  NetworkKind network = NetworkKind::real;
  std::ostream* trace = nullptr;  // one line per event (trace.hpp); nullptr: none
  // Also told of every trace line as it is written (the live view's events).
  std::function<void(std::string_view line)> trace_listener;
  // Whether trace_listener wants lines right now (none given: always); while it does not, the
  // world formats none.
  std::function<bool()> trace_listening;
  // The live view: once the scenario's steps have run, the herd stays up and serves the
  // session's jobs (its state, posted steps) until the session is stopped. nullptr: none.
  LiveSession* live_view = nullptr;
  // With live_view: the scenario's steps wait for the page to let them go (--paused).
  bool live_paused = false;
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
  // The report's timeline draws at most this many messages; about as many are kept.
  std::size_t timeline_max = 4000;
  // Whether the run keeps what only its report shows: the first messages and events, for the
  // timeline, and the count of lines between servers (RunResult::messages_sent). Where no report
  // is written (explore, shrinking, --report-dir "") they were most of a busy run's bookkeeping;
  // the verdict, metrics and trace are the same either way.
  bool keep_timeline = true;
};

// Runs `scenario` (its seed and mode as the options say) in a fresh world: on the virtual
// network, with Herd's nodes on loopback TCP, or with server processes (options.external).
[[nodiscard]] RunResult run_scenario(const Scenario& scenario, const SimOptions& options);

}  // namespace herd
