#include "core/places_format.hpp"

#include <nlohmann/json.hpp>

namespace herd {
namespace {

using nlohmann::json;

void write_google_style(const json& value, int depth, std::string& out) {
  const std::string indent(3 * (depth + 1), ' ');
  const std::string closing(3 * depth, ' ');
  if (value.is_object() && !value.empty()) {
    out += "{\n";
    bool first = true;
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (!first) out += ",\n";
      first = false;
      out += indent;
      out += json(it.key()).dump(-1, ' ', false, json::error_handler_t::replace);
      out += " : ";
      write_google_style(it.value(), depth + 1, out);
    }
    out += "\n" + closing + "}";
  } else if (value.is_array() && !value.empty()) {
    out += "[\n";
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (i != 0) out += ",\n";
      out += indent;
      write_google_style(value[i], depth + 1, out);
    }
    out += "\n" + closing + "]";
  } else {
    out += value.dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

}  // namespace

std::string to_google_style(const json& value) {
  std::string out;
  write_google_style(value, 0, out);
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
  auto parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return places_error_body("Places answered with invalid JSON");
  if (!parsed.is_object())
    return places_error_body("Places answered with JSON that is not an object");
  if (auto results = parsed.find("results"); results != parsed.end() && results->is_array()) {
    if (results->size() > static_cast<std::size_t>(bound))
      results->erase(results->begin() + bound, results->end());
  }
  return collapse_newlines(to_google_style(parsed));
}

}  // namespace herd
