#pragma once
// Which shard a campaign command runs: --shard when given, else what the cluster engine's
// variables say (said on stdout, so a job's log shows where it came from), else the whole.

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include "sim/campaign/shard.hpp"
#include "tools/flag_table.hpp"

namespace herd::cli {

inline Shard resolve_shard(const std::optional<Shard>& given, const std::string& command) {
  if (given) return *given;
  auto found = shard_from_environment([](const char* name) { return std::getenv(name); });
  if (!found) throw UsageError{"cannot tell which shard this is: " + found.error()};
  if (!*found) return Shard{};
  std::cout << command << ": shard " << (*found)->shard.text() << ", from " << (*found)->source
            << std::endl;
  return (*found)->shard;
}

}  // namespace herd::cli
