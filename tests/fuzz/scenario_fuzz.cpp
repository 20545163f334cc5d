// Any bytes as a scenario file: an error message or a scenario that prints and parses back.
#include <cstdint>
#include <string_view>

#include "sim/scenario/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = herd::parse_scenario(text, "fuzz.json");
  if (!parsed) {
    if (parsed.error().empty()) __builtin_trap();
    return 0;
  }
  auto json = herd::scenario_to_json(*parsed);
  auto again = herd::parse_scenario(json, "again.json");
  if (!again) __builtin_trap();
  if (herd::scenario_to_json(*again) != json) __builtin_trap();
  for (const auto& step : parsed->steps) (void)herd::describe(step);
  return 0;
}
