#pragma once
// A scenario client that talks to a server as the course's own grader does: every request on a
// fresh connection, half-closed once the line is written, and the reply read until the server
// closes, or until it is whole for a server that keeps the connection open. Student servers are
// written for that client: many read once (read(100), read(1024)) and close, some read until EOF
// and answer nothing before it, some reply with no newline. A reply with or without its newline
// is the same reply here; the difference is a conformance finding, said once per run.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sim/net/line_client.hpp"
#include "sim/report/findings.hpp"
#include "sim/world/world.hpp"

namespace herd {

class CourseConnection final : public ClientConnection {
 public:
  // A new connection to the server, or nullptr when it refuses.
  using Dial = std::function<std::unique_ptr<LineClient>()>;
  // `first` is the connection connect() already made, so that a refusal shows at once.
  CourseConnection(std::string server, Dial dial, std::unique_ptr<LineClient> first,
                   Findings& findings);

  bool send(const std::string& bytes) override;
  std::optional<std::string> read_through(std::string_view end, int timeout_ms) override;
  [[nodiscard]] std::string why_nothing() const override { return why_; }
  // Whether the last read ended because time ran out (not because the server closed).
  [[nodiscard]] bool timed_out() const { return timed_out_; }

 private:
  // What is read once the reply is known to have ended without `end`: the text as if it had.
  std::string as_terminated(std::string text, std::string_view end, bool closed);

  std::string server_;
  Dial dial_;
  std::unique_ptr<LineClient> current_;
  bool used_ = false;  // current_ has carried a request: the next one needs a new connection
  Findings& findings_;
  std::string why_;
  bool timed_out_ = false;
};

}  // namespace herd
