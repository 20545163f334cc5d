#pragma once
// The shipped scenarios, for the commands that run them when given none (herd sim, herd grade).

#include <string>
#include <vector>

namespace herd::cli {

// ./scenarios if there is one, else the source tree's.
[[nodiscard]] std::string default_scenario_dir();
// The .json files in `dir`, sorted; a usage error when it cannot be read.
[[nodiscard]] std::vector<std::string> scenario_files(const std::string& dir);

}  // namespace herd::cli
