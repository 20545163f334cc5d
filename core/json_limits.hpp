#pragma once
// Limits on JSON from outside (a config, a scenario, a posted step, a Places body) checked before
// it is parsed: nlohmann's parser and printer recurse, and a document nested 100,000 deep overflows
// the stack. Pure.

#include <cstddef>
#include <string_view>

#include "core/expected.hpp"

namespace herd {

inline constexpr std::size_t max_json_depth = 64;

// Fails ("nested more than 64 levels deep (at byte B)") when arrays and objects nest deeper than
// `max_depth`. Strings are skipped, escapes included.
[[nodiscard]] Expected<void> check_json_nesting(std::string_view text,
                                                std::size_t max_depth = max_json_depth);

}  // namespace herd
