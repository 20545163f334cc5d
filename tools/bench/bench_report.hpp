#pragma once
// What `herd bench` prints once every section has run: the figures as a table (each beside its
// baseline, with the ratio and the target) or as JSON, and the latency curve as an SVG.

namespace herd::bench {

class BenchContext;

// Prints to the options' `out`; writes the SVG to `svg_path` when set and the iamat section ran.
void report(const BenchContext& bench);

}  // namespace herd::bench
