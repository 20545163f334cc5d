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

std::uint32_t MetricsTally::index_of(std::string_view node, std::uint32_t herd_index) {
  if (herd_index < by_herd_index_.size() && by_herd_index_[herd_index] != 0) {
    auto known = by_herd_index_[herd_index] - 1;
    if (names_[known] == node) return known;
  }
  std::uint32_t index;
  if (auto it = servers_.find(node); it != servers_.end()) {
    index = it->second;
  } else {
    index = static_cast<std::uint32_t>(servers_.size());
    servers_.emplace(std::string(node), index);
    names_.emplace_back(node);
  }
  // A herd of more than a million servers is not one a simulator runs: past that, no hint.
  if (herd_index < (1u << 20)) {
    if (herd_index >= by_herd_index_.size()) by_herd_index_.resize(herd_index + 1, 0);
    by_herd_index_[herd_index] = index + 1;
  }
  return index;
}

bool MetricsTally::first_sight(TextInterner::Id line, std::uint32_t index) {
  if (index / 64 >= seen_words_) {
    auto words = std::max<std::size_t>(seen_words_ * 2, index / 64 + 1);
    std::vector<std::uint64_t> wider(spread_.size() * words, 0);
    for (std::size_t row = 0; row < spread_.size(); ++row)
      std::copy_n(seen_.begin() + static_cast<std::ptrdiff_t>(row * seen_words_), seen_words_,
                  wider.begin() + static_cast<std::ptrdiff_t>(row * words));
    seen_ = std::move(wider);
    seen_words_ = words;
  }
  auto& word = seen_[line * seen_words_ + index / 64];
  auto bit = std::uint64_t{1} << (index % 64);
  if ((word & bit) != 0) return false;
  word |= bit;
  return true;
}

void MetricsTally::add(EventKind kind, std::string_view node, std::string_view peer,
                       std::string_view text, std::int64_t time_ns, std::size_t queue_bytes,
                       std::uint32_t herd_index, TextInterner::Id line) {
  auto& m = counts_;
  switch (kind) {
    case EventKind::update_stored: {
      if (line == TextInterner::none) break;
      if (line >= spread_.size()) {
        spread_.resize(std::max<std::size_t>(line + 1, spread_.size() * 2));
        seen_.resize(spread_.size() * seen_words_, 0);
      }
      auto& s = spread_[line];
      if (!s.stored) {
        s.stored = true;
        s.first = time_ns;
      }
      // A restarted node storing the record again does not move "reached everyone".
      if (first_sight(line, index_of(node, herd_index))) {
        ++s.reached;
        s.last = time_ns;
      }
      // Stored at its origin: the AT line's second field names the server that made it.
      if (!s.at_origin) {
        auto after_at = text.substr(text.find(' ') + 1);
        s.at_origin = after_at.substr(0, after_at.find(' ')) == node;
      }
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
      if (!peer.empty() && text.starts_with("AT ")) {
        ++m.at_messages;
        m.at_bytes += text.size() + 1;
        m.peak_queue_bytes = std::max(m.peak_queue_bytes, queue_bytes);
      } else if (text.starts_with("HERD-SYNC")) {
        // Both ways: the link's questions (peer set) and the neighbour's answers (a reply).
        ++m.sync_messages;
        m.sync_bytes += text.size() + 1;
      }
      break;
    case EventKind::line_in:
    case EventKind::update_not_sent:
    case EventKind::update_refused:
      break;
  }
}

Metrics MetricsTally::result(std::size_t servers) const {
  Metrics m = counts_;
  std::vector<double> times;
  for (const auto& s : spread_) {
    if (!s.stored || !s.at_origin) continue;
    ++m.updates;
    if (s.reached < servers) continue;
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

Metrics compute_metrics(const std::vector<TimedEvent>& events, std::size_t servers) {
  MetricsTally tally;
  TextInterner lines;
  for (const auto& e : events)
    tally.add(e.kind, e.node, e.peer, e.text, e.time_ns, e.queue_bytes, no_herd_index,
              e.kind == EventKind::update_stored ? lines.intern(e.text) : TextInterner::none);
  return tally.result(servers);
}

}  // namespace herd
