#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/lazy_sync_index.hpp"
#include "core/location_store.hpp"
#include "core/reconcile.hpp"
#include "sim/report/svg_text.hpp"
#include "tools/bench/bench_context.hpp"
#include "tools/bench/sections.hpp"

namespace herd::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace r = herd::reconcile;

// One server's records, in its store and its reconciliation index, as a node keeps them.
struct Server {
  LocationStore store;
  LazySyncIndex index;
  std::size_t line_bytes = 0;

  void offer(const std::string& line) {
    RecordView record;
    if (!record_from_at_line(line, record)) return;
    std::optional<LocationStore::Replaced> replaced;
    if (store.offer(record, &replaced)) index.changed(record.client(), replaced);
  }
};

std::string at_line(const char* server, std::uint64_t client, std::int64_t seconds, int nanos) {
  char line[160];
  std::snprintf(line, sizeof line, "AT %s +0.000123456 client-%llu +34.068930-118.445127 %lld.%09d",
                server, static_cast<unsigned long long>(client), static_cast<long long>(seconds),
                nanos);
  return line;
}

struct Outcome {
  std::size_t rounds = 0, bytes_out = 0, bytes_back = 0, records = 0, record_bytes = 0;
  bool gave_up = false;  // past the message budget: the rest of the store went whole
  double ms = 0;
};

// The link from `a` to `b`, as PeerLink runs it but in memory: messages each way within the
// budget, the records `b` lacks as the answers name them; past the budget, the rest of the store.
// `b` is left as it was (the records are counted, not applied), so one pair serves every d.
Outcome reconcile(Server& a, Server& b) {
  Outcome out;
  // Brought up to date first, as a link's first read does, and not timed: the rounds are.
  const auto& from = a.index.current(a.store);
  const auto& to = b.index.current(b.store);
  auto began = Clock::now();
  r::Initiator sync(from, r::message_budget(a.line_bytes));
  std::vector<std::string> send;
  std::unordered_set<std::string> sent;
  auto deliver = [&](std::string_view line) {
    ++out.records;
    out.record_bytes += line.size() + 1;
  };
  for (;;) {
    auto message = sync.next_message();
    if (!message) {
      out.gave_up = sync.gave_up();
      break;
    }
    out.bytes_out += message->size() + 1;
    auto reply = r::respond(to, *message);
    if (!reply) {
      out.gave_up = true;
      break;
    }
    out.bytes_back += reply->size() + 1;
    send.clear();
    if (!sync.on_reply(*reply, send)) {
      out.gave_up = true;
      break;
    }
    for (const auto& client : send)
      if (auto record = a.store.find(client)) {
        deliver(record->line);
        sent.insert(client);
      }
  }
  if (out.gave_up)
    a.store.for_each([&](const RecordView& record) {
      if (!sent.count(std::string(record.client()))) deliver(record.line);
    });
  out.rounds = sync.rounds();
  out.ms = std::chrono::duration<double, std::milli>(Clock::now() - began).count();
  return out;
}

}  // namespace

// Range-based reconciliation against the whole-store snapshot a link sends today, for stores of
// N records differing in d: round trips, bytes each way and the work, in memory (no network; the
// bytes are what a link would carry). The goals are the issue's: d = 1 in <= 3 round trips and
// <= 4 KB besides the record, d = 0 in one, never more than the snapshot's bytes plus 5%.
void bench_reconcile(BenchContext& bench) {
  std::vector<std::size_t> sizes = {10'000, 100'000};
  if (!bench.quick()) sizes.push_back(1'000'000);
  for (auto n : sizes) {
    bench.say("reconcile: two stores of " + std::to_string(n) + " records");
    Server a, b;
    const std::int64_t base = 1'796'500'000;
    for (std::uint64_t c = 0; c < n; ++c) {
      auto line = at_line("Bailey", c, base + static_cast<std::int64_t>(c / 1000),
                          static_cast<int>((c * 7919) % 1'000'000'000));
      a.offer(line);
      b.offer(line);
    }
    std::mt19937_64 random(n);
    std::size_t changed = 0;
    for (std::size_t d : {0, 1, 100, 10'000}) {
      if (d > n / 2) continue;
      // a learns d updates b missed (cut off while they happened); earlier ones stay applied.
      for (; changed < d; ++changed) {
        auto client = random() % n;
        a.offer(at_line("Clark", client, base + 100'000 + static_cast<std::int64_t>(changed), 1));
      }
      a.line_bytes = 0;
      a.store.for_each([&a](const RecordView& r) { a.line_bytes += r.line.size() + 1; });
      auto out = reconcile(a, b);
      auto snapshot_bytes = static_cast<double>(a.line_bytes);
      auto total = static_cast<double>(out.bytes_out + out.bytes_back + out.record_bytes);
      std::string name =
          "N=" + std::to_string(n) + " d=" + std::to_string(d) + ": " + std::to_string(out.rounds) +
          " round trips, " + std::to_string(out.bytes_out) + " B out + " +
          std::to_string(out.bytes_back) + " B back + " + std::to_string(out.records) + " records" +
          (out.gave_up ? " (past the budget: the rest whole)" : "") + ", " + fixed(out.ms, 1) +
          " ms";
      bench.add({"reconcile", name, "bytes", total, snapshot_bytes, "whole store",
                 d == 0   ? "1 round trip"
                 : d == 1 ? "<= 3 round trips, <= 4 KB + the record"
                          : "<= snapshot + 5%"});
      if (total > snapshot_bytes * 1.05)
        bench.fail("reconcile: " + name + " cost more than the snapshot plus 5%");
    }
  }
}

}  // namespace herd::bench
