#pragma once
// A world is where a run happens, offered to the one runner (sim/runner/runner.hpp) as three
// narrow interfaces: the herd (its servers), the links between them, and time. Three worlds
// implement them: virtual_world.hpp (Herd's nodes on one thread, an in-memory network and a
// virtual clock), socket_world.hpp (Herd's nodes on loopback TCP behind fault proxies) and
// process_world.hpp (anyone's servers as processes, behind the same proxies). The runner knows
// only these interfaces, as Maelstrom's workload, nemesis and checker know only the system's
// messages, and turmoil's tests know only one Sim handle. Pure: no sockets here.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.hpp"
#include "core/node.hpp"
#include "core/topology.hpp"
#include "sim/faults/link_faults.hpp"
#include "sim/faults/places_faults.hpp"
#include "sim/report/run_record.hpp"
#include "sim/report/run_result.hpp"
#include "sim/world/clock_request.hpp"
#include "sim/world/held_records.hpp"

namespace herd {

class RunRecord;

// A herd under test made of server processes (`herd sim --herd-cmd`), instead of Herd's own
// nodes in this process: a student's Python servers, another herd's, or `herd node` itself.
struct ExternalHerd {
  // Run under /bin/sh -c for each server, in the directory herd sim runs in, with {name}, {port},
  // {config}, {places_url} (legacy Nearby Search), {places_new_url} (Places API (New)'s
  // searchNearby), {dir} and {classic} ("--classic" when the scenario runs in classic
  // mode, else nothing) replaced, and HERD_NAME, HERD_PORT, HERD_CONFIG, HERD_PLACES_URL, HERD_DIR
  // and HERD_CLASSIC (1 or 0) set.
  std::string command;
  // --herd-ports: servers listening on ports fixed in their code, neighbours too; then no proxy
  // sits between them and a step that needs one is refused. Empty: the harness picks ports and
  // points every link at a fault proxy through {config}.
  std::map<std::string, std::uint16_t> ports;
  // Each server's folder (its config and output) is DIR/SCENARIO.servers/NAME.
  std::string dir;
  // With ports: each server in a network namespace of its own, Herd's proxies on its
  // neighbours' ports inside it (net_namespace.hpp), so link faults reach code that names its
  // neighbours itself. Set only once prepare_net_namespaces() has succeeded.
  bool namespaces = false;
  int start_timeout_ms = 10'000;  // for a server's port to accept connections after a start
  int reply_timeout_ms = 5'000;   // for each reply a client or the checker waits on
  // As the course's grader talks: a fresh connection per request, half-closed after the line,
  // the reply read to EOF (course_connection.hpp). False: one connection kept per server.
  bool course_clients = true;
  // More placeholders for the command, each also set as HERD_KEY in the environment: herd
  // grade's {submission}, the folder of the submission being graded.
  std::map<std::string, std::string> values;
};

// What any world is made from.
struct WorldOptions {
  std::string name;  // the scenario's, for folders and logs
  Topology topology;
  bool classic = false;
  std::uint64_t seed = 1;
  RecordSettings record;
  // The servers' own settings (herd up --control: limits, backoff, logs, a Places key) instead
  // of the simulator's quick ones: links retry faster than a real node's, so that runs are short
  // (scenarios restart a server and crash it again within tens of milliseconds).
  std::optional<NodeOptions> node;
  int reconnect_max_ms = 250;
  int reconnect_stable_ms = 10;
  int connect_timeout_ms = 500;
  std::string log_dir;                   // the servers' own logs, DIR/NAME.log; "": none
  std::string places_url;                // empty: the mock Places
  std::uint16_t places_port = 0;         // the mock Places' port; 0: any free port
  std::optional<ExternalHerd> external;  // a herd of server processes
};

// A scenario client's connection to one server.
class ClientConnection {
 public:
  virtual ~ClientConnection() = default;
  // False when the server closed the connection.
  virtual bool send(const std::string& bytes) = 0;
  // What arrives through `end` (included); nullopt if the connection ends or time runs out.
  virtual std::optional<std::string> read_through(std::string_view end, int timeout_ms) = 0;
  // Why the last send or read came to nothing, when the connection knows more than that it did
  // ("closed the connection without a reply"); empty otherwise.
  [[nodiscard]] virtual std::string why_nothing() const { return {}; }
};

// The servers, as a whole.
class Herd {
 public:
  virtual ~Herd() = default;
  // Every server listening and every link up, or why not.
  [[nodiscard]] virtual Expected<void> start() = 0;
  // Everything the servers held is closed; what they did is in the world's record.
  virtual void stop() = 0;
  virtual void crash(const std::string& server) = 0;
  [[nodiscard]] virtual Expected<void> restart(const std::string& server) = 0;
  virtual void pause(const std::string& server) = 0;
  virtual void resume(const std::string& server) = 0;
  // A client's connection, or nullptr when the server refuses it.
  [[nodiscard]] virtual std::unique_ptr<ClientConnection> connect(const std::string& server) = 0;
  virtual void set_places_faults(const PlacesFaults& faults) = 0;

