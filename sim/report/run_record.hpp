#pragma once
// Everything a run leaves for its report, gathered as it happens by whichever world ran it: the
// trace (text, the live view's events, and the messages between servers), the metrics tallied
// from the nodes' events, and the few kinds of event the timeline draws. Bounded: a run may be a
// million messages, or a herd left up for days, and neither is kept whole. With `locked`, reports
// may come from many threads at once (nodes and proxies on a runtime). Pure.

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "sim/report/findings.hpp"
#include "sim/report/link_words.hpp"
#include "sim/report/metrics.hpp"
#include "sim/report/text_interner.hpp"
#include "sim/report/trace.hpp"

namespace herd {

struct RunResult;

// The herd's own counts since it started, kept whether or not anyone watches: what the live
// view's counters say, exact however late a page opens.
struct HerdCounts {
  std::uint64_t updates_accepted = 0;  // updates a server stored as their origin
  std::uint64_t clients = 0;           // distinct clients among them
  Trace::AtTotals at_lines;            // AT lines between servers (while anything listens)
};

struct RecordSettings {
  std::ostream* trace = nullptr;                   // one line per event; nullptr: none
  std::function<void(std::string_view)> listener;  // the live view's events
  std::function<bool()> listening;                 // whether it wants lines now
  std::size_t max_messages = 100'000;              // kept for the timeline
  std::size_t max_events = 200'000;                // kept for the timeline
  // Whether lines between servers are counted for the report (RunResult::messages_sent). Where
  // no report is written and nothing traces or listens, the network's bytes need not be read at
  // all: the nodes' own events still count the AT lines for the metrics.
  bool count_messages = true;
  bool locked = false;
};

class RunRecord {
 public:
  explicit RunRecord(RecordSettings settings);
  RunRecord(const RunRecord&) = delete;
  RunRecord& operator=(const RunRecord&) = delete;

  // Whether a trace line written now would go anywhere.
  [[nodiscard]] bool tracing() const;
  // Whether the bytes between servers matter to this record (sent, delivered, scheduled, lost):
  // they are traced, listened to or counted. A world need not report them otherwise.
  [[nodiscard]] bool wants_messages() const {
    return settings_.trace != nullptr || settings_.listener != nullptr || settings_.count_messages;
  }
  // Whether a listener hears when the network will deliver bytes (RunRecord::scheduled).
  [[nodiscard]] bool wants_schedule() const { return settings_.listener != nullptr; }
  // A line of the runner's or the world's own (steps, clients, faults, Places).
  void event(std::int64_t time_ns, std::string_view kind, std::string_view text);
  // A node's event: tallied, kept if the timeline draws its kind, traced. `line`: a stored
  // update's number in the world's HeldRecords (what HeldRecords::stored returned).
  void node_event(std::int64_t time_ns, const NodeEvent& e,
                  TextInterner::Id line = TextInterner::none);
  // Bytes between servers (trace.hpp); `forward`: from the connection's initiator.
  void sent(std::int64_t time_ns, std::uint64_t connection, bool forward, const std::string& from,
            const std::string& to, std::string_view bytes);
  void delivered(std::int64_t time_ns, std::uint64_t connection, bool forward,
                 const std::string& from, const std::string& to, std::string_view bytes);
  void lost(std::int64_t time_ns, std::uint64_t connection, std::string_view why);
  // When the network will deliver bytes it was given (trace.hpp; the live view's only).
  void scheduled(std::int64_t time_ns, std::uint64_t connection, bool forward, std::int64_t due_ns,
                 std::string_view bytes);
  [[nodiscard]] HerdCounts counts() const;
  // `server` crashed: its connections are down until it or a neighbour says otherwise.
  void server_crashed(std::string_view server);
  // What the servers last said of the link between a and b (LinkWords), kept whether or not
  // anyone watches, like counts().
  [[nodiscard]] std::optional<bool> link_up(std::string_view a, std::string_view b) const;

  // Stops (or starts again) keeping events and messages for the report; tallies go on.
  void keep(bool keep);
  // The run ended at `end_ns`: messages still on their way were lost to its end.
  void end(std::int64_t end_ns);
  // Fills `result`'s metrics, events and messages, with times since `origin_ns` of the clock the
  // reports came with; `servers` is the herd's size.
  void collect(RunResult& result, std::int64_t origin_ns, std::size_t servers);
  // How the herd's replies differ from SPEC.md where that does not stop a verdict.
  [[nodiscard]] Findings& findings() { return findings_; }

 private:
  std::unique_lock<std::mutex> lock() const;
  void count_if_accepted(std::string_view node, std::string_view at_line);
  // Distinct clients are counted up to this many (a herd's records are capped per server too).
  static constexpr std::size_t max_counted_clients = 1'000'000;

  RecordSettings settings_;
  mutable std::mutex mutex_;
  Trace trace_;
  MetricsTally tally_;
  std::vector<TimedEvent> events_;
  std::size_t events_left_out_ = 0;
  // Read without the lock: a live herd's every line asks it.
  std::atomic<bool> keep_{true};
  std::int64_t end_ns_ = -1;
  Findings findings_;
  LinkWords link_words_;
  std::uint64_t accepted_ = 0;
  std::unordered_set<std::string> clients_;
};

}  // namespace herd
