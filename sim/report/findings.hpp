#pragma once
// Conformance findings: the ways a herd's replies differ from SPEC.md that do not stop the
// simulator from judging its flooding (a reply without its newline, a time difference with 19
// fraction digits, a timestamp printed back through a float). Each kind is reported once per run,
// with its first example, so that one quirk of format reads as one finding and not as a failure
// of every later check. Thread-safe: the checker asks servers from several threads. Pure.

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace herd {

struct Finding {
  std::string kind;  // "reply-newline", "reply-skew", ...: one finding per kind and run
  std::string text;  // the sentence, with its first example
};

class Findings {
 public:
  // Keeps `text` unless a finding of `kind` is already kept.
  void add(std::string_view kind, std::string text);
  // In the order they were first seen.
  [[nodiscard]] std::vector<Finding> list() const;
  [[nodiscard]] bool empty() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Finding> kept_;
};

}  // namespace herd
