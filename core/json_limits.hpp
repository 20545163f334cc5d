#pragma once
// Limits on JSON from outside (a config, a scenario, a posted step, a Places body) checked before
// it is parsed: nlohmann's parser and printer recurse, and a document nested 100,000 deep overflows
// the stack. Pure.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace herd {

inline constexpr std::size_t max_json_depth = 64;

// "nested N deep at byte B; at most 64 levels" when arrays and objects nest deeper than
// `max_depth`; nullopt otherwise. Strings are skipped, escapes included.
[[nodiscard]] std::optional<std::string> json_nesting_error(std::string_view text,
                                                            std::size_t max_depth = max_json_depth);

}  // namespace herd
