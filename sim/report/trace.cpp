#include "sim/report/trace.hpp"

#include <algorithm>
#include <charconv>

namespace herd {

void Trace::event(std::int64_t time_ns, std::string_view kind, std::string_view text) {
  write_line(time_ns, kind, {text});
}

void Trace::write_line(std::int64_t time_ns, std::string_view kind,
                       std::initializer_list<std::string_view> parts) {
  if (!enabled()) return;
  format_line(time_ns, kind, parts);
  if (out_) out_->write(line_.data(), static_cast<std::streamsize>(line_.size())).put('\n');
  if (listener_) listener_(line_);
}

void append_trace_seconds(std::string& out, std::int64_t time_ns) {
  char digits[24];
  auto seconds = std::to_chars(digits, digits + sizeof digits, time_ns / 1'000'000'000).ptr;
  out.append(digits, seconds).push_back('.');
  auto micros = (time_ns % 1'000'000'000) / 1000;
  char fraction[6];
  for (int i = 5; i >= 0; --i, micros /= 10) fraction[i] = static_cast<char>('0' + micros % 10);
  out.append(fraction, sizeof fraction);
}

void Trace::format_line(std::int64_t time_ns, std::string_view kind,
                        std::initializer_list<std::string_view> parts) {
  // Built in one buffer kept from line to line: a busy herd's trace costs no allocation a line.
  // Fixed-point from integers: the same text on every machine, where printing a double may not be.
  line_.clear();
  append_trace_seconds(line_, time_ns);
  line_.push_back(' ');
  line_ += kind;
  bool first = true;
  for (auto part : parts) {
    if (part.empty() && first) continue;
    if (first) line_.push_back(' ');
    first = false;
    line_ += part;
  }
}

void mark_end_of_run(std::vector<TracedMessage>& messages, std::int64_t ended_ns) {
  for (auto& m : messages)
    if (!m.delivered_ns && !m.dropped.empty() && m.dropped_ns >= ended_ns) m.dropped = "end of run";
}

void Trace::node_event(std::int64_t time_ns, const NodeEvent& e) {
  if (!enabled()) return;
  switch (e.kind) {
    case EventKind::update_stored:
      return write_line(time_ns, "stored", {e.node, " ", e.text});
    case EventKind::update_dropped:
      return write_line(time_ns, "stale", {e.node, " ", e.text});
    case EventKind::update_refused:
      return write_line(time_ns, "refused", {e.node, " ", e.text});
    case EventKind::link_up:
      return write_line(time_ns, "link-up", {e.node, ">", e.peer});
    case EventKind::link_down:
      return write_line(time_ns, "link-down", {e.node, ">", e.peer, " ", e.text});
    case EventKind::update_not_sent:
      return write_line(time_ns, "not-sent", {e.node, ">", e.peer, " ", e.text});
    case EventKind::line_in:
    case EventKind::line_out:
      return;
  }
}

const std::string& Trace::id(const Direction& d, std::uint64_t connection, std::uint64_t line) {
  id_.assign(d.from).append(">").append(d.to).append("#");
  char digits[24];
  id_.append(digits, std::to_chars(digits, digits + sizeof digits, connection).ptr).append(".");
  id_.append(digits, std::to_chars(digits, digits + sizeof digits, line).ptr);
  return id_;
}

Trace::Direction& Trace::direction(std::uint64_t connection, bool forward, const std::string& from,
                                   const std::string& to) {
  const auto key = connection * 2 + (forward ? 0 : 1);
  if (key >= directions_.size()) directions_.resize(key + 1);
  auto& d = directions_[key];
  if (!d) {
    d = std::make_unique<Direction>();
    d->from = from;
    d->to = to;
  }
  return *d;
}

void Trace::sent(std::int64_t time_ns, std::uint64_t connection, bool forward,
                 const std::string& from, const std::string& to, std::string_view bytes) {
  if (!listener_ && !wanted()) return;
  auto& d = direction(connection, forward, from, to);
  if (!wanted()) {
    // Nobody reads the text now; counting keeps the ids and totals right for when someone does.
    d.sent_split.feed(bytes, [&](std::string_view line) { count_sent(d, line); });
    return;
  }
  const bool text = enabled();
  d.sent_split.feed(bytes, [&](std::string_view line) {
    count_sent(d, line);
    if (keep_messages_) {
      ++messages_sent_;
      if (line.starts_with("AT ")) ++at_lines_sent_;
    }
    // Past the limit a line is only counted: its id is made only for a line someone reads.
    bool kept = keep_messages_ && messages_.size() < message_limit_;
    if (!text && !kept) return;
    const auto& message_id = id(d, connection, d.sent_lines);
    write_line(time_ns, "sent", {message_id, " ", line});
    if (kept) {
      d.in_flight.emplace_back(d.sent_lines, messages_.size());
      messages_.push_back({message_id, d.from, d.to, std::string(line), time_ns, {}, {}, 0});
    }
  });
}

void Trace::count_sent(Direction& d, std::string_view line) {
  ++d.sent_lines;
  if (line.starts_with("AT ")) {
    ++d.at_sent;
    ++at_totals_.sent;
  }
}

void Trace::scheduled(std::int64_t time_ns, std::uint64_t connection, bool forward,
                      std::int64_t due_ns, std::string_view bytes) {
  if (!listener_) return;
  auto* known = known_direction(connection * 2 + (forward ? 0 : 1));
  if (known == nullptr) return;  // sent() names a direction before its bytes go
  auto& d = *known;
  std::uint64_t lines = 0;
  for (auto c : bytes) lines += c == '\n';
  if (lines == 0) return;
  d.scheduled_lines += lines;
  if (listening_ && !listening_()) return;
  const auto& message_id = id(d, connection, d.scheduled_lines);
  std::string due;
  append_trace_seconds(due, due_ns);
  format_line(time_ns, "due", {message_id, " ", due});
  listener_(line_);
}

void Trace::delivered(std::int64_t time_ns, std::uint64_t connection, bool forward,
                      const std::string& from, const std::string& to, std::string_view bytes) {
  if (!listener_ && !wanted()) return;
  auto& d = direction(connection, forward, from, to);
  const bool text = enabled();
  d.delivered_split.feed(bytes, [&](std::string_view line) {
    ++d.delivered_lines;
    if (line.starts_with("AT ")) {
      ++d.at_delivered;
      ++at_totals_.delivered;
    }
    if (text) write_line(time_ns, "delivered", {id(d, connection, d.delivered_lines)});
    // The oldest lines may be the report's messages, kept before the live view began.
    if (!d.in_flight.empty() && d.in_flight.front().first == d.delivered_lines) {
      messages_[d.in_flight.front().second].delivered_ns = time_ns;
      d.in_flight.pop_front();
    }
  });
}

void Trace::lost(std::int64_t time_ns, std::uint64_t connection, std::string_view why) {
  if (!listener_ && !wanted()) return;
  // Both directions, in the order of their senders' names: the same in every run.
  std::vector<std::uint64_t> both;
  for (auto key : {connection * 2, connection * 2 + 1})
    if (known_direction(key) != nullptr) both.push_back(key);
  std::sort(both.begin(), both.end(),
            [this](auto a, auto b) { return directions_[a]->from < directions_[b]->from; });
  for (auto key : both) {
    auto& d = *directions_[key];
    at_totals_.dropped += d.at_sent - d.at_delivered;
    // A sender that ends its message by closing (no newline, as many student herds flood) has
    // still sent it: counted, as the proxies count lines.
    if (why == std::string_view("closed") && keep_messages_ &&
        d.sent_split.pending().starts_with("AT ")) {
      ++messages_sent_;
      ++at_lines_sent_;
    }
    if (enabled())
      for (auto line = d.delivered_lines + 1; line <= d.sent_lines; ++line)
        write_line(time_ns, "dropped", {id(d, connection, line), " ", why});
    for (auto [line, index] : d.in_flight) {
      messages_[index].dropped = why;
      messages_[index].dropped_ns = time_ns;
    }
    directions_[key].reset();
  }
}

}  // namespace herd
