#pragma once
// The runner: one scenario's steps against one world, whatever the world (world.hpp). It keeps
// the scenario's clients and their replies, the traffic schedule, which servers are up or
// paused, what the herd has accepted, and the checks and their messages; the world does the rest
// through its three interfaces. There is one runner and nothing in it to override: what differs
// between networks is in the worlds. Pure: no sockets here.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/seeded_random.hpp"
#include "sim/checker/checker.hpp"
#include "sim/report/run_result.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/step_context.hpp"
#include "sim/workload/client_work.hpp"
#include "sim/world/world.hpp"

namespace herd {

// What the runner itself is told.
struct RunnerOptions {
  std::ostream* progress = nullptr;  // one line per step; nullptr: silent
  bool verbose = false;              // also print what each failed check found
  // Called once the herd is up, every link connected, before the first step.
  std::function<void()> on_ready;
  // How long a client waits for each reply: longer than any Places fault a scenario sets.
  int reply_timeout_ms = 15'000;
  // Servers that are not Herd's (--herd-cmd): an IAMAT's reply counts as its update whatever its
  // form, and what is off in the form is a conformance finding, not a failed step.
  bool lenient_replies = false;
  // Traffic keeps requests in flight at once, each on a connection of its own (course clients):
  // the schedule, not each reply, sets when the next is sent.
  bool concurrent_traffic = false;
};

class Runner final : public StepContext {
 public:
  Runner(World& world, const Scenario& scenario, RunnerOptions options);

  // Why the world cannot run the scenario at all, found before anything starts (a link fault
  // where no proxy sits on the links); nullopt when it can.
  [[nodiscard]] std::optional<std::string> cannot_run() const;
  // Starts the herd: every server listening, every link up.
  [[nodiscard]] Expected<void> start();
  // Runs one step; `index` numbers it (as steps[N] in its file, or after them when posted).
  [[nodiscard]] StepOutcome run_step(const Step& step, std::size_t index);
  // Reads the replies of background sends, each an outcome of its own.
  [[nodiscard]] std::vector<StepOutcome> finish_background();
  // Stops the herd (if it started) and fills in what the run measured.
  void finish(RunResult& result);

  // A live herd may run for days: from now on nothing is kept for the report.
  void stop_keeping();

  // --- what the live view reads ---------------------------------------------------------------
  [[nodiscard]] const Scenario& scenario() const { return scenario_; }
  [[nodiscard]] World& world() { return world_; }
  [[nodiscard]] const std::set<std::string>& up() const { return up_; }
  [[nodiscard]] const std::set<std::string>& paused() const { return paused_; }
  [[nodiscard]] const History& history() const { return history_; }
  [[nodiscard]] double seconds_since_up() const;
  // Every directed link of the topology, in the topology's order.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> directed_links() const;

 private:
  struct Background {
    const Step* step;
    std::size_t index;
    std::string line;
    std::unique_ptr<ClientConnection> client;
  };

  // StepContext: the steps of the scenario's table, the same in every world.
  void send(const Step& step, StepOutcome& out) override;
  void traffic(const Step& step, StepOutcome& out) override;
  void change_links(const Step& step, const std::function<void(LinkFaults&)>& change) override;
  void reset_links(const Step& step) override;
  void partition(const Step& step) override;
  void heal() override;
  void crash(const std::string& node, StepOutcome& out) override;
  void restart(const std::string& node, StepOutcome& out) override;
  void pause(const std::string& node, StepOutcome& out) override;
  void resume(const std::string& node, StepOutcome& out) override;
  void set_places(const PlacesFaults& faults) override;
  void wait(int ms) override;
  void expect_converged(const Step& step, StepOutcome& out, bool want_converged) override;
  void expect_record(const Step& step, StepOutcome& out) override;

  void trace(std::string_view kind, const std::string& text);
  void print(const StepOutcome& outcome) const;
  // Lets the herd run until `done` holds of what it holds (refreshed first where the world must
  // ask), for at most `ms`; whether it held.
  bool run_until_held(const std::function<bool(const HeldRecords&)>& done, int ms);
  // After a convergence check's deadline on the wall clock: waits on in rounds while each round
  // cuts the (server, client) pairs that are off, up to four times what was asked; whether the
  // herd converged, with the pairs off at the deadline and at the end.
  bool converge_while_progressing(int asked_ms, std::size_t& off_at_deadline,
                                  std::size_t& off_at_end);
  // What a check's verdict rests on: each server's records read from its store, or, for servers
  // seen only from outside, their answers to the refresh the check made just before.
  [[nodiscard]] StoreRecords records_of(const std::string& server);
  // Whether every live server's store holds exactly the newest accepted records, read as lines:
  // true only when it certainly does (then the full check finds nothing); false sends the
  // verdict to the full check, which also says what is off.
  [[nodiscard]] bool stores_hold_exactly_expected();
  // An accepted update: the herd should now hold it (unless a newer one of its client).
  void accept(std::string_view at_line);
  // Sends one line (unless already sent) and reads its reply; false with a reason when the
  // server does not answer.
  bool exchange(ClientConnection& client, const std::string& line, std::string& reply,
                std::string& why, const std::string& node, bool send_now);
  void finish_send(const Step& step, const std::string& line, ClientConnection& client,
                   StepOutcome& out, bool send_now);
  // A WHATSAT reply's AT line against the one the origin answered for the client's newest update.
  void judge_origin_line(const Step& step, const std::string& line, const std::string& reply,
                         StepOutcome& out);
  [[nodiscard]] bool matches(const Step& step,
                             const std::pair<std::string, std::string>& link) const;
  void set_up(const std::string& server, bool up);
  // traffic() with requests in flight at once (RunnerOptions::concurrent_traffic).
  void traffic_in_flight(TrafficPlan& plan, const Step& step, StepOutcome& out);
  // An IAMAT's reply came: counted, its update accepted, its form's findings noted.
  bool take_traffic_reply(const std::string& node, const std::string& line,
                          const std::string& reply);
  [[nodiscard]] std::string unreadable_summary(const Verdict& verdict) const;

  World& world_;
  const Scenario& scenario_;
  RunnerOptions options_;
  SeededRandom random_;  // the traffic's choices
  History history_;
  std::set<std::string> up_, paused_;  // servers running, and of those the paused
  std::map<std::string, std::unique_ptr<ClientConnection>> clients_;  // traffic's, per server
  std::vector<Background> background_;
  std::int64_t up_ns_ = 0;
  bool started_ = false;
  std::chrono::steady_clock::time_point began_;
};

}  // namespace herd
