#pragma once
// The live view's API over one running scenario: its state as JSON (servers, stores, links,
// counters), steps posted by the page, and the virtual clock's controls. It runs on the runner's
// thread, between steps and after them, as jobs the HTTP thread hands over (live_session.hpp),
// so nothing touches the herd from two threads.

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include "sim/live/live_session.hpp"
#include "sim/scenario/scenario.hpp"

namespace herd {

class Runner;

class LiveApi {
 public:
  LiveApi(Runner& runner, LiveSession& session);
  // Answers the session's jobs from now on.
  void attach();
  // Serves the page until the session stops; nothing of this is kept for the report.
  void serve();

  [[nodiscard]] LiveAnswer state(std::size_t store_limit);
  [[nodiscard]] LiveAnswer steps(const std::string& body);
  [[nodiscard]] LiveAnswer clock(const std::string& body);

  // What posted steps number from (after the scenario's own).
  void number_from(std::size_t index) { next_index_ = index; }

 private:
  Runner& runner_;
  LiveSession& session_;
  std::size_t next_index_ = 0;
  std::deque<std::vector<Step>> posted_;  // kept while the run lasts: a background send's step
};

}  // namespace herd
