#pragma once
// POST /api/clock's body, read: what a page asks of the virtual network's clock. The body comes
// from anyone who holds the token (any web page, without the guard), so it is parsed without
// throwing and every field is checked. Pure.

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace herd {

struct ClockRequest {
  std::optional<bool> paused;
  std::optional<double> speed;  // virtual seconds per wall second
  std::optional<int> step;      // deliver this many messages between servers, then pause
  std::optional<std::pair<std::string, std::string>> deliver;  // a held link's next line
};

// The request, or what is wrong with it ("speed: expected ...").
[[nodiscard]] std::variant<ClockRequest, std::string> parse_clock_request(std::string_view body);

}  // namespace herd
