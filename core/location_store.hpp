#pragma once
// The newest known location of every client, as the AT line that reported it. Pure: no I/O.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

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
  // Keeps a copy of `record` if it is newer than what is held for its client and returns a view
  // of the stored copy (valid until the next offer for that client); nullopt when it is stale.
  std::optional<RecordView> offer(const RecordView& record);
  [[nodiscard]] std::optional<RecordView> find(std::string_view client) const;
  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  void for_each(const std::function<void(const RecordView&)>& visit) const;

 private:
  // One client's newest record. The line lives in a buffer of its own, with no separate key
  // string and no std::string header: that keeps a stored record under 200 bytes. The set is
  // keyed by the client field, which an update never changes, so the rest may change in place.
  struct Entry {
    mutable std::unique_ptr<char[]> text;
    mutable std::int64_t seconds = 0;  // the record's Timestamp, unpacked to pack the entry in 32
    mutable std::int32_t nanos = 0;    // bytes
    mutable std::uint32_t size = 0;
    mutable std::uint32_t capacity = 0;
    // Rehashing and bucket walks read this instead of finding the client field again: without
    // it, growing past a few thousand clients stalled a node for a millisecond per rehash.
    std::uint32_t client_hash = 0;

    [[nodiscard]] RecordView view() const { return {{seconds, nanos}, {text.get(), size}}; }
    void assign(const RecordView& record) const;
  };
  struct ClientHash {
    using is_transparent = void;
    // 32 bits, as stored in an entry; noexcept, so the set does not store a second copy.
    static std::uint32_t of(std::string_view client) noexcept {
      return static_cast<std::uint32_t>(std::hash<std::string_view>{}(client));
    }
    std::size_t operator()(std::string_view client) const noexcept { return of(client); }
    std::size_t operator()(const Entry& e) const noexcept { return e.client_hash; }
  };
  struct SameClient {
    using is_transparent = void;
    static std::string_view client(std::string_view c) { return c; }
    static std::string_view client(const Entry& e) { return e.view().client(); }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      return client(a) == client(b);
    }
  };
  std::unordered_set<Entry, ClientHash, SameClient> entries_;
};

}  // namespace herd
