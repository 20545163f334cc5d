#include "tools/scenario_files.hpp"

#include <algorithm>
#include <filesystem>

#include "tools/flag_table.hpp"

namespace herd::cli {

std::string default_scenario_dir() {
  if (std::filesystem::is_directory("scenarios")) return "scenarios";
  return HERD_SOURCE_DIR "/scenarios";
}

std::vector<std::string> scenario_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  if (ec) throw UsageError{"cannot read the scenario directory " + dir + ": " + ec.message()};
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace herd::cli
