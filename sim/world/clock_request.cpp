#include "sim/world/clock_request.hpp"

#include <nlohmann/json.hpp>

#include "core/json_limits.hpp"

namespace herd {

Expected<ClockRequest> parse_clock_request(std::string_view body) {
  const std::string shape = R"(expected an object: {"paused": true}, {"speed": 0.5}, {"step": 1})"
                            R"( or {"deliver": {"from": SERVER, "to": SERVER}})";
  if (!check_json_nesting(body)) return fail(shape);
  auto request = nlohmann::json::parse(body, nullptr, false);
  if (!request.is_object()) return fail(shape);
  ClockRequest out;
  for (auto& [key, value] : request.items()) {
    if (key == "paused") {
      if (!value.is_boolean()) return fail("paused: expected true or false");
      out.paused = value.get<bool>();
    } else if (key == "speed") {
      if (!value.is_number() || !(value.get<double>() > 0) || value.get<double>() > 1000)
        return fail("speed: expected virtual seconds per second, above 0 and at most 1000");
      out.speed = value.get<double>();
    } else if (key == "step") {
      if (!value.is_number_integer() || value.get<std::int64_t>() < 1 ||
          value.get<std::int64_t>() > 1000)
        return fail("step: expected how many messages to deliver, 1 to 1000");
      out.step = static_cast<int>(value.get<std::int64_t>());
    } else if (key == "deliver") {
      if (!value.is_object() || !value.contains("from") || !value.contains("to") ||
          !value["from"].is_string() || !value["to"].is_string())
        return fail(R"(deliver: expected {"from": SERVER, "to": SERVER}, a held link)");
      out.deliver.emplace(value["from"].get<std::string>(), value["to"].get<std::string>());
    } else {
      return fail("unknown field \"" + key.substr(0, 40) + "\"; " + shape);
    }
  }
  return out;
}

}  // namespace herd
