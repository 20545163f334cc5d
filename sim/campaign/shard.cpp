#include "sim/campaign/shard.hpp"

#include <charconv>

namespace herd {
namespace {

std::optional<long long> whole_number(std::string_view text) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

Expected<Shard> parse_shard(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos)
    return fail("expected I/N (shard I of N, counting from 0), got \"" + std::string(text) + "\"");
  auto index = whole_number(text.substr(0, slash));
  auto count = whole_number(text.substr(slash + 1));
  if (!index || !count)
    return fail("expected I/N with whole numbers, got \"" + std::string(text) + "\"");
  if (*count < 1 || *count > max_shards)
    return fail("the shard count N must be from 1 to " + std::to_string(max_shards) + ", got " +
                std::to_string(*count));
  if (*index < 0 || *index >= *count)
    return fail("the shard index I counts from 0 and must be below N=" + std::to_string(*count) +
                ", got " + std::to_string(*index));
  return Shard{static_cast<int>(*index), static_cast<int>(*count)};
}

Expected<std::optional<ShardFromEnvironment>> shard_from_environment(const GetEnvironment& get) {
  auto value = [&](const char* name) -> std::optional<std::string> {
    const char* v = get(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
  if (auto herd = value("HERD_SHARD")) {
    auto shard = parse_shard(*herd);
    if (!shard) return fail("HERD_SHARD: " + shard.error());
    return std::optional<ShardFromEnvironment>({*shard, "HERD_SHARD=" + *herd});
  }
  if (auto task = value("SLURM_ARRAY_TASK_ID")) {
    auto count = value("SLURM_ARRAY_TASK_COUNT");
    auto min = value("SLURM_ARRAY_TASK_MIN");
    auto step = value("SLURM_ARRAY_TASK_STEP").value_or("1");
    auto id_n = whole_number(*task);
    auto count_n = whole_number(count.value_or(""));
    auto min_n = whole_number(min.value_or(""));
    auto step_n = whole_number(step);
    std::string source =
        "SLURM_ARRAY_TASK_ID=" + *task + ", SLURM_ARRAY_TASK_MIN=" + min.value_or("(unset)") +
        ", SLURM_ARRAY_TASK_COUNT=" + count.value_or("(unset)") + ", SLURM_ARRAY_TASK_STEP=" + step;
    if (!id_n || !count_n || !min_n || !step_n || *step_n < 1)
      return fail("a Slurm array task, but its variables name no shard (" + source +
                  "): give --shard I/N");
    const long long id_v = *id_n, count_v = *count_n, min_v = *min_n, step_v = *step_n;
    const long long offset = id_v - min_v;
    if (offset < 0 || offset % step_v != 0 || offset / step_v >= count_v)
      return fail("a Slurm array that is not one range like --array=0-3 or 1-8:2 (" + source +
                  "): give --shard I/N");
    auto shard = parse_shard(std::to_string(offset / step_v) + "/" + std::to_string(count_v));
    if (!shard) return fail("Slurm array (" + source + "): " + shard.error());
    return std::optional<ShardFromEnvironment>({*shard, source});
  }
  if (auto index = value("JOB_COMPLETION_INDEX")) {
    auto count = value("HERD_SHARDS");
    if (!count)
      return fail("JOB_COMPLETION_INDEX=" + *index +
                  " (a Kubernetes Indexed Job) but no HERD_SHARDS: set it to the Job's "
                  "completions, or give --shard I/N");
    auto shard = parse_shard(*index + "/" + *count);
    if (!shard) return fail("JOB_COMPLETION_INDEX and HERD_SHARDS: " + shard.error());
    return std::optional<ShardFromEnvironment>(
        {*shard, "JOB_COMPLETION_INDEX=" + *index + ", HERD_SHARDS=" + *count});
  }
  return std::optional<ShardFromEnvironment>();
}

}  // namespace herd