  // What the servers hold as far as the world knows: from their events as they happen (Herd's
  // own nodes), or from their answers when refresh_held() asks them (servers seen only from
  // outside, whose answers then are all there is to know).
  [[nodiscard]] virtual HeldRecords& held() = 0;
  virtual void refresh_held() = 0;
  [[nodiscard]] virtual bool held_is_answers() const = 0;
  // A server's records read from its store now: what a check's verdict rests on.
  [[nodiscard]] virtual StoreRecords read_store(const std::string& server) = 0;
  // At most `limit` of its records, those with the latest client times.
  [[nodiscard]] virtual std::vector<std::string> newest(const std::string& server,
                                                        std::size_t limit) = 0;
  // Why this herd cannot run the scenario's topology at all (servers whose ports are fixed in
  // their code, and other names); nullopt when it can.
  [[nodiscard]] virtual std::optional<std::string> why_not_this_topology() const {
    return std::nullopt;
  }
  // Servers that ended by themselves since the last call, and how ("exited with status 1").
  [[nodiscard]] virtual std::vector<std::pair<std::string, std::string>> take_ended() = 0;
};

// The links between servers: directed, the connections `from` opens to `to`.
class Links {
 public:
  virtual ~Links() = default;
  [[nodiscard]] virtual LinkFaults faults(const std::string& from, const std::string& to) const = 0;
  virtual void set_faults(const std::string& from, const std::string& to,
                          const LinkFaults& faults) = 0;
  virtual void reset(const std::string& from, const std::string& to) = 0;
  // The lines a held link keeps back, where the world can see them; and letting the first go.
  [[nodiscard]] virtual std::vector<std::string> held_lines(const std::string& from,
                                                            const std::string& to) const = 0;
  virtual bool release_one_line(const std::string& from, const std::string& to) = 0;
  // Why no fault can be put on a link here (nothing sits on them), or nullopt when it can.
  [[nodiscard]] virtual std::optional<std::string> why_no_faults() const = 0;
};

// What the live view's clock controls answer.
struct ClockState {
  bool paused = false;
  double speed = 1;
  int delivered = 0;
  std::string note;  // what a step could not do, in words for the page
};

// The run's clock.
class Time {
 public:
  virtual ~Time() = default;
  // Nanoseconds on the run's clock: virtual time, or the steady clock.
  [[nodiscard]] virtual std::int64_t now_ns() const = 0;
  // The date servers read, for "{now}" and for IAMATs.
  [[nodiscard]] virtual std::int64_t wall_ns() const = 0;
  // Lets the herd run until `done()` holds or the clock reaches `deadline_ns`; whether it held.
  // `done` is asked after each change a world can see, or every few tens of milliseconds.
  virtual bool run_until(std::int64_t deadline_ns, const std::function<bool()>& done) = 0;
  // Lets the herd run until the clock reads `deadline_ns`.
  virtual void advance_to(std::int64_t deadline_ns) = 0;
  // Every wait ends early once `stopping` says so (the live view closing).
  virtual void stop_when(std::function<bool()> stopping) = 0;
  [[nodiscard]] virtual bool stopping() const = 0;
  // For the live view: lets the herd keep pace with the wall clock for a moment; how long the
  // caller may wait for a request before it calls again.
  [[nodiscard]] virtual std::chrono::milliseconds keep_pace() = 0;
  // The virtual clock's controls (pause, speed, step, deliver a held line); others have none.
  [[nodiscard]] virtual Expected<ClockState> control(const ClockRequest& request) = 0;
  // The clock's settings now, unchanged (a clock without controls always runs at 1).
  [[nodiscard]] virtual ClockState clock_state() const { return {}; }
  // From now on a wait hands its idle moments to `idle` (which may wait up to the time given for
  // other work, such as a page's requests) and virtual time keeps pace with the wall clock at the
  // clock's speed, so a scenario's steps can be watched as they run (`--serve --paused`).
  virtual void pace_with(std::function<void(std::chrono::milliseconds)> idle) = 0;
  // Hands `idle` (if any) a moment without waiting: a step that never waits (traffic behind its
  // schedule) still lets the page's requests in.
  virtual void let_idle_work_run() = 0;
  // The virtual clock's: time goes no further than `horizon_ns`, even inside a step, and reaching
  // it counts as stopping (a branch's replay ends at its moment). nullopt: no horizon. Other
  // clocks cannot stop the world's time and ignore it.
  virtual void stop_at(std::optional<std::int64_t> horizon_ns) { (void)horizon_ns; }
};

class World {
 public:
  virtual ~World() = default;
  [[nodiscard]] virtual NetworkKind network() const = 0;
  [[nodiscard]] virtual Herd& herd() = 0;
  [[nodiscard]] virtual Links& links() = 0;
  [[nodiscard]] virtual Time& time() = 0;
  // Where the run's trace, events and messages go.
  [[nodiscard]] virtual RunRecord& record() = 0;
  // Now, as the record's lines say it: since the run began. On the virtual network that is its
  // clock; on real sockets the steady clock counts from elsewhere, so those worlds say.
  [[nodiscard]] virtual std::int64_t record_now_ns() { return time().now_ns(); }
  // Fills what the world measured into `result` once the herd has stopped: its record, with
  // times since the herd came up (`up_ns` on the run's clock), and anything of its own.
  virtual void collect(RunResult& result, std::int64_t up_ns) = 0;
};

}  // namespace herd
