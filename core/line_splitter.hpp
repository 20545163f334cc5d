#pragma once
// Bytes in, whole lines out: the one way Herd cuts what a stream brings into lines, wherever
// bytes arrive (a client's session, a peer's link, the trace, the virtual network, a queue). A
// line ends at '\n'; what follows the last '\n' is an unfinished line that waits for the rest.
// Pure and header-only: the node's hot path inlines it.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace herd {

// Walks the complete lines of a block of text one at a time, so that whoever walks may stop
// between two (a coroutine waiting on Places) and go on later.
class LineCursor {
 public:
  explicit LineCursor(std::string_view text) : text_(text) {}

  // The next complete line, without its '\n'; nullopt when only an unfinished one is left.
  [[nodiscard]] std::optional<std::string_view> next() {
    auto end = text_.find('\n', start_);
    if (end == std::string_view::npos) return std::nullopt;
    auto line = text_.substr(start_, end - start_);
    start_ = end + 1;
    return line;
  }
  // What follows the last line taken: the unfinished line once next() has said nullopt.
  [[nodiscard]] std::string_view rest() const { return text_.substr(start_); }
  [[nodiscard]] std::size_t taken() const { return start_; }

 private:
  std::string_view text_;
  std::size_t start_ = 0;
};

// Calls `each(line)` for every complete line of `text`, without its '\n'.
template <typename Each>
void for_each_line(std::string_view text, Each&& each) {
  LineCursor cursor(text);
  while (auto line = cursor.next()) each(*line);
}

// For a stream that arrives in pieces: keeps the unfinished line between them.
class LineSplitter {
 public:
  // Calls `each(line)` for every line `bytes` completes (after what was pending), and keeps
  // what is left of an unfinished one.
  template <typename Each>
  void feed(std::string_view bytes, Each&& each) {
    if (pending_.empty()) {
      // Nothing waits: lines are taken where they are, and only the tail is copied.
      LineCursor cursor(bytes);
      while (auto line = cursor.next()) each(*line);
      pending_.assign(cursor.rest());
      return;
    }
    pending_.append(bytes);
    LineCursor cursor(pending_);
    while (auto line = cursor.next()) each(*line);
    pending_.erase(0, cursor.taken());
  }

  // How many lines `bytes` completes, keeping only the unfinished tail: for counting lines
  // nobody needs to read.
  std::size_t count(std::string_view bytes) {
    std::size_t lines = 0;
    for (auto c : bytes) lines += c == '\n';
    auto last = bytes.rfind('\n');
    if (last == std::string_view::npos)
      pending_.append(bytes);
    else
      pending_.assign(bytes.substr(last + 1));
    return lines;
  }

  [[nodiscard]] std::string_view pending() const { return pending_; }
  void clear() { pending_.clear(); }

 private:
  std::string pending_;
};

}  // namespace herd
