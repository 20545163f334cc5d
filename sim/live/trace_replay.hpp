#pragma once
// A saved trace played back for the live view (`herd sim --serve PORT --replay TRACE`): the
// servers and links it names, and its lines published at their own pace. Pure: no sockets.

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "core/expected.hpp"

namespace herd {

class LiveSession;

struct ReplayedTrace {
  std::vector<std::string> servers;                         // in order of first mention
  std::vector<std::pair<std::string, std::string>> links;   // each pair once, as first seen
  std::vector<std::pair<std::int64_t, std::string>> lines;  // (time in ns, line)
};

// Reads a trace as --trace writes it ("# scenario" headers and blank lines skipped), or says
// which line is not a trace line.
[[nodiscard]] Expected<ReplayedTrace> read_trace(const std::string& text);

// Serves the page for `trace`, publishing its lines at their own pace after `start_after` (for a
// page to open), then keeping the page up until the session stops. `name` heads the page.
void play_trace(LiveSession& session, const ReplayedTrace& trace, const std::string& name,
                std::chrono::milliseconds start_after, std::ostream& out);

// /api/state for a replay: every server up with an empty store (the page builds the stores from
// the events), every link without faults.
[[nodiscard]] std::string replay_state_json(const ReplayedTrace& trace, const std::string& name);

}  // namespace herd
