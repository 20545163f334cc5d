#pragma once
// What one run of a scenario found: its steps' outcomes, its metrics, and what the report draws.
// Pure: reports read it without knowing how the run was made.

#include <cstddef>
#include <string>
#include <vector>

#include "sim/report/findings.hpp"
#include "sim/report/metrics.hpp"
#include "sim/report/trace.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/step_context.hpp"

namespace herd {

enum class NetworkKind {
  real,     // every node on loopback TCP, links through fault proxies, wall-clock time
  virtual_  // one thread, an in-memory network, a virtual clock: a seed replays bit for bit
};

struct RunResult {
  Scenario scenario;  // as run: seed and mode after the options
  NetworkKind network = NetworkKind::real;
  bool passed = false;
  // Not passed, yet no check failed: some could not read a server, and say why.
  bool inconclusive = false;
  std::string setup_error;  // the herd could not start
  std::string skipped;      // why this herd cannot run the scenario at all (nothing was started)
  // The servers were processes seen only from outside (--herd-cmd): their own events are
  // unknown, and the metrics count what crossed the proxies.
  bool black_box = false;
  std::vector<StepOutcome> steps;
  // How the herd's replies differ from SPEC.md, once per kind (findings.hpp).
  std::vector<Finding> findings;
  Metrics metrics;
  // The events the timeline draws (stores, links up and down, updates not sent), times since the
  // herd came up; at most a bound of them, the rest counted.
  std::vector<TimedEvent> events;
  std::size_t events_left_out = 0;
  // The first lines between servers (at most a bound), matched send to arrival by connection and
  // place on it; times on the events' clock. Every line sent is counted (where the run keeps its
  // timeline, or the servers are a black box: SimOptions::keep_timeline).
  std::vector<TracedMessage> messages;
  std::size_t messages_sent = 0, at_lines_sent = 0;
  std::vector<std::string> servers;
  double duration_s = 0;   // wall-clock time the run took
  double simulated_s = 0;  // on the virtual network: virtual time the run covered
};

}  // namespace herd
