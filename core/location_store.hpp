#pragma once
// The newest known location of every client, as the AT line that reported it. Pure: no I/O.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/protocol.hpp"

namespace herd {

// One report: the AT line exactly as its origin server made it (trimmed), and its client time.
// A view: it does not own the line.
struct RecordView {
  Timestamp time;
  std::string_view line;

  [[nodiscard]] std::string_view server() const;  // the origin server's name
  [[nodiscard]] std::string_view client() const;
};

// The same report owning its line, for holders outside the store (the simulator's checker).
struct Record {
  Timestamp time;
  std::string line;

  [[nodiscard]] RecordView view() const { return {time, line}; }
  [[nodiscard]] std::string_view server() const { return view().server(); }
  [[nodiscard]] std::string_view client() const { return view().client(); }
};

// The client field of an AT line (its fourth field); empty if it has fewer fields.
[[nodiscard]] std::string_view at_line_client(std::string_view line);

// A view of a valid AT line as a record, or false when the line is not a valid AT. `out.line`
// points into `line`, without its outer whitespace.
[[nodiscard]] bool record_from_at_line(std::string_view line, RecordView& out);
// The same for a line already parsed as `at` (no second parse on the hot path): its six fields.
[[nodiscard]] RecordView record_from_at(const AtMessage& at);
// The same, copying the line.
[[nodiscard]] bool record_from_at_line(std::string_view line, Record& out);

// The fixed total order every server agrees on: client time, then origin server, then the line.
[[nodiscard]] bool is_newer(const RecordView& candidate, const RecordView& current);
[[nodiscard]] inline bool is_newer(const Record& candidate, const Record& current) {
  return is_newer(candidate.view(), current.view());
}

class LocationStore {
 public:
  LocationStore() = default;
  ~LocationStore();
  LocationStore(const LocationStore&) = delete;
  LocationStore& operator=(const LocationStore&) = delete;

  // What a stored record took the place of.
  struct Replaced {
    Timestamp time;
    std::size_t line_bytes = 0;
  };
  // Keeps a copy of `record` if it is newer than what is held for its client and returns a view
  // of the stored copy (valid until the next offer for that client); nullopt when it is stale.
  // When kept over an older record, says what that was in `replaced` (if given).
  std::optional<RecordView> offer(const RecordView& record,
                                  std::optional<Replaced>* replaced = nullptr);
  // The same, given the record's client (record.client()) by a caller that has read it already:
  // a flood offers every record to every server, and each reading scans the line.
  std::optional<RecordView> offer(const RecordView& record, std::string_view client,
                                  std::optional<Replaced>* replaced = nullptr);
  [[nodiscard]] std::optional<RecordView> find(std::string_view client) const;
  // A lookup of `client` begun early, for a caller with other work to do before its offer:
  // look_ahead() asks for the client's slot, and look_ahead_line(), called later with what it
  // returned, asks for the line that slot holds. On a herd of hundreds a store is cold when an
  // update arrives, and the slot and its line were two misses one after the other. Hints only:
  // nothing depends on them, and a wrong client costs a useless fetch.
  [[nodiscard]] std::uint32_t look_ahead(std::string_view client) const;
  void look_ahead_line(std::uint32_t hash) const;
  [[nodiscard]] std::size_t size() const { return size_; }
  // In an order fixed by the clients' names (a stable hash), the same on every machine.
  void for_each(const std::function<void(const RecordView&)>& visit) const;

 public:
  // One client's newest record, 32 bytes, in one flat array probed linearly: a lookup touches the
  // slot and the line it points to, and growing the array moves slots without reading lines.
  // The line lives in a buffer of its own, reused in place when the next line fits.
  struct Slot {
    char* text = nullptr;  // nullptr: an empty slot (records are never removed)
    std::int64_t seconds = 0;
    std::int32_t nanos = 0;
    std::uint32_t hash = 0;  // of the client field
    std::uint32_t size = 0;
    // Where the client field starts in the line: a probe compares it there instead of finding
    // it again (as many times as a flood offers the record). The buffer holds at least the size
    // rounded as assign() rounds it.
    std::uint32_t client_at = 0;

    [[nodiscard]] RecordView view() const { return {{seconds, nanos}, {text, size}}; }
    [[nodiscard]] bool holds(std::string_view client) const;
    void assign(const RecordView& record, std::string_view client);
  };
  static_assert(sizeof(Slot) == 32);

 private:
  [[nodiscard]] static std::uint32_t hash_of(std::string_view client);
  // Where a hash's probe starts: the hash scaled to the capacity (which need not be a power of 2).
  [[nodiscard]] std::size_t home(std::uint32_t hash) const {
    return static_cast<std::size_t>((static_cast<std::uint64_t>(hash) * capacity_) >> 32);
  }
  // The slot holding `client`, or the empty slot where it would go.
  [[nodiscard]] std::size_t probe(std::string_view client, std::uint32_t hash) const;
  void grow();

  struct SlotsDeleter {
    void operator()(Slot* slots) const;
  };
  std::unique_ptr<Slot[], SlotsDeleter> slots_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

}  // namespace herd
