#pragma once
// Collects node events from every strand so tests can wait for what they expect to happen,
// instead of sleeping and hoping.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "core/node_events.hpp"

namespace herd::test {

struct RecordedEvent {
  EventKind kind;
  std::string node, peer, text;
};

class EventRecorder {
 public:
  EventSink sink() {
    return [this](const NodeEvent& e) {
      {
        std::lock_guard lock(mutex_);
        events_.push_back({e.kind, std::string(e.node), std::string(e.peer), std::string(e.text)});
      }
      changed_.notify_all();
    };
  }

  // Waits until `done` holds over the events so far; false if the deadline passes first.
  bool wait_for(const std::function<bool(const std::vector<RecordedEvent>&)>& done,
                int timeout_ms = 5000) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                             [&] { return done(events_); });
  }

  // Waits until every node in `nodes` reported `kind` with `text` (and `peer`, if not empty).
  bool wait_for_all(const std::vector<std::string>& nodes, EventKind kind, const std::string& text,
                    const std::string& peer = "", int timeout_ms = 5000) {
    return wait_for(
        [&](const std::vector<RecordedEvent>& events) {
          for (const auto& node : nodes) {
            bool seen = false;
            for (const auto& e : events)
              seen = seen || (e.kind == kind && e.node == node &&
                              (text.empty() || e.text == text) && (peer.empty() || e.peer == peer));
            if (!seen) return false;
          }
          return true;
        },
        timeout_ms);
  }

  [[nodiscard]] std::vector<RecordedEvent> all() {
    std::lock_guard lock(mutex_);
    return events_;
  }

  [[nodiscard]] std::size_t count(EventKind kind, const std::string& node = "",
                                  const std::string& text = "") {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& e : events_)
      n += e.kind == kind && (node.empty() || e.node == node) && (text.empty() || e.text == text);
    return n;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<RecordedEvent> events_;
};

}  // namespace herd::test
