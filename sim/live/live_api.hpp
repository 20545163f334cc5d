#pragma once
// The live view's API over one running scenario: its state as JSON (servers, stores, links,
// counters), steps posted by the page, the virtual clock's controls, and on the virtual network a
// branch from a past moment. It runs on the runner's thread, between steps and after them, as
// jobs the HTTP thread hands over (live_session.hpp), so nothing touches the herd from two
// threads.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/live/live_session.hpp"
#include "sim/scenario/scenario.hpp"

namespace herd {

class Runner;

// What changed the herd from outside, and when: the run is deterministic on the virtual network,
// so these, replayed at their moments in a fresh world, bring it back to any moment.
struct LiveInput {
  std::int64_t at_ns = 0;
  std::vector<Step> steps;      // the scenario's step, or steps the page posted
  std::size_t first_index = 0;  // the first one's index in the run
  std::optional<std::pair<std::string, std::string>> deliver;  // a held line let through
  // Where a branch cut the step short (it was running at the branch's moment): replayed again,
  // it stops there too.
  std::optional<std::int64_t> cut_at_ns;
};

// A branch the page asked for: the run replayed to `at_ns`, then `steps` taken there.
struct BranchPlan {
  std::size_t number = 1;  // the first branch of the session is 1
  std::int64_t at_ns = 0;
  std::vector<LiveInput> inputs;  // what came before at_ns
  std::vector<Step> steps;
  double speed = 1;  // the clock's, kept; a branch starts paused
};

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
  [[nodiscard]] LiveAnswer branch(const std::string& body);

  // A branch asked for: serving and held steps end, and the caller builds it.
  [[nodiscard]] std::optional<BranchPlan> take_branch() { return std::exchange(branch_, {}); }
  // This run is branch `plan.number`: the page is told so, its inputs are the plan's, and its
  // scenario steps not replayed are left behind.
  void become_branch(const BranchPlan& plan, std::vector<std::optional<bool>> replayed_results);
  // Runs steps the page asked for now (posted, or a branch's), noted among the run's inputs;
  // their outcomes as the answer.
  LiveAnswer run_posted(std::vector<Step> steps);

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
  std::vector<LiveInput> inputs_;             // on the virtual network: what a branch replays
  std::optional<BranchPlan> branch_;          // asked for, not yet built
  std::size_t branches_ = 0;                  // made this session, this run's among them
  std::optional<std::pair<std::int64_t, std::string>> branched_from_;  // at, what was done
};

}  // namespace herd
