#pragma once
// What each explore seed came to, one JSON line per seed, appended to a shard's log in its report
// folder: the only thing shards share, so that any cluster engine's way of collecting folders
// (a shared disk, artifacts, kubectl cp) is enough for `herd sim --merge`. Pure.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "sim/campaign/shard.hpp"

namespace herd {

// What every shard of one campaign agrees on: which seeds, and how each was run.
struct CampaignPlan {
  std::uint64_t first_seed = 1;
  std::uint64_t runs = 0;
  std::string how;  // "anti-entropy, virtual network, swarm"
  bool operator==(const CampaignPlan&) const = default;
  [[nodiscard]] std::uint64_t last_seed() const { return first_seed + runs - 1; }
};

enum class SeedOutcome { passed, failed, inconclusive, skipped };
[[nodiscard]] const char* to_string(SeedOutcome outcome);

struct SeedRecord {
  CampaignPlan campaign;
  Shard shard;
  std::uint64_t seed = 0;
  SeedOutcome outcome = SeedOutcome::passed;
  std::string signature;  // a failure's (shrink.hpp's failure_signature); else empty
  std::string message;    // the first failed (or unreadable) step, or why it was skipped
  std::string scenario;   // a failure's scenario file, when one was written
  std::size_t steps = 0;
  std::string shrunk;  // its shrunk reproduction, when shrinking wrote one
  std::size_t shrunk_steps = 0;
};

// One line, newline included.
[[nodiscard]] std::string seed_record_line(const SeedRecord& record);
// Errors say which field is wrong.
[[nodiscard]] Expected<SeedRecord> parse_seed_record(std::string_view line);

// The log's file name in a report folder, one per shard so that shards sharing a folder never
// write the same file: "explore-shard-2-of-4.jsonl".
[[nodiscard]] std::string campaign_log_name(const Shard& shard);
inline constexpr std::string_view campaign_log_prefix = "explore-";

}  // namespace herd
