#pragma once
// Explore: random fault schedules (random_scenario.hpp), one seed after another, each checked for
// convergence. A failing run prints its steps and is written as a scenario file that replays it,
// then shrunk; everything it writes goes in its report folder and nowhere else.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "sim/campaign/shard.hpp"
#include "sim/run/run_scenario.hpp"

namespace herd {

struct ExploreSettings {
  std::uint64_t first_seed = 1;
  int runs = 10;
  bool classic = false;
  bool swarm = true;  // on the virtual network: each seed draws which fault kinds are on
  bool check_determinism = false;
  bool shrink_found = true;
  // Where a failing run's scenario (and its shrunk form) is written, and every seed's outcome as
  // a line of the shard's log (campaign_log.hpp); empty: nowhere, the seed alone is the
  // reproduction.
  std::string report_dir;
  // Which of the seeds this process runs: the k-th (from first_seed) when k mod count = index.
  Shard shard;
};

struct ExploreSummary {
  std::vector<std::uint64_t> failed;        // seeds
  std::vector<std::uint64_t> inconclusive;  // seeds whose checks could not read a server
  int skipped = 0;  // schedules this herd cannot run (a link fault with no proxy on the links)
  int runs = 0;     // this shard's
  std::string log_error;  // why the seeds' log could not be written (the runs went on)
  double wall_s = 0, simulated_s = 0;
};

// How a campaign is run, as its log and the summary name it: "anti-entropy, virtual network,
// swarm".
[[nodiscard]] std::string campaign_how(const ExploreSettings& settings, const SimOptions& sim);

// Runs this shard's schedules with `sim`'s network, printing progress every 2 s and each failure to
// `out`, and every trace to `trace` when given.
[[nodiscard]] ExploreSummary explore(const ExploreSettings& settings, const SimOptions& sim,
                                     std::ostream* trace, std::ostream& out);

// A path in `dir` named after `stem` that no file has yet: a reproduction is never overwritten.
[[nodiscard]] std::string fresh_path(const std::string& dir, const std::string& stem);

}  // namespace herd
