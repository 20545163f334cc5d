#pragma once
// A simulator scenario: a topology, a mode, a seed, and an ordered list of steps (client lines,
// traffic, faults and their repair, waits, assertions). Pure: parsing and printing, no I/O.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/expected.hpp"
#include "core/topology.hpp"
#include "sim/faults/places_faults.hpp"

namespace herd {

enum class StepKind {
  send,              // one client line to a node, with an expected reply
  traffic,           // N clients updating at a rate for a duration, on random live nodes
  cut,               // refuse and close a link (from -> to, and back unless one_way)
  drop,              // blackhole a link: connects time out, bytes on it go nowhere until restored
  restore,           // undo cut, drop, latency, bandwidth, slice and hold on a link
  partition,         // cut every link between different groups
  heal,              // restore every link
  latency,           // delay each chunk by ms, +/- jitter_ms
  reset,             // reset a link's current connections (RST)
  bandwidth,         // limit a link to bytes_per_s
  slice,             // forward a link's bytes in pieces of `bytes`
  hold,              // keep a link's traffic until release
  release,           // let held traffic go
  crash,             // a node closes every socket and loses its memory
  restart,           // a fresh node on the crashed node's port
  pause,             // a node freezes, as a process does under SIGSTOP
  resume,            // undo pause
  places,            // set the mock Places' faults (no fields: healthy)
  wait,              // let ms pass
  expect_converged,  // every live node holds the newest accepted record of every client
  expect_diverged,   // the herd does not converge (to show a bug on purpose)
  expect_record,     // a node holds (or lacks) a client's record
};

[[nodiscard]] const char* to_string(StepKind kind);

// Whether a step of this kind puts a fault on a link between servers, which needs something on
// the links (the virtual network, or a proxy) to put it there.
[[nodiscard]] bool needs_link_faults(StepKind kind);

// Whether `repair` undoes `fault` (a restart its crash, a heal its partition, a restore its cut):
// shrinking never keeps a fault without its repair.
struct Step;
[[nodiscard]] bool repairs(const Step& fault, const Step& repair);

// What a step does to a run, for reports and pictures.
enum class StepRole { client, fault, repair, wait, check };
[[nodiscard]] StepRole role_of(StepKind kind);

// origin_line: a WHATSAT reply whose AT line is the one the origin server answered for the
// client's newest update, as the spec says it must be, whatever server answers.
enum class ReplyKind { none, at, invalid, whatsat, origin_line, exact, pattern };

struct Step {
  StepKind kind = StepKind::wait;
  std::string node;         // send, crash, restart, pause, resume, expect_record
  std::string from, to;     // link steps; both empty: every link
  bool one_way = false;     // link steps: only from -> to
  std::string line;         // send: "{now}" becomes the current time
  bool background = false;  // send: do not wait; the reply is checked when the run ends
  ReplyKind expect = ReplyKind::none;
  std::string expect_text;         // exact reply, or an ECMAScript regex for pattern
  int clients = 0;                 // traffic
  double rate = 0;                 // traffic: updates per second, all clients together
  int duration_ms = 0;             // traffic
  std::vector<std::string> nodes;  // traffic: where to send (empty: every live node)
  std::vector<std::vector<std::string>> groups;  // partition
  int ms = 0;                    // wait; latency; within for expect_converged/diverged
  int jitter_ms = 0;             // latency
  std::int64_t bytes_per_s = 0;  // bandwidth
  int bytes = 0;                 // slice
  PlacesFaults places;           // places
  std::string client;            // expect_record
  std::string time;              // expect_record: the client time it must hold
  std::string origin;            // expect_record: the origin server it must hold
  bool absent = false;           // expect_record: the node must hold nothing for client
};

struct Scenario {
  std::string name;
  std::string description;
  std::string source;  // the file it came from, for messages
  Topology topology;   // ports are 0: the simulator binds free ones
  bool classic = false;
  std::uint64_t seed = 1;
  std::vector<Step> steps;
  // What it holds a herd to: the course's minimum (flooding, the newer rule, replies), or
  // beyond it (recovery after a restart or a partition, which the course does not ask for).
  // "checks" in the file; without it, beyond when a check follows a restart or a repaired link.
  bool beyond_course = false;
  // What passing it is worth when `herd grade` grades a herd ("points" in the file).
  double points = 1;
};

// Beyond the course's minimum: some check comes after a restart, a heal or a restored link.
[[nodiscard]] bool checks_recovery(const std::vector<Step>& steps);

// Errors name the file and the field: "file: steps[3].node: expected ...".
[[nodiscard]] Expected<Scenario> parse_scenario(std::string_view text, std::string_view source);
// A file larger than this is refused before it is parsed (explore's longest scenarios are a few
// hundred kilobytes).
inline constexpr std::size_t max_scenario_bytes = 16 << 20;
[[nodiscard]] Expected<Scenario> load_scenario(const std::string& path);

// One step (a JSON object) or several (an array of them), read as a scenario file's steps are,
// against `topology`: what the live view's POST /api/steps takes. Errors name the field, as
// "steps[1].node: expected ...".
[[nodiscard]] Expected<std::vector<Step>> parse_steps(std::string_view text,
                                                      const Topology& topology);

// The scenario as JSON that parse_scenario reads back to the same steps.
[[nodiscard]] std::string scenario_to_json(const Scenario& scenario);

// A one-line description of a step for progress output ("cut Clark -> Bona").
[[nodiscard]] std::string describe(const Step& step);

}  // namespace herd
