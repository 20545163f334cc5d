#pragma once
// A node's own log file: every line in and out, every link up and down, with timestamps.
// Buffered; flushed by the node periodically and when it stops, never once per line.

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace herd {

class NodeLog {
 public:
  NodeLog() = default;
  ~NodeLog();
  NodeLog(const NodeLog&) = delete;
  NodeLog& operator=(const NodeLog&) = delete;

  // Opens (appending) `dir`/`name`.log, creating `dir`. An empty dir disables the log.
  [[nodiscard]] Expected<void> open(const std::string& dir, const std::string& name);
  [[nodiscard]] bool enabled() const { return file_ != nullptr; }
  // Told, once, when writing starts to fail (a full disk: the lines are lost, which nobody would
  // otherwise see) and again when it works once more, with how many lines were lost.
  void on_trouble(std::function<void(const std::string&)> tell) { tell_trouble_ = std::move(tell); }

  // "2026-11-23T09:00:00.123456Z <what> <text>". Every entry is one line: a text that holds
  // newlines (a WHATSAT reply's JSON) has each newline and the indentation after it written as
  // one space, and trailing newlines dropped.
  void write(std::int64_t time_ns, std::string_view what, std::string_view text);
  // "<time> <what> <who> <text>": the hot path's form, which builds nothing when the log is off.
  void write(std::int64_t time_ns, std::string_view what, std::string_view who,
             std::string_view text);
  // "<time> <what> <who> <tag> <text>", e.g. "IN [Jaquez] (stale) AT ...".
  void write(std::int64_t time_ns, std::string_view what, std::string_view who,
             std::string_view tag, std::string_view text);
  void flush();
  void close();

 private:
  // `text` as one line, control bytes escaped, at most `most` of its bytes (the rest counted).
  void append_one_line(std::string_view text, std::size_t most);

  std::FILE* file_ = nullptr;
  std::string path_;
  std::string buffer_;
  std::function<void(const std::string&)> tell_trouble_;
  bool failing_ = false;
  std::size_t lost_lines_ = 0;
  // "2026-11-23T09:00:00" for `stamp_second_`: gmtime and strftime cost more than all the rest
  // of handling a line (callgrind), and their text changes once a second.
  std::int64_t stamp_second_ = -1;
  char stamp_[32] = "";
  std::size_t stamp_len_ = 0;
};

}  // namespace herd
