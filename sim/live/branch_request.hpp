#pragma once
// What the live view asks for when it acts at a past moment of a run on the virtual network
// (POST /api/branch's body): the moment, and the steps to take there. The run is deterministic,
// so the simulator replays it to that moment in a fresh world and takes the steps: a branch.
// The body comes from a web page: parsed without throwing, every field checked. Pure.

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "sim/scenario/scenario.hpp"

namespace herd {

struct BranchRequest {
  std::int64_t at_ns = 0;  // on the run's clock, at most its now
  std::vector<Step> steps;
};

// {"at_s": SECONDS, "steps": STEP or [STEP, ...]}, against `topology` and the run's clock now;
// or what is wrong with it ("at_s: ...", "steps[1].node: ...").
[[nodiscard]] Expected<BranchRequest> parse_branch_request(std::string_view body,
                                                           const Topology& topology,
                                                           std::int64_t now_ns);

}  // namespace herd
