#include <malloc.h>

#include <memory>
#include <string>
#include <vector>

#include "core/lazy_sync_index.hpp"
#include "core/location_store.hpp"
#include "core/protocol.hpp"
#include "core/reconcile_index.hpp"
#include "tools/bench/bench_context.hpp"
#include "tools/bench/sections.hpp"

namespace herd::bench {

void bench_memory(BenchContext& bench) {
  std::size_t clients = bench.quick() ? 100'000 : 1'000'000;
  bench.say("memory for " + std::to_string(clients) + " stored records");
  std::vector<std::string> lines;
  lines.reserve(clients);
  double payload = 0;
  for (std::size_t i = 0; i < clients; ++i) {
    lines.push_back("AT Clark +0.000123456 client-" + std::to_string(i) +
                    ".cs.ucla.edu +34.068930-118.445127 " +
                    format_timestamp(1'700'000'000'000'000'000 + static_cast<std::int64_t>(i)));
    payload += static_cast<double>(lines.back().size());
  }
  // Large blocks (the store's slot array) are mapped, not taken from the heap: count both.
  auto heap_in_use = [] {
    auto info = mallinfo2();
    return info.uordblks + info.hblkhd;
  };
  auto before = heap_in_use();
  {
    auto store = std::make_unique<LocationStore>();
    for (const auto& line : lines) {
      RecordView record;
      if (record_from_at_line(line, record)) (void)store->offer(record);
    }
    auto used = static_cast<double>(heap_in_use() - before);
    bench.add({"memory", "heap per stored record", "bytes", used / static_cast<double>(clients),
               payload / static_cast<double>(clients), "AT line bytes", "<= 200 bytes"});
    // An anti-entropy node also keeps every record in the reconciliation index: the cost of
    // finding the difference instead of sending the store.
    auto index = std::make_unique<reconcile::Index>();
    store->for_each([&index](const RecordView& r) { index->insert(sync_key(r), r.client()); });
    auto with_index = static_cast<double>(heap_in_use() - before);
    bench.add({"memory", "heap per stored record, with the reconciliation index", "bytes",
               with_index / static_cast<double>(clients), used / static_cast<double>(clients),
               "store alone", ""});
  }
}

}  // namespace herd::bench
