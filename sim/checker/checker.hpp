#pragma once
// The convergence checker: what every live node should hold, and what it does hold. Pure.

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "core/location_store.hpp"

namespace herd {

// Every AT line the herd accepted (IAMAT replies, and AT lines injected as a peer would).
class History {
 public:
  void accept(std::string_view at_line);
  // The newest accepted record of every client: what a converged herd holds.
  [[nodiscard]] const std::map<std::string, Record, std::less<>>& expected() const {
    return newest_;
  }
  [[nodiscard]] std::size_t accepted() const { return accepted_; }

 private:
  std::map<std::string, Record, std::less<>> newest_;
  std::size_t accepted_ = 0;
};

// node -> (client -> AT line) of every live node.
using Holdings =
    std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>>;

// Builds a node's holdings from its snapshot lines: a Herd node's store, so each is an AT line it
// parsed when it stored it, keyed here by its client field without a second parse.
[[nodiscard]] std::map<std::string, std::string, std::less<>> holdings_from_lines(
    const std::vector<std::string>& lines);

// node -> (client -> why it could not be read): pairs the checker could not look at, which
// count neither as held nor as lacking.
using Unreadable = Holdings;

struct Verdict {
  bool converged = false;
  // No problem was found, but some pairs could not be read: converged as far as it could look.
  std::size_t unreadable = 0;
  std::vector<std::string> unreadable_reasons;  // the first few, as sentences
  std::size_t lost_updates = 0;                 // newest accepted records held by no live node
  std::size_t missing = 0;            // (node, client) pairs where the node lacks the newest record
  std::size_t unexplained = 0;        // records no accepted update accounts for
  std::vector<std::string> problems;  // the first few, as sentences
};

[[nodiscard]] Verdict check_convergence(const History& history, const Holdings& holdings,
                                        std::size_t max_problems = 8,
                                        const Unreadable& unreadable = {});

}  // namespace herd
