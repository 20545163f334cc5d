// Any bytes as what the live view's control API is sent: a step body, a clock body, a branch
// body, and request headers. Each must end in a verdict or an error message that is valid JSON,
// never a crash.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/topology.hpp"
#include "sim/live/branch_request.hpp"
#include "sim/live/request_guard.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/world/clock_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const auto topology = herd::default_topology(0);
  auto steps = herd::parse_steps(text, topology);
  if (!steps) {
    if (steps.error().empty()) __builtin_trap();
    // The message goes back to the page as JSON, whatever bytes it quotes.
    auto body = nlohmann::json::parse(herd::error_json(steps.error()), nullptr, false);
    if (!body.is_object()) __builtin_trap();
  } else {
    for (const auto& step : *steps) (void)herd::describe(step);
  }
  auto clock = herd::parse_clock_request(text);
  if (!clock && clock.error().empty()) __builtin_trap();
  // A branch is never to a moment after the run's now, and never of no steps.
  constexpr std::int64_t now_ns = 1'500'000'000;
  auto branch = herd::parse_branch_request(text, topology, now_ns);
  if (!branch && branch.error().empty()) __builtin_trap();
  if (branch && (branch->at_ns < 0 || branch->at_ns > now_ns || branch->steps.empty()))
    __builtin_trap();
  // The same bytes cut into headers: the guard must judge them, and pass no foreign origin.
  herd::RequestFacts facts;
  std::string fields[5];
  for (std::size_t i = 0, f = 0; i < text.size() && f < 5; ++i) {
    if (text[i] == '\n')
      ++f;
    else
      fields[f].push_back(text[i]);
  }
  facts.method = fields[0].size() % 2 ? "POST" : "GET";
  facts.path = "/api/steps";
  facts.host = fields[1];
  facts.has_origin = !fields[2].empty();
  facts.origin = fields[2];
  facts.content_type = fields[3];
  facts.token_param = fields[4];
  herd::RequestGuard guard("127.0.0.1", 8080, "0123456789abcdef0123456789abcdef");
  auto verdict = guard.judge(facts);
  if (verdict.status == 0 && !guard.host_allowed(facts.host)) __builtin_trap();
  std::string_view origin = facts.origin;
  if (verdict.status == 0 && facts.has_origin &&
      !(origin.starts_with("http://") && guard.host_allowed(origin.substr(7))))
    __builtin_trap();
  return 0;
}
