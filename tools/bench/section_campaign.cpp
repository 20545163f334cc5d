#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/text_file.hpp"
#include "sim/campaign/campaign_merge.hpp"
#include "tools/bench/bench_context.hpp"
#include "tools/bench/child_process.hpp"
#include "tools/bench/sections.hpp"

namespace herd::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point began) {
  return std::chrono::duration<double>(Clock::now() - began).count();
}

// One explore campaign of `runs` seeds split into `shards` processes running at once, as a
// cluster array's tasks would on one machine: its wall time in seconds, or a negative value once
// the bench has failed saying why.
double campaign_seconds(BenchContext& bench, int runs, int shards,
                        const std::filesystem::path& dir) {
  std::vector<ChildProcess> children;
  auto began = Clock::now();
  for (int i = 0; i < shards; ++i) {
    auto folder = dir / ("shards-" + std::to_string(shards) + "-" + std::to_string(i));
    children.emplace_back(
        std::vector<std::string>{"sim", "--explore", "--runs", std::to_string(runs), "--seed", "1",
                                 "--shard", std::to_string(i) + "/" + std::to_string(shards),
                                 "--no-shrink", "--report-dir", folder.string()},
        (dir / ("explore-" + std::to_string(shards) + "-" + std::to_string(i) + ".out")).string());
  }
  for (auto& child : children) {
    // An explore that finds a failure exits 1; only a usage error or a crash is the bench's.
    auto ended = child.wait(600'000);
    if (ended.status != 0 && ended.status != 1) {
      bench.fail("campaign: herd sim --explore exited with " + std::to_string(ended.status) +
                 " (see " + dir.string() + ")");
      return -1;
    }
  }
  return seconds_since(began);
}

}  // namespace

// Campaigns split into shards: seeds per minute with one shard and with two running at once on
// this machine (what an array of N tasks gains where there are cores for them), and how long
// `herd sim --merge` takes over a campaign of 100,000 seeds.
void bench_campaign(BenchContext& bench) {
  auto dir = std::filesystem::temp_directory_path() /
             ("herd-bench-campaign-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const int runs = bench.quick() ? 400 : 4000;
  bench.say("campaign: " + std::to_string(runs) +
            " explore seeds on the virtual network, in 1 shard, then in 2 at once");
  double one = campaign_seconds(bench, runs, 1, dir);
  double two = one > 0 ? campaign_seconds(bench, runs, 2, dir) : -1;
  if (one > 0 && two > 0) {
    bench.add({"campaign", "explore, 1 shard", "seeds/min", runs / one * 60, 0, "", ""});
    bench.add({"campaign", "explore, 2 shards at once", "seeds/min", runs / two * 60,
               runs / one * 60, "1 shard",
               "about 2x on 2 free cores (an array's shards share nothing)"});
  }

  // The merge: 100,000 seed lines in 4 shards' logs, 1 in 50 failing under one of 20
  // signatures. Baseline: reading the same files without parsing them.
  const std::uint64_t seeds = 100'000;
  bench.say("campaign: merging the logs of 100,000 seeds");
  auto logs = dir / "merge";
  std::filesystem::create_directories(logs);
  {
    std::vector<std::ofstream> files;
    for (int i = 0; i < 4; ++i) files.emplace_back(logs / campaign_log_name({i, 4}));
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
      SeedRecord r;
      r.campaign = {1, seeds, "anti-entropy, virtual network, swarm"};
      r.seed = seed;
      r.shard = {static_cast<int>((seed - 1) % 4), 4};
      if (seed % 50 == 0) {
        r.outcome = SeedOutcome::failed;
        r.signature = "expect_converged: server-" + std::to_string(seed % 20) + " lacks";
        r.message = "steps[12] expect converged within 4000 ms: not converged: 3 missing";
        r.scenario = "campaign/explore-" + std::to_string(seed) + ".json";
        r.steps = 40;
        r.shrunk = "campaign/explore-" + std::to_string(seed) + ".shrunk.json";
        r.shrunk_steps = 3 + seed % 7;
      }
      files[r.shard.index] << seed_record_line(r);
    }
  }
  auto began = Clock::now();
  std::size_t bytes = 0;
  for (int i = 0; i < 4; ++i) {
    auto text = read_bounded_file((logs / campaign_log_name({i, 4})).string(), 1 << 30);
    bytes += text ? text->size() : 0;
  }
  double reading = seconds_since(began);
  began = Clock::now();
  auto merged = merge_campaign_logs({logs.string()});
  double merging = seconds_since(began);
  if (!merged || merged->ran != seeds || merged->failed != seeds / 50) {
    bench.fail("campaign: the merge of 100,000 seeds " +
               (merged ? "counted " + std::to_string(merged->ran) + " seeds, " +
                             std::to_string(merged->failed) + " failed"
                       : merged.error()));
  } else {
    bench.add({"campaign", "merge of 100,000 seed lines (" + std::to_string(bytes >> 20) + " MB)",
               "ms", merging * 1000, reading * 1000, "reading the files alone",
               "seconds, not minutes"});
  }
  std::error_code ignored;
  if (!bench.failed()) std::filesystem::remove_all(dir, ignored);
}

}  // namespace herd::bench
