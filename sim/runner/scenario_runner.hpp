#pragma once
// What every runner does the same way, whatever the network: the step loop, the scenario's
// clients and their replies, the traffic schedule, which links a step touches, the checks and
// their messages, and the result. A network's runner (real_runner.cpp, virtual_runner.cpp)
// supplies the herd, the clock, client connections, link faults and server faults. Pure: no
// sockets here.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/seeded_random.hpp"
#include "sim/checker/checker.hpp"
#include "sim/live/live_session.hpp"
#include "sim/runner/runner.hpp"

namespace herd {

// A scenario client's connection to one server.
class ClientConnection {
 public:
  virtual ~ClientConnection() = default;
  // False when the server closed the connection.
  virtual bool send(const std::string& bytes) = 0;
  // What arrives through `end` (included); nullopt if the connection ends or time runs out.
  virtual std::optional<std::string> read_through(std::string_view end, int timeout_ms) = 0;
};

class ScenarioRunner : public StepContext {
 public:
  ScenarioRunner(const Scenario& scenario, const SimOptions& options);
  RunResult run();

 protected:
  static constexpr int reply_timeout_ms = 15000;  // longer than any Places fault a scenario sets

  // --- what a network provides ------------------------------------------------------------
  // Why this herd cannot run the scenario at all, found before anything starts; nullopt: it can.
  [[nodiscard]] virtual std::optional<std::string> cannot_run() const { return std::nullopt; }
  // Starts the herd with every link up; an error message if it cannot.
  virtual std::optional<std::string> set_up() = 0;
  virtual void tear_down() = 0;
  // The run's own clock, in nanoseconds: wall time on real sockets, virtual time otherwise.
  [[nodiscard]] virtual std::int64_t clock_ns() const = 0;
  // Lets the herd run until the clock reads `when`.
  virtual void run_until_clock(std::int64_t when) = 0;
  // The wall clock the herd's servers read (for "{now}" and IAMAT timestamps).
  [[nodiscard]] virtual std::int64_t wall_ns() const = 0;
  // Lets the herd run until `done` holds of what the servers' events say they hold, for at most
  // `ms`; whether it held.
  virtual bool run_until_held(const std::function<bool(const Holdings&)>& done, int ms) = 0;
  // What `node` holds, read from its store.
  virtual std::map<std::string, std::string, std::less<>> store_of(const std::string& node) = 0;
  // At most `limit` of `node`'s records, those with the latest client times; by default chosen
  // from store_of(), which a network with nodes in this process does without copying the store.
  virtual std::vector<std::string> newest_of(const std::string& node, std::size_t limit);
  // How many clients `node` holds by its events: no store is read, so a page may ask often.
  virtual std::size_t held_count(const std::string& node) = 0;
  virtual std::unique_ptr<ClientConnection> connect(const std::string& node) = 0;
  virtual void change_link(const std::string& from, const std::string& to,
                           const std::function<void(LinkFaults&)>& change) = 0;
  virtual void reset_link(const std::string& from, const std::string& to) = 0;
  virtual void crash_server(const std::string& node) = 0;
  virtual std::optional<std::string> restart_server(const std::string& node) = 0;
  virtual void pause_server(const std::string& node) = 0;
  virtual void resume_server(const std::string& node) = 0;
  virtual void set_places_faults(const PlacesFaults& faults) = 0;
  [[nodiscard]] virtual LinkFaults link_faults(const std::string& from, const std::string& to) = 0;
  // The lines a held link keeps back, where the network can tell (the virtual one can).
  [[nodiscard]] virtual std::vector<std::string> held_lines(const std::string&,
                                                            const std::string&) {
    return {};
  }
  // Lets the herd run a while between the live view's jobs; by default it waits for one.
  virtual void idle_live(LiveSession& live);
  // The live view's clock: pause, speed, and steps of one delivered message. Only the virtual
  // network has a clock to drive; the answer says what it is now.
  virtual LiveAnswer live_clock(const std::string& body);
  virtual void trace(std::string_view kind, const std::string& text) = 0;
  // Whether every event and message is kept for the report (not while live for long).
  virtual void keep_messages(bool keep) = 0;
  // Fills in what the run measured (events, messages, times) after tear_down().
  virtual void collect(RunResult& result) = 0;
  // After each step: a network may find that the step failed for a reason of its own (a server
  // process that ended by itself).
  virtual void after_step(StepOutcome&) {}
  // ---------------------------------------------------------------------------------------

  // The live view is stopping (Ctrl-C): every wait ends early, so no posted step (an hour's wait,
  // a check within an hour) keeps the process from exiting.
  [[nodiscard]] bool stopping() const {
    return options_.live != nullptr && options_.live->stop_requested();
  }

  // Every update the herd accepted so far, newest per client.
  [[nodiscard]] const History& history() const { return history_; }

  [[nodiscard]] double seconds_since_up() const {
    return static_cast<double>(clock_ns() - up_ns_) / 1e9;
  }
  // Every directed link of the topology, in the topology's order.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> directed_links() const;

  const Scenario& scenario_;
  const SimOptions& options_;
  std::set<std::string> live_, paused_;

 private:
  struct Background {
    const Step* step;
    std::size_t index;
    std::string line;
    std::unique_ptr<ClientConnection> client;
  };

  // StepContext: the steps of the scenario's table, the same on every network.
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

  void print(const StepOutcome& outcome) const;
  // The live view: serves its jobs until it stops.
  void serve_live(LiveSession& live);
  // At most `store_limit` records a server, its newest; "store_size" says how many it holds.
  [[nodiscard]] LiveAnswer live_state(std::size_t store_limit);
  [[nodiscard]] LiveAnswer live_steps(const std::string& body);
  void run_one_step(const Step& step, StepOutcome& outcome);
  // Sends one line (unless already sent) and reads its reply; false with a reason when the
  // server does not answer.
  bool exchange(ClientConnection& client, const std::string& line, std::string& reply,
                std::string& why, const std::string& node, bool send_now);
  void finish_send(const Step& step, const std::string& line, ClientConnection& client,
                   StepOutcome& out, bool send_now);
  void finish_background(std::vector<StepOutcome>& outcomes);
  [[nodiscard]] bool matches(const Step& step,
                             const std::pair<std::string, std::string>& link) const;

  SeededRandom random_;  // the traffic's choices
  History history_;
  std::map<std::string, std::unique_ptr<ClientConnection>> clients_;  // traffic's, per server
  std::vector<Background> background_;
  std::int64_t up_ns_ = 0;
  std::size_t next_live_index_ = 0;
  std::deque<std::vector<Step>> live_steps_;  // posted steps, kept while the run lasts
};

}  // namespace herd
