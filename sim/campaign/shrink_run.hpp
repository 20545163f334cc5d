#pragma once
// `herd sim --shrink FILE`, and explore's shrinking of what it finds: runs candidates of a
// failing scenario (sim/scenario/shrink.hpp decides which) and writes the smallest beside it.

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>

#include "sim/run/run_scenario.hpp"

namespace herd {

// Shrinks `failing`, whose run `failed` failed, and writes the result to `out_path`. On the
// virtual network one run decides a candidate; otherwise it must fail 3 runs of 3 alike. Prints
// progress and "22 -> 4 steps in 63 runs, 31 s" to `out`. Returns the shrunk scenario's step
// count, or nullopt if the file cannot be written.
std::optional<std::size_t> shrink_and_write(const Scenario& failing, const RunResult& failed,
                                            const SimOptions& options, const std::string& out_path,
                                            std::ostream& out);

// FILE.json -> FILE.shrunk.json
[[nodiscard]] std::string shrunk_path(const std::string& path);

}  // namespace herd
