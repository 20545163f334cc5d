#include "sim/world/course_connection.hpp"

#include <chrono>

#include "sim/workload/at_reading.hpp"
#include "sim/workload/client_work.hpp"

namespace herd {
namespace {

using Steady = std::chrono::steady_clock;

// How long a reply that looks whole may still grow before it is taken as it is.
constexpr int settle_ms = 100;

std::string first_bytes(std::string_view text) {
  return printable(text.substr(0, 80)) + (text.size() > 80 ? "..." : "");
}

}  // namespace

CourseConnection::CourseConnection(std::string server, Dial dial, std::unique_ptr<LineClient> first,
                                   Findings& findings)
    : server_(std::move(server)),
      dial_(std::move(dial)),
      current_(std::move(first)),
      findings_(findings) {}

bool CourseConnection::send(const std::string& bytes) {
  why_.clear();
  if (!current_ || used_) {
    current_ = dial_();
    used_ = false;
  }
  if (!current_) {
    why_ = server_ + " refused the connection";
    return false;
  }
  used_ = true;
  if (!current_->try_send(bytes)) {
    why_ = server_ + " closed the connection before the request was written";
    return false;
  }
  current_->shutdown_write();
  return true;
}

std::optional<std::string> CourseConnection::read_through(std::string_view end, int timeout_ms) {
  why_.clear();
  timed_out_ = false;
  if (!current_) {
    why_ = server_ + " refused the connection";
    return std::nullopt;
  }
  const bool body = end == "\n\n";
  const auto deadline = Steady::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    if (current_->buffered().find(end) != std::string::npos)
      return current_->read_until(end, 0).text;
    if (current_->closed()) break;
    // A WHATSAT reply whose JSON is whole and then quiet is done, blank line or not.
    if (body && holds_whole_json(current_->buffered()) && current_->buffered().ends_with("\n") &&
        !current_->wait_for_more(settle_ms) && !current_->closed())
      return as_terminated(current_->read_until(end, 0).text, end, false);
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now()).count();
    if (left <= 0) break;
    current_->wait_for_more(static_cast<int>(left));
  }
  auto text = current_->read_until(end, 0).text;
  bool closed = current_->closed();
  timed_out_ = !closed;
  if (text.empty()) {
    why_ = closed ? server_ + " closed the connection without a reply"
                  : "no reply from " + server_ + " within " + std::to_string(timeout_ms) + " ms";
    return std::nullopt;
  }
  return as_terminated(std::move(text), end, closed);
}

std::string CourseConnection::as_terminated(std::string text, std::string_view end, bool closed) {
  while (text.ends_with('\n')) text.pop_back();
  const std::string how = closed ? "then closed the connection" : "then went quiet";
  if (end == "\n")
    findings_.add("reply-newline", server_ + "'s reply has no newline at its end (it sent \"" +
                                       first_bytes(text) + "\" and " + how +
                                       "); the spec's replies are lines");
  else
    findings_.add("whatsat-blank-line", server_ +
                                            "'s WHATSAT reply does not end in a blank line (its "
                                            "JSON ends, and it " +
                                            how + "); the spec ends it with \"\\n\\n\"");
  return text + std::string(end);
}

}  // namespace herd
