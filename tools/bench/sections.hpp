#pragma once
// The sections of `herd bench`, a file each (section_NAME.cpp); bench.cpp runs them in order.
// Each adds its figures to the context, or says why it could not (BenchContext::fail).

namespace herd::bench {

class BenchContext;

void bench_iamat(BenchContext& bench);
void bench_idle(BenchContext& bench);
void bench_flood(BenchContext& bench);
void bench_memory(BenchContext& bench);
void bench_scale(BenchContext& bench);
void bench_whatsat(BenchContext& bench);
void bench_sim(BenchContext& bench);
void bench_sim_scale(BenchContext& bench);
void bench_live(BenchContext& bench);
void bench_campaign(BenchContext& bench);
void bench_reconcile(BenchContext& bench);

}  // namespace herd::bench
