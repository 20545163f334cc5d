#include "sim/report/run_record.hpp"

#include <algorithm>

#include "sim/report/run_result.hpp"

namespace herd {

namespace {

// The kinds of node event the timeline draws.
bool drawn(EventKind kind) {
  return kind == EventKind::update_stored || kind == EventKind::update_not_sent ||
         kind == EventKind::link_up || kind == EventKind::link_down;
}

}  // namespace

RunRecord::RunRecord(RecordSettings settings)
    : settings_(std::move(settings)), trace_(settings_.trace, settings_.count_messages) {
  trace_.set_listener(settings_.listener, settings_.listening);
  trace_.limit_messages(settings_.max_messages);
}

std::unique_lock<std::mutex> RunRecord::lock() const {
  return settings_.locked ? std::unique_lock(mutex_) : std::unique_lock<std::mutex>();
}

bool RunRecord::tracing() const {
  return trace_.enabled();
}

void RunRecord::event(std::int64_t time_ns, std::string_view kind, std::string_view text) {
  if (!trace_.enabled()) return;
  auto held = lock();
  trace_.event(time_ns, kind, text);
}

void RunRecord::node_event(std::int64_t time_ns, const NodeEvent& e, TextInterner::Id line) {
  // Every line a node reads: nothing here counts, keeps or traces it (the network's observer
  // traces lines between servers), so it costs no lock.
  if (e.kind == EventKind::line_in) return;
  if (e.kind == EventKind::update_stored) count_if_accepted(e.node, e.text);
  if (e.kind == EventKind::link_up || e.kind == EventKind::link_down) {
    auto held = lock();
    link_words_.said(e.node, e.peer, e.kind == EventKind::link_up);
  }
  // A live herd left up after its scenario keeps nothing for a report, and may run for days.
  if (!keep_.load(std::memory_order_relaxed) && !trace_.enabled()) return;
  auto held = lock();
  tally_.add(e.kind, e.node, e.peer, e.text, time_ns, e.queue_bytes, e.herd_index, line);
  if (keep_ && drawn(e.kind)) {
    if (events_.size() < settings_.max_events)
      events_.push_back({e.kind, std::string(e.node), std::string(e.peer), std::string(e.text),
                         time_ns, e.queue_bytes});
    else
      ++events_left_out_;
  }
  trace_.node_event(time_ns, e);
}

void RunRecord::sent(std::int64_t time_ns, std::uint64_t connection, bool forward,
                     const std::string& from, const std::string& to, std::string_view bytes) {
  auto held = lock();
  trace_.sent(time_ns, connection, forward, from, to, bytes);
}

void RunRecord::delivered(std::int64_t time_ns, std::uint64_t connection, bool forward,
                          const std::string& from, const std::string& to, std::string_view bytes) {
  auto held = lock();
  trace_.delivered(time_ns, connection, forward, from, to, bytes);
}

void RunRecord::lost(std::int64_t time_ns, std::uint64_t connection, std::string_view why) {
  auto held = lock();
  trace_.lost(time_ns, connection, why);
}

void RunRecord::count_if_accepted(std::string_view node, std::string_view at_line) {
  // "AT Clark +0.1 kiwi ...": stored by Clark itself, it is an update Clark accepted.
  auto origin = at_line.substr(std::min<std::size_t>(3, at_line.size()));
  if (!at_line.starts_with("AT ") || !origin.starts_with(node) || origin.size() <= node.size() ||
      origin[node.size()] != ' ')
    return;
  auto after_skew = origin.find(' ', node.size() + 1);
  if (after_skew == std::string_view::npos) return;
  auto client = origin.substr(after_skew + 1);
  client = client.substr(0, client.find(' '));
  auto held = lock();
  ++accepted_;
  if (clients_.size() < max_counted_clients) clients_.emplace(client);
}

void RunRecord::scheduled(std::int64_t time_ns, std::uint64_t connection, bool forward,
                          std::int64_t due_ns, std::string_view bytes) {
  auto held = lock();
  trace_.scheduled(time_ns, connection, forward, due_ns, bytes);
}

HerdCounts RunRecord::counts() const {
  auto held = lock();
  return {accepted_, clients_.size(), trace_.at_totals()};
}

void RunRecord::server_crashed(std::string_view server) {
  auto held = lock();
  link_words_.crashed(server);
}

std::optional<bool> RunRecord::link_up(std::string_view a, std::string_view b) const {
  auto held = lock();
  return link_words_.up(a, b);
}

void RunRecord::keep(bool keep) {
  auto held = lock();
  keep_ = keep;
  trace_.keep_messages(keep && settings_.count_messages);
}

void RunRecord::end(std::int64_t end_ns) {
  auto held = lock();
  if (end_ns_ < 0) end_ns_ = end_ns;
}

void RunRecord::collect(RunResult& result, std::int64_t origin_ns, std::size_t servers) {
  auto held = lock();
  result.metrics = tally_.result(servers);
  result.messages = trace_.take_messages();
  result.messages_sent = trace_.messages_sent();
  result.at_lines_sent = trace_.at_lines_sent();
  result.findings = findings_.list();
  if (end_ns_ >= 0) mark_end_of_run(result.messages, end_ns_);
  for (auto& m : result.messages) {
    m.sent_ns -= origin_ns;
    if (m.delivered_ns) *m.delivered_ns -= origin_ns;
    if (!m.dropped.empty()) m.dropped_ns -= origin_ns;
  }
  result.events = std::move(events_);
  result.events_left_out = events_left_out_;
  for (auto& e : result.events) e.time_ns -= origin_ns;
}

}  // namespace herd
