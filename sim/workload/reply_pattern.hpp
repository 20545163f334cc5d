#pragma once
// Reply patterns of scenario steps ({"expect": {"pattern": ...}}), matched by RE2. A pattern may
// arrive from anyone who can post a step to the live view, and a reply from anyone's server, so
// the engine must never backtrack: RE2 matches in time linear in the reply, with bounded memory,
// and no pattern can overflow the stack or spin (libstdc++'s std::regex did both). Pure.

#include <string_view>

#include "core/expected.hpp"

namespace herd {

// Whether `pattern` is a usable reply pattern, or RE2's reason it is not. JavaScript's "[^]" (any
// character) is read as RE2's "[\s\S]".
[[nodiscard]] Expected<void> check_pattern(std::string_view pattern);

// Whether the whole of `reply` matches `pattern` (which check_pattern accepted).
[[nodiscard]] bool pattern_matches(std::string_view pattern, std::string_view reply);

}  // namespace herd
