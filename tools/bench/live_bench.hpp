#pragma once
// What watching costs the herd: `herd up` plain, `herd up --control` with nobody watching, with
// a reader following /api/events, and with the live page open in headless Chromium, each under
// the same closed-loop IAMAT load on Clark. Each server is a process of its own, as users run it.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace herd::bench {

struct LiveBenchSettings {
  std::chrono::milliseconds duration{2000};  // of each closed loop
  int rounds = 3;                            // the median round is reported
  int connections = 16;
  std::string dir;                              // logs and the browser's profile go here
  std::function<void(const std::string&)> say;  // progress
  std::string browser = "chromium";             // "" or absent from PATH: no page figure
};

struct WatchedLoad {
  double per_second = 0, p99_us = 0;
  double herd_cpu_us_per_update = 0;  // the herd process's user + system time, per request
  double lines_per_update = 0;        // event lines the reader received, per request (reader only)
};

struct LiveCost {
  WatchedLoad plain;                // herd up: no proxies, no live view
  WatchedLoad unwatched;            // herd up --control, nobody following the events
  WatchedLoad reader;               // a plain reader following /api/events as fast as it can
  std::optional<WatchedLoad> page;  // the page open in headless Chromium, on the same cores
  std::string no_page;              // why there is no page figure
  std::string error;                // empty when every part ran
};

[[nodiscard]] LiveCost measure_live_cost(const LiveBenchSettings& settings);

}  // namespace herd::bench
