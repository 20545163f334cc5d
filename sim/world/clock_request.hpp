#pragma once
// What the live view asks of the virtual network's clock (POST /api/clock's body), read. The
// body comes from a web page, so it is parsed without throwing and every field is checked. Pure.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/expected.hpp"

namespace herd {

struct ClockRequest {
  std::optional<bool> paused;
  std::optional<double> speed;  // virtual seconds per wall second
  std::optional<int> step;      // deliver this many messages between servers, then pause
  std::optional<std::pair<std::string, std::string>> deliver;  // a held link's next line
};

// The request, or what is wrong with it ("speed: expected ...").
[[nodiscard]] Expected<ClockRequest> parse_clock_request(std::string_view body);

}  // namespace herd
