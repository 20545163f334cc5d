#include "sim/checker/checker.hpp"

namespace herd {

void History::accept(std::string_view at_line) {
  Record record;
  if (!record_from_at_line(at_line, record)) return;
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
  for (const auto& line : lines) {
    Record record;
    if (record_from_at_line(line, record)) out[std::string(record.client())] = line;
  }
  return out;
}

Verdict check_convergence(const History& history, const Holdings& holdings,
                          std::size_t max_problems) {
  Verdict verdict;
  auto problem = [&](std::string text) {
    if (verdict.problems.size() < max_problems) verdict.problems.push_back(std::move(text));
  };
  for (const auto& [client, record] : history.expected()) {
    bool held_somewhere = false;
    for (const auto& [node, held] : holdings) {
      auto it = held.find(client);
      if (it != held.end() && it->second == record.line) held_somewhere = true;
    }
    if (!held_somewhere && !holdings.empty()) {
      ++verdict.lost_updates;
      problem("lost update: \"" + record.line +
              "\" was accepted, never superseded, and no live node holds it");
    }
    for (const auto& [node, held] : holdings) {
      auto it = held.find(client);
      if (it != held.end() && it->second == record.line) continue;
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
