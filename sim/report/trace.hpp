#pragma once
// The trace of a run: one line per event, in the order they happened, with its time since the
// herd came up. Messages between servers get ids from their connection and their place on it
// ("Clark>Bona#12.3": the third line Clark sent on connection 12 to Bona); TCP keeps a
// connection's bytes in order, so an arrival is matched to its send by counting, never by text.
// Pure: the runner tells it what happened.

#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/line_splitter.hpp"
#include "core/node_events.hpp"

namespace herd {

// One line between servers, as the timeline draws it: sent, then delivered or dropped.
struct TracedMessage {
  std::string id, from, to, line;
  std::int64_t sent_ns = 0;
  std::optional<std::int64_t> delivered_ns;
  std::string dropped;  // why, when it was lost (then delivered_ns is empty)
  std::int64_t dropped_ns = 0;
};

// Messages lost once the run was over (the herd stopping with them on their way) are marked
// "end of run": no fault of the scenario lost them.
void mark_end_of_run(std::vector<TracedMessage>& messages, std::int64_t ended_ns);

// A trace line's time, seconds with six decimals ("12.000150"), from integers: the same text on
// every machine, where printing a double may not be.
void append_trace_seconds(std::string& out, std::int64_t time_ns);

class Trace {
 public:
  // `out` nullptr: no text (the messages are still kept when `keep_messages`).
  explicit Trace(std::ostream* out, bool keep_messages = false)
      : out_(out), keep_messages_(keep_messages) {}
  // Also told of every line (without its "\n"), as it is written: the live view's events.
  // `listening`, when given, says whether the listener wants lines right now; while it says no
  // (and nothing else wants the trace) no line is formatted, though messages are still counted
  // so that ids stay right for when it listens again.
  void set_listener(std::function<void(std::string_view line)> listener,
                    std::function<bool()> listening = {}) {
    listener_ = std::move(listener);
    listening_ = std::move(listening);
  }
  // Whether a line written now would go anywhere.
  [[nodiscard]] bool enabled() const {
    return out_ != nullptr || (listener_ != nullptr && (!listening_ || listening_()));
  }
  // Stops (or starts) keeping messages for the report: a live herd may run for days.
  void keep_messages(bool keep) { keep_messages_ = keep; }
  // Keeps at most this many messages: the timeline draws a few thousand of a run's millions.
  void limit_messages(std::size_t most) { message_limit_ = most; }
  [[nodiscard]] bool wanted() const { return enabled() || keep_messages_; }
  // The first lines between servers (up to the limit), in the order they were sent.
  [[nodiscard]] std::vector<TracedMessage> take_messages() { return std::move(messages_); }
  // Lines sent between servers while messages were kept, and how many of them were AT lines.
  [[nodiscard]] std::size_t messages_sent() const { return messages_sent_; }
  [[nodiscard]] std::size_t at_lines_sent() const { return at_lines_sent_; }

  // AT lines between servers since the herd started, counted whatever is watched while anything
  // listens: the live view's counters (sent = delivered + dropped + on their way).
  struct AtTotals {
    std::uint64_t sent = 0, delivered = 0, dropped = 0;
  };
  [[nodiscard]] AtTotals at_totals() const { return at_totals_; }

  // "0.012345 stored Bona AT Clark +0.000001 client-1 ..."; `time_ns` since the run began.
  void event(std::int64_t time_ns, std::string_view kind, std::string_view text);

  // What a server's event says, for the kinds a trace shows: stored, stale, link-up,
  // link-down and not-sent (the lines on links are traced from the network instead).
  void node_event(std::int64_t time_ns, const NodeEvent& e);

  // Bytes on a server-to-server connection, in chunks as the network moved them. `connection`
  // numbers the connection, `forward` says it goes from the end that opened it, and `from` and
  // `to` are the servers this direction goes between.
  void sent(std::int64_t time_ns, std::uint64_t connection, bool forward, const std::string& from,
            const std::string& to, std::string_view bytes);
  void delivered(std::int64_t time_ns, std::uint64_t connection, bool forward,
                 const std::string& from, const std::string& to, std::string_view bytes);
  // The network will deliver `bytes` (the next lines of this direction, already sent) at
  // `due_ns`. Only the listener hears of it ("0.000100 due Clark>Bona#12.3 0.000150": every
  // line up to that one arrives then), so a page can move a message in the herd's time; the
  // trace file has no such line, and reads as it did.
  void scheduled(std::int64_t time_ns, std::uint64_t connection, bool forward, std::int64_t due_ns,
                 std::string_view bytes);
  // The connection is gone: every line sent on it and not delivered is lost, for `why`.
  void lost(std::int64_t time_ns, std::uint64_t connection, std::string_view why);

 private:
  struct Direction {
    std::string from, to;
    LineSplitter sent_split, delivered_split;
    std::uint64_t sent_lines = 0, delivered_lines = 0, scheduled_lines = 0;
    std::uint64_t at_sent = 0, at_delivered = 0;
    // Kept messages on their way, oldest first: (line number, index into messages_).
    std::deque<std::pair<std::uint64_t, std::size_t>> in_flight;
  };
  // "Clark>Bona#12.3", in a buffer the next call reuses.
  const std::string& id(const Direction& d, std::uint64_t connection, std::uint64_t line);
  // A line of `kind` whose text is `parts` joined (no space added between them).
  void write_line(std::int64_t time_ns, std::string_view kind,
                  std::initializer_list<std::string_view> parts);
  // The same line in line_, written nowhere.
  void format_line(std::int64_t time_ns, std::string_view kind,
                   std::initializer_list<std::string_view> parts);
  // Counts an AT line between servers, sent or delivered on `d`.
  void count_sent(Direction& d, std::string_view line);
  Direction& direction(std::uint64_t connection, bool forward, const std::string& from,
                       const std::string& to);
  // The direction already named by a line sent on it, or nullptr.
  [[nodiscard]] Direction* known_direction(std::uint64_t key) const {
    return key < directions_.size() ? directions_[key].get() : nullptr;
  }

  std::ostream* out_;
  std::function<void(std::string_view)> listener_;
  std::function<bool()> listening_;
  bool keep_messages_;
  std::size_t message_limit_ = static_cast<std::size_t>(-1);
  std::size_t messages_sent_ = 0, at_lines_sent_ = 0;
  AtTotals at_totals_;
  std::vector<TracedMessage> messages_;
  std::string line_, id_;  // kept between lines for their capacity
  // By connection * 2 + (forward ? 0 : 1); null where none is known. Both worlds number their
  // connections from zero up, one at a time, so the index stays about twice their count and a
  // message finds its direction without hashing.
  std::vector<std::unique_ptr<Direction>> directions_;
};

}  // namespace herd
