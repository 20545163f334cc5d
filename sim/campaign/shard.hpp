#pragma once
// Which part of a campaign this process runs: shard I of N takes the seeds (or submissions) at
// offsets k with k mod N = I. Cluster engines start the shards and say which one each is, each
// in its own variables; this reads them so a job script can run `herd sim --explore` unchanged
// in every task. Pure: the environment comes in as a function.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace herd {

struct Shard {
  int index = 0;  // 0 .. count-1
  int count = 1;

  // Whether the item at `offset` (from the campaign's first) is this shard's.
  [[nodiscard]] bool owns(std::uint64_t offset) const {
    return offset % static_cast<std::uint64_t>(count) == static_cast<std::uint64_t>(index);
  }
  [[nodiscard]] std::string text() const {
    return std::to_string(index) + "/" + std::to_string(count);
  }
};

// More shards than this is a typo, not a cluster.
inline constexpr int max_shards = 100'000;

// "I/N" with 0 <= I < N; errors say what was wrong with the text.
[[nodiscard]] Expected<Shard> parse_shard(std::string_view text);

// A shard the environment names, and where it was read ("SLURM_ARRAY_TASK_ID=2, ...").
struct ShardFromEnvironment {
  Shard shard;
  std::string source;
};

using GetEnvironment = std::function<const char*(const char* name)>;

// In this order: HERD_SHARD (I/N); a Slurm job array (SLURM_ARRAY_TASK_ID, _MIN, _COUNT,
// _STEP); a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with HERD_SHARDS for the count, which
// Kubernetes does not export). nullopt when none is set; a failure when one is set but cannot
// name a shard (an array of listed ids, an index past the count).
[[nodiscard]] Expected<std::optional<ShardFromEnvironment>> shard_from_environment(
    const GetEnvironment& get);

}  // namespace herd
