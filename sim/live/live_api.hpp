#pragma once
// The live view's API over one running scenario: its state as JSON (servers, stores, links,
// counters), steps posted by the page, and the virtual clock's controls. It runs on the runner's
// thread, between steps and after them, as jobs the HTTP thread hands over (live_session.hpp),
// so nothing touches the herd from two threads.

#include <cstddef>
#include <deque>
#include <optional>
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
  [[nodiscard]] LiveAnswer scenario(const std::string& body);

  // --serve --paused: the scenario's steps wait for the page, which lets them go one at a time
  // or all, and each runs in pace with the wall clock while the page is answered.
  void hold_steps() { held_ = true; }
  // Before the scenario's step `index`: waits while the page holds it; false when the session
  // stops first (the step is not run).
  bool before_step(std::size_t index);
  // After it: what it came to, for the page's list of steps.
  void after_step(std::size_t index, bool ok);

  // What posted steps number from (after the scenario's own).
  void number_from(std::size_t index) { next_index_ = index; }

 private:
  // While a step runs its waits answer the page; a step posted then is refused.
  void answer_while_running(std::string what);
  void done_running();

  Runner& runner_;
  LiveSession& session_;
  std::size_t next_index_ = 0;
  std::deque<std::vector<Step>> posted_;      // kept while the run lasts: a background send's step
  bool held_ = false;                         // the scenario's steps wait for the page
  std::size_t allowed_steps_ = 0;             // how many of them the page has let go
  std::optional<std::size_t> running_index_;  // the scenario's step running now
  std::optional<std::string> running_;        // what runs now, while the page is answered
  std::vector<std::optional<bool>> results_;  // each scenario step's verdict, once run
};

}  // namespace herd
