#pragma once
// Shaping a Places Nearby Search body into the WHATSAT reply of SPEC.md. Pure: no I/O.

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace herd {

// Pretty-prints as Google's servers do: three-space indent and " : " between key and value.
[[nodiscard]] std::string to_google_style(const nlohmann::json& value);

// The JSON part of a WHATSAT reply: `body` with `results` cut to `bound`, runs of newlines
// collapsed and trailing newlines removed. A body that is not a JSON object becomes the error
// object of SPEC.md.
[[nodiscard]] std::string shape_places_body(std::string_view body, int bound);

// {"html_attributions": [], "results": [], "status": "UNKNOWN_ERROR", "error_message": ...}
[[nodiscard]] std::string places_error_body(std::string_view message);

// Collapses every run of two or more newlines to one and removes trailing newlines.
[[nodiscard]] std::string collapse_newlines(std::string_view text);

}  // namespace herd
