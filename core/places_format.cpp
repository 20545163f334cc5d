#include "core/places_format.hpp"

#include <nlohmann/json.hpp>

#include "core/json_limits.hpp"

namespace herd {

using nlohmann::json;

std::string to_google_style(const json& value) {
  // nlohmann's indented dump differs from Google's layout only in writing "key": rather than
  // "key" :, so one pass over its output fixes that; a hand-made printer was three times slower.
  std::string dumped = value.dump(3, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(dumped.size() + dumped.size() / 16);
  bool in_string = false;
  for (std::size_t i = 0; i < dumped.size(); ++i) {
    char c = dumped[i];
    if (in_string) {
      if (c == '\\') {
        out.push_back(c);
        c = dumped[++i];  // an escaped character never ends the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == ':') {
      out.push_back(' ');
    }
    out.push_back(c);
  }
  return out;
}

std::string collapse_newlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n' && !out.empty() && out.back() == '\n') continue;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string places_error_body(std::string_view message) {
  json error = json::object();
  error["html_attributions"] = json::array();
  error["results"] = json::array();
  error["status"] = "UNKNOWN_ERROR";
  error["error_message"] = std::string(message);
  return collapse_newlines(to_google_style(error));
}

std::string shape_places_body(std::string_view body, int bound) {
  // Results past the bound are parsed but never built: most of a 20-result body is dropped, and
  // building it was a tenth of a WHATSAT's cost.
  bool next_array_is_results = false, in_results = false;
  int results_seen = 0;
  auto keep = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth == 1 && event == json::parse_event_t::key) {
      next_array_is_results = parsed == "results";
    } else if (depth == 1 && event == json::parse_event_t::array_start) {
      in_results = next_array_is_results;
    } else if (depth == 1 && event == json::parse_event_t::array_end) {
      in_results = false;
    } else if (depth == 2 && in_results &&
               (event == json::parse_event_t::object_start ||
                event == json::parse_event_t::array_start || event == json::parse_event_t::value)) {
      return ++results_seen <= bound;
    }
    return true;
  };
  // Printing recurses: a body nested without end (a broken or hostile Places) must not crash us.
  if (!check_json_nesting(body))
    return places_error_body("Places answered with JSON nested too deep");
  auto parsed = json::parse(body, keep, false);
  if (parsed.is_discarded()) return places_error_body("Places answered with invalid JSON");
  if (!parsed.is_object())
    return places_error_body("Places answered with JSON that is not an object");
  return collapse_newlines(to_google_style(parsed));
}

}  // namespace herd
