#pragma once
// One campaign's result from its shards' logs (campaign_log.hpp), wherever they ran: what ran,
// what passed and failed, which seeds no shard reported (a shard that died), and the failures
// grouped by what they failed at, each with its smallest reproduction. The same records give
// the same summary in any order, so a campaign split N ways merges to the unsplit one's.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.hpp"
#include "sim/campaign/campaign_log.hpp"

namespace herd {

struct FailureGroup {
  std::string signature;
  std::vector<std::uint64_t> seeds;  // ascending
  // The smallest reproduction: the shrunk file when one was written, else the scenario file
  // (empty when the run wrote none: its seed reproduces it), with its seed and step count.
  std::uint64_t smallest_seed = 0;
  std::string reproduction;
  std::size_t reproduction_steps = 0;
  std::string message;  // the smallest one's failing step
};

struct CampaignSummary {
  CampaignPlan campaign;
  std::vector<std::string> shards;  // as the logs name them ("0/4"), each once, sorted
  std::size_t logs = 0;             // files read
  std::uint64_t ran = 0, passed = 0, failed = 0, inconclusive = 0, skipped = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> missing;  // seed ranges, inclusive
  std::uint64_t missing_seeds = 0;
  std::vector<FailureGroup> failures;  // most seeds first
  std::vector<std::uint64_t> inconclusive_seeds;
  // What the reader should know but that changes no count: lines that could not be read (a
  // shard killed mid-line), a seed reported twice with different outcomes.
  std::vector<std::string> notes;
};

// Pure. A failure when there is nothing to merge or the records are of several campaigns.
[[nodiscard]] Expected<CampaignSummary> merge_seed_records(const std::vector<SeedRecord>& records,
                                                           std::vector<std::string> notes = {});

// Reads every explore-*.jsonl in each folder (or each .jsonl file named), then merges.
[[nodiscard]] Expected<CampaignSummary> merge_campaign_logs(const std::vector<std::string>& paths);

[[nodiscard]] std::string campaign_summary_text(const CampaignSummary& summary);
// With paths false, only what any split of the campaign agrees on (no file names, no shards):
// what a test compares between a sharded and an unsharded run.
[[nodiscard]] std::string campaign_summary_json(const CampaignSummary& summary, bool with_paths);
// 2 when seeds are missing (the campaign is not whole), else 1 when a seed failed, else 3 when
// some were inconclusive, else 0.
[[nodiscard]] int campaign_exit_status(const CampaignSummary& summary);

// The .jsonl files in `paths` whose names begin with `prefix` (folders are listed, files taken
// as they are), sorted; a failure names a path that is neither.
[[nodiscard]] Expected<std::vector<std::string>> jsonl_files(const std::vector<std::string>& paths,
                                                             std::string_view prefix);

// Every line of the .jsonl files in `paths` named with `prefix`, blank ones aside, as `visit(file,
// line number, text)`; a failure names a path or file that cannot be read.
using JsonlVisit =
    std::function<void(const std::string& file, std::size_t number, std::string_view line)>;
[[nodiscard]] Expected<std::size_t> visit_jsonl_lines(const std::vector<std::string>& paths,
                                                      std::string_view prefix,
                                                      const JsonlVisit& visit);

}  // namespace herd
