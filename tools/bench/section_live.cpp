#include <unistd.h>

#include <filesystem>
#include <string>

#include "tools/bench/bench_context.hpp"
#include "tools/bench/live_bench.hpp"
#include "tools/bench/sections.hpp"

namespace herd::bench {

// What the live view costs the herd it watches: `herd up --control` under closed-loop IAMAT
// load on Clark with nobody watching, with a reader following the events, and with the page
// open in headless Chromium; and the proxies' price, against plain `herd up`.
void bench_live(BenchContext& bench) {
  LiveBenchSettings settings;
  settings.duration = bench.load_time();
  settings.rounds = bench.rounds();
  settings.dir =
      (std::filesystem::temp_directory_path() / ("herd-bench-live-" + std::to_string(::getpid())))
          .string();
  settings.say = [&bench](const std::string& text) { bench.say(text); };
  auto cost = measure_live_cost(settings);
  if (!cost.error.empty()) bench.fail("live: " + cost.error);
  const auto& u = cost.unwatched;
  bench.add({"live", "herd up --control IAMAT/s, nobody watching", "req/s", u.per_second,
             cost.plain.per_second, "herd up (no proxies)", ""});
  bench.add({"live", "herd up --control IAMAT/s, events read", "req/s", cost.reader.per_second,
             u.per_second, "nobody watching", ">= 0.90 of unwatched"});
  bench.add({"live", "herd CPU per update, events read", "us", cost.reader.herd_cpu_us_per_update,
             u.herd_cpu_us_per_update, "nobody watching", ""});
  bench.add(
      {"live", "event lines read per update", "lines", cost.reader.lines_per_update, 0, "", ""});
  bench.add(
      {"live", "herd p99, events read", "us", cost.reader.p99_us, u.p99_us, "nobody watching", ""});
  if (cost.page) {
    bench.add({"live", "herd up --control IAMAT/s, page open", "req/s", cost.page->per_second,
               u.per_second, "nobody watching",
               ">= 0.90 of unwatched (browser on the same cores)"});
    bench.add({"live", "herd CPU per update, page open", "us", cost.page->herd_cpu_us_per_update,
               u.herd_cpu_us_per_update, "nobody watching", ""});
  } else {
    bench.say("live: no page figure: " + cost.no_page);
  }
  std::error_code ignored;
  std::filesystem::remove_all(settings.dir, ignored);
}

}  // namespace herd::bench
