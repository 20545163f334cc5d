#include "sim/report/trace.hpp"

#include <cstdio>

namespace herd {

void Trace::event(std::int64_t time_ns, std::string_view kind, std::string_view text) {
  if (!enabled()) return;
  char head[48];
  // Fixed-point from integers: the same text on every machine, where printing a double may not be.
  std::snprintf(head, sizeof head, "%lld.%06lld ", static_cast<long long>(time_ns / 1'000'000'000),
                static_cast<long long>((time_ns % 1'000'000'000) / 1000));
  std::string line = head;
  line += kind;
  if (!text.empty()) line.append(" ").append(text);
  if (out_) *out_ << line << '\n';
  if (listener_) listener_(line);
}

void mark_end_of_run(std::vector<TracedMessage>& messages, std::int64_t ended_ns) {
  for (auto& m : messages)
    if (!m.delivered_ns && !m.dropped.empty() && m.dropped_ns >= ended_ns) m.dropped = "end of run";
}

void Trace::node_event(std::int64_t time_ns, const NodeEvent& e) {
  if (!enabled()) return;
  std::string node(e.node), peer(e.peer), text(e.text);
  switch (e.kind) {
    case EventKind::update_stored:
      return event(time_ns, "stored", node + " " + text);
    case EventKind::update_dropped:
      return event(time_ns, "stale", node + " " + text);
    case EventKind::link_up:
      return event(time_ns, "link-up", node + ">" + peer);
    case EventKind::link_down:
      return event(time_ns, "link-down", node + ">" + peer + " " + text);
    case EventKind::update_not_sent:
      return event(time_ns, "not-sent", node + ">" + peer + " " + text);
    case EventKind::line_in:
    case EventKind::line_out:
      return;
  }
}

std::string Trace::id(const Direction& d, std::uint64_t connection, std::uint64_t line) {
  return d.from + ">" + d.to + "#" + std::to_string(connection) + "." + std::to_string(line);
}

Trace::Direction& Trace::direction(std::uint64_t connection, const std::string& from,
                                   const std::string& to) {
  auto& d = directions_[{connection, from}];
  if (d.from.empty()) {
    d.from = from;
    d.to = to;
  }
  return d;
}

void Trace::sent(std::int64_t time_ns, std::uint64_t connection, const std::string& from,
                 const std::string& to, std::string_view bytes) {
  if (!wanted()) return;
  auto& d = direction(connection, from, to);
  d.sent_partial.append(bytes);
  for (auto end = d.sent_partial.find('\n'); end != std::string::npos;
       end = d.sent_partial.find('\n')) {
    auto line = d.sent_partial.substr(0, end);
    auto message_id = id(d, connection, ++d.sent_lines);
    event(time_ns, "sent", message_id + " " + line);
    if (keep_messages_) {
      d.in_flight.push_back(messages_.size());
      messages_.push_back({message_id, d.from, d.to, std::move(line), time_ns, {}, {}, 0});
    }
    d.sent_partial.erase(0, end + 1);
  }
}

void Trace::delivered(std::int64_t time_ns, std::uint64_t connection, const std::string& from,
                      const std::string& to, std::string_view bytes) {
  if (!wanted()) return;
  auto& d = direction(connection, from, to);
  d.delivered_partial.append(bytes);
  for (auto end = d.delivered_partial.find('\n'); end != std::string::npos;
       end = d.delivered_partial.find('\n')) {
    event(time_ns, "delivered", id(d, connection, ++d.delivered_lines));
    if (!d.in_flight.empty()) {
      messages_[d.in_flight.front()].delivered_ns = time_ns;
      d.in_flight.pop_front();
    }
    d.delivered_partial.erase(0, end + 1);
  }
}

void Trace::lost(std::int64_t time_ns, std::uint64_t connection, std::string_view why) {
  if (!wanted()) return;
  for (auto it = directions_.lower_bound({connection, std::string()});
       it != directions_.end() && it->first.first == connection;) {
    auto& d = it->second;
    for (auto line = d.delivered_lines + 1; line <= d.sent_lines; ++line)
      event(time_ns, "dropped", id(d, connection, line) + " " + std::string(why));
    for (auto index : d.in_flight) {
      messages_[index].dropped = why;
      messages_[index].dropped_ns = time_ns;
    }
    it = directions_.erase(it);
  }
}

}  // namespace herd
