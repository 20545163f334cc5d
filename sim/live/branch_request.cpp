#include "sim/live/branch_request.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "core/json_limits.hpp"

namespace herd {

Expected<BranchRequest> parse_branch_request(std::string_view body, const Topology& topology,
                                             std::int64_t now_ns) {
  const std::string shape = R"(expected {"at_s": SECONDS, "steps": STEP or [STEP, ...]})";
  if (!check_json_nesting(body)) return fail(shape);
  auto request = nlohmann::json::parse(body, nullptr, false);
  if (!request.is_object() || request.size() != 2 || !request.contains("at_s") ||
      !request.contains("steps"))
    return fail(shape);
  const auto& at = request["at_s"];
  const double now_s = static_cast<double>(now_ns) / 1e9;
  if (!at.is_number() || !std::isfinite(at.get<double>()) || at.get<double>() < 0 ||
      at.get<double>() > now_s + 1e-9)
    return fail("at_s: expected a moment of the run, 0 to " + std::to_string(now_s) +
                " seconds (its clock now)");
  BranchRequest out;
  // Rounded to the nanosecond and kept within the run: the page's slider works in seconds.
  out.at_ns = std::min(now_ns, static_cast<std::int64_t>(std::llround(at.get<double>() * 1e9)));
  auto steps = parse_steps(request["steps"].dump(), topology);
  if (!steps) return fail(steps.error());
  if (steps->empty()) return fail("steps: expected at least one step to take at that moment");
  out.steps = std::move(*steps);
  return out;
}

}  // namespace herd
