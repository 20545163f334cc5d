#pragma once
// What the scenario's clients send and what a correct reply is, for any network: "{now}" in a
// line, the updates of a traffic step, and the judgement of a reply. Pure: no sockets, no clock
// of its own (the runner passes its time), one seeded random source for every choice.

#include <cstdint>
#include <string>
#include <vector>

#include "core/seeded_random.hpp"
#include "sim/scenario/scenario.hpp"

namespace herd {

// "{now}", "{now-5}" and "{now+2.5}" become the timestamp `now_ns` (plus the offset in seconds).
[[nodiscard]] std::string expand_now(const std::string& text, std::int64_t now_ns);

// One update of a traffic step: when it goes (since the step began), where, and for which client.
struct PlannedUpdate {
  std::int64_t offset_ns = 0;
  std::string node;
  std::string client;
  std::string location;  // "+34.068930-118.445127"
};

// The updates of `step` spread over `targets` (the live, unpaused servers), paced at its rate,
// made one at a time as they are sent: a step may ask for billions (a million a second for an
// hour), and making them all first was gigabytes.
class TrafficPlan {
 public:
  TrafficPlan(const Step& step, std::vector<std::string> targets, SeededRandom& random);
  [[nodiscard]] std::size_t size() const { return total_; }
  [[nodiscard]] bool done() const { return next_ >= total_; }
  // The next update; only while !done().
  [[nodiscard]] PlannedUpdate next();

 private:
  std::vector<std::string> targets_;
  SeededRandom& random_;
  double rate_;
  std::size_t clients_;
  std::size_t total_ = 0;
  std::size_t next_ = 0;
};

[[nodiscard]] std::string iamat_line(const PlannedUpdate& update, std::int64_t now_ns);

struct ReplyVerdict {
  bool ok = true;
  std::string message;
};

// Judges the reply to a send step's `line` (as sent, "{now}" expanded) from `node`, against the
// step's expectation. `now_ns` expands "{now}" in an exact expectation.
[[nodiscard]] ReplyVerdict judge_reply(const Step& step, const std::string& line,
                                       const std::string& reply, std::int64_t now_ns);

// Whether a WHATSAT's reply goes on past its first line (an AT line, then JSON and a blank line).
[[nodiscard]] bool reply_has_body(const std::string& line, const std::string& first_reply_line);

// Control bytes (a scenario may send NULs on purpose) as \xNN, for a terminal or a trace.
[[nodiscard]] std::string printable(std::string_view text);

}  // namespace herd
