#pragma once
// Shrinking a failing scenario to the steps that make it fail: delta debugging over its steps (a
// fault and its repair leave together; the check that fails and the last heal before it stay),
// then halving its numbers (clients, rates, durations, waits). A candidate counts as failing only
// with the same signature as the original: the same kind of step failing, the same servers
// lacking updates. Pure: running a candidate is the caller's.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "sim/scenario/step_context.hpp"

namespace herd {

// What a failed run failed at, so that a smaller run failing for another reason is not taken for
// it: "expect_converged: Bona lacks" or "send Clark"; empty when every step passed.
[[nodiscard]] std::string failure_signature(const std::vector<StepOutcome>& steps);

struct ShrinkProgress {
  std::size_t runs = 0;   // candidates run so far
  std::size_t steps = 0;  // steps in the smallest failing scenario so far
  std::string last;       // what the last candidate tried
};

// `failed_run` is what `failing` did when it failed. `signature_of` runs a candidate and returns
// failure_signature of its run (for a run that must fail several times, the signature all of
// them shared, or "" when they did not all fail alike). `report` is told after each candidate.
// Returns the smallest scenario found that still fails as `failing` did.
[[nodiscard]] Scenario shrink_scenario(
    const Scenario& failing, const std::vector<StepOutcome>& failed_run,
    const std::function<std::string(const Scenario&)>& signature_of,
    const std::function<void(const ShrinkProgress&)>& report = {});

}  // namespace herd
