#pragma once
// A saved trace played back for the live view (`herd sim --serve PORT --replay TRACE`): the
// servers and links it names, and its lines published at their own pace. Pure: no sockets.

#include <cstdint>
#include <string>
#include <vector>

namespace herd {

class LiveSession;

struct ReplayedTrace {
  std::vector<std::string> servers;                         // in order of first mention
  std::vector<std::pair<std::string, std::string>> links;   // each pair once, as first seen
  std::vector<std::pair<std::int64_t, std::string>> lines;  // (time in ns, line)
  std::string error;                                        // empty when it read
};

// Reads a trace as --trace writes it ("# scenario" headers and blank lines skipped).
[[nodiscard]] ReplayedTrace read_trace(const std::string& text);

// /api/state for a replay: every server up with an empty store (the page builds the stores from
// the events), every link without faults.
[[nodiscard]] std::string replay_state_json(const ReplayedTrace& trace, const std::string& name);

}  // namespace herd
