#pragma once
// A saved trace played back for the live view (`herd sim --serve PORT --replay TRACE`): the
// servers and links it names, and its lines published at their own pace. Pure: no sockets.

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/expected.hpp"

namespace herd {

class LiveSession;

struct ReplayedTrace {
  std::vector<std::string> servers;                        // in order of first mention
  std::vector<std::pair<std::string, std::string>> links;  // each pair once, as first seen
  // (time in ns, line); a trace of several runs has them one after another in time, each line's
  // own time said from the first run's start.
  std::vector<std::pair<std::int64_t, std::string>> lines;
  // With several runs ("# scenario" headers): the index of each run's first line, its header.
  std::vector<std::size_t> run_starts;
  std::vector<std::string> run_names;
};

// Where a replay's clock is: the trace's time, paused or not, virtual seconds per wall second.
struct ReplayClockState {
  std::int64_t now_ns = 0;
  bool paused = false;
  double speed = 1;
};

// Reads a trace as --trace writes it ("# scenario" headers and blank lines skipped), or says
// which line is not a trace line.
[[nodiscard]] Expected<ReplayedTrace> read_trace(const std::string& text);

// Serves the page for `trace`, publishing its lines at their own pace after `start_after` (for a
// page to open), then keeping the page up until the session stops. `name` heads the page. The
// page's clock controls pause, slow, speed up and step it (POST /api/clock, as for a live
// virtual run); each sent line that the trace later delivers is followed by "T due ID WHEN", and
// each run of several by "T run N of M: SCENARIO" before its first line.
void play_trace(LiveSession& session, const ReplayedTrace& trace, const std::string& name,
                std::chrono::milliseconds start_after, std::ostream& out);

// /api/state for a replay: every server up with an empty store (the page builds the stores from
// the events), every link without faults, and the replay's clock.
[[nodiscard]] std::string replay_state_json(const ReplayedTrace& trace, const std::string& name,
                                            const ReplayClockState& clock);

// For each line, when the trace delivers it if it is a sent line that arrives (else nothing).
[[nodiscard]] std::vector<std::optional<std::int64_t>> delivery_times(const ReplayedTrace& trace);

}  // namespace herd
