#include "sim/checker/checker.hpp"

#include "core/protocol.hpp"
#include "sim/workload/at_reading.hpp"

namespace herd {

namespace {

// An AT line another herd wrote, read for which update it is even when its form is off (a time
// difference "+-0.07", a relay field): its client and timestamp, and the line as it was said.
bool lenient_record(std::string_view at_line, Record& out) {
  auto fields = read_at_fields(at_line);
  Timestamp time;
  if (!fields || !parse_timestamp(fields->time, time)) return false;
  while (!at_line.empty() && (at_line.back() == '\n' || at_line.back() == '\r'))
    at_line.remove_suffix(1);
  out.time = time;
  out.line.assign(at_line);
  return true;
}

}  // namespace

void History::accept(std::string_view at_line) {
  Record record;
  if (!record_from_at_line(at_line, record) && !lenient_record(at_line, record)) return;
  ++accepted_;
  auto client = record.client();
  auto it = newest_.find(client);
  if (it == newest_.end()) {
    std::string key(client);
    newest_.emplace(std::move(key), std::move(record));
  } else if (is_newer(record, it->second)) {
    it->second = std::move(record);
  }
}

std::map<std::string, std::string, std::less<>> holdings_from_lines(
    const std::vector<std::string>& lines) {
  std::map<std::string, std::string, std::less<>> out;
  // A converging ring of thousands reads every store at the end; parsing every line again was
  // most of a short run's time.
  for (const auto& line : lines)
    if (auto client = at_line_client(line); line.starts_with("AT ") && !client.empty())
      out[std::string(client)] = line;
  return out;
}

Verdict check_convergence(const History& history, const Holdings& holdings,
                          std::size_t max_problems, const Unreadable& unreadable) {
  Verdict verdict;
  auto problem = [&](std::string text) {
    if (verdict.problems.size() < max_problems) verdict.problems.push_back(std::move(text));
  };
  auto why_unread = [&](const std::string& node, const std::string& client) -> const std::string* {
    auto n = unreadable.find(node);
    if (n == unreadable.end()) return nullptr;
    auto c = n->second.find(client);
    return c == n->second.end() ? nullptr : &c->second;
  };
  for (const auto& [client, record] : history.expected()) {
    bool held_somewhere = false, unread_somewhere = false;
    for (const auto& [node, held] : holdings) {
      auto it = held.find(client);
      if (it != held.end() && it->second == record.line) held_somewhere = true;
      if (why_unread(node, client) != nullptr) unread_somewhere = true;
    }
    if (!held_somewhere && !holdings.empty() && !unread_somewhere) {
      ++verdict.lost_updates;
      problem("lost update: \"" + record.line +
              "\" was accepted, never superseded, and no live node holds it");
    }
    for (const auto& [node, held] : holdings) {
      auto it = held.find(client);
      if (it != held.end() && it->second == record.line) continue;
      if (const auto* why = why_unread(node, client)) {
        if (verdict.unreadable++ < max_problems)
          verdict.unreadable_reasons.push_back("cannot read " + node + " about " + client + ": " +
                                               *why);
        continue;
      }
      ++verdict.missing;
      if (held_somewhere)
        problem(node + " lacks the update \"" + record.line + "\" (" +
                (it == held.end() ? "it holds nothing for " + client
                                  : "it holds \"" + it->second + "\"") +
                ")");
    }
  }
  for (const auto& [node, held] : holdings)
    for (const auto& [client, line] : held)
      if (history.expected().find(client) == history.expected().end()) {
        ++verdict.unexplained;
        problem(node + " holds \"" + line + "\", which no accepted update accounts for");
      }
  verdict.converged = verdict.lost_updates == 0 && verdict.missing == 0 && verdict.unexplained == 0;
  return verdict;
}

}  // namespace herd
