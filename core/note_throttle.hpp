#pragma once
// Keeps repeated notes from flooding a terminal: at most `per_window` go out in each window of
// `window_ms`; the rest are counted, and the count is handed to the next note that goes out, so
// a reader learns how many were held back (the log file still has every one). Pure: no I/O.

#include <cstddef>
#include <cstdint>

namespace herd {

class NoteThrottle {
 public:
  NoteThrottle(std::size_t per_window, std::int64_t window_ms)
      : per_window_(per_window), window_ms_(window_ms) {}

  // Whether a note at `now_ms` may go out; if it may, `held_back` is how many did not since the
  // last that did.
  [[nodiscard]] bool allow(std::int64_t now_ms, std::size_t& held_back) {
    if (now_ms - window_start_ms_ >= window_ms_) {
      window_start_ms_ = now_ms;
      sent_in_window_ = 0;
    }
    if (sent_in_window_ >= per_window_) {
      ++held_back_;
      return false;
    }
    ++sent_in_window_;
    held_back = held_back_;
    held_back_ = 0;
    return true;
  }

 private:
  std::size_t per_window_;
  std::int64_t window_ms_;
  std::int64_t window_start_ms_ = INT64_MIN / 2;
  std::size_t sent_in_window_ = 0;
  std::size_t held_back_ = 0;
};

}  // namespace herd
