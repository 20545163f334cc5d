#include "sim/report/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "core/location_store.hpp"

namespace herd {

double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

Metrics compute_metrics(const std::vector<TimedEvent>& events, std::size_t servers) {
  Metrics m;
  struct Spread {
    std::int64_t first = 0, last = 0;
    std::set<std::string> nodes;
    bool at_origin = false;
  };
  std::unordered_map<std::string, Spread> spread;
  for (const auto& e : events) {
    switch (e.kind) {
      case EventKind::update_stored: {
        auto [it, fresh] = spread.try_emplace(e.text);
        auto& s = it->second;
        if (fresh) s.first = e.time_ns;
        // A restarted node storing the record again does not move "reached everyone".
        if (s.nodes.insert(e.node).second) s.last = e.time_ns;
        Record record;
        if (record_from_at_line(e.text, record) && record.server() == e.node) s.at_origin = true;
        break;
      }
      case EventKind::update_dropped:
        ++m.stale_dropped;
        break;
      case EventKind::link_up:
        ++m.link_ups;
        break;
      case EventKind::link_down:
        ++m.link_downs;
        break;
      case EventKind::line_out:
        if (!e.peer.empty() && e.text.starts_with("AT ")) {
          ++m.at_messages;
          m.peak_queue_bytes = std::max(m.peak_queue_bytes, e.queue_bytes);
        }
        break;
      case EventKind::line_in:
      case EventKind::update_not_sent:
      case EventKind::update_refused:
        break;
    }
  }
  std::vector<double> times;
  for (const auto& [line, s] : spread) {
    if (!s.at_origin) continue;
    ++m.updates;
    if (s.nodes.size() < servers) continue;
    ++m.fully_spread;
    times.push_back(static_cast<double>(s.last - s.first) / 1e6);
  }
  std::sort(times.begin(), times.end());
  m.converge_p50_ms = quantile(times, 0.50);
  m.converge_p99_ms = quantile(times, 0.99);
  m.converge_max_ms = times.empty() ? 0 : times.back();
  m.messages_per_update =
      m.updates == 0 ? 0 : static_cast<double>(m.at_messages) / static_cast<double>(m.updates);
  return m;
}

}  // namespace herd
