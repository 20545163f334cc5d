#pragma once
// Range-based set reconciliation between two Herd peers over one link (Meyer, arXiv 2212.13567),
// in the direction the link carries updates: the link's owner (the initiator) learns which of its
// records the neighbour lacks or holds older, and sends only those as ordinary AT lines.
//
// Messages are lines: "HERD-SYNC ITEM...", each item about a range of keys (reconcile_index.hpp)
// that starts where the last one ended ("@KEY" moves the start):
//   F<upper>:<count>:<sum>   the sender's fingerprint of [start, upper)
//   L<upper>:<key>,<key>...  the sender's keys in [start, upper), when there are few
//   N<key>,<key>...          keys of a list just received that the sender lacks
// The initiator opens with F over everything. Each side answers a differing fingerprint with its
// own keys when it has few, or with fingerprints of 16 parts of its own items; a list is answered
// by the responder with what it lacks (N) and by the initiator with the records themselves. A
// reply with no items means nothing differs. Every message is bounded (items, keys per list), so
// a hostile peer cannot make a node hash its store in a loop. Pure.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/reconcile_index.hpp"

namespace herd::reconcile {

inline constexpr std::string_view message_verb = "HERD-SYNC";
inline constexpr std::size_t parts = 16;           // a differing range splits into this many
inline constexpr std::size_t list_at_most = 16;    // keys: fewer are listed, not split
inline constexpr std::size_t items_at_most = 32;   // per message
inline constexpr std::size_t rounds_at_most = 64;  // then the link falls back to a snapshot
static_assert(list_at_most >= parts, "a range is split only when it has more items than parts");
// The longest line an honest answer makes (items_at_most ranges, each as `parts` fingerprints
// of at most 48 bytes): a link reads no longer line from its neighbour.
inline constexpr std::size_t answer_bytes_at_most = items_at_most * parts * 48;

[[nodiscard]] bool is_sync_message(std::string_view line);

// The responder's side: its answer to one message, or why the message is refused (the link
// then answers "? " as to any line it cannot serve).
[[nodiscard]] Expected<std::string> respond(const Index& index, std::string_view message);

// One item of a message, decoded.
struct Item {
  enum class Kind { fingerprint, list, need } kind = Kind::fingerprint;
  Key lower, upper;         // the range (not for need)
  Fingerprint fingerprint;  // for fingerprint
  std::vector<Key> keys;    // for list and need
};

// A message's items, or what is wrong with it (too many items or keys, a range that goes back,
// a malformed key).
[[nodiscard]] Expected<std::vector<Item>> parse_message(std::string_view message);
[[nodiscard]] std::string format_message(const std::vector<Item>& items);

// Below this many bytes a store goes whole: a few round trips of fingerprints would cost more.
inline constexpr std::size_t whole_store_below_bytes = 8 * 1024;

// What reconciliation may cost in messages before the link gives up and sends the store
// instead: a twentieth of the store's bytes, so a link never sends more than a snapshot's bytes
// and 5% (and many differences, where lists cost more than records, end it early). A message is
// sent only if it and the largest answer it can get (answer_bound) fit in what is left.
[[nodiscard]] inline std::size_t message_budget(std::size_t store_bytes) {
  return store_bytes / 20;
}

// An honest answer is at most this many times its message's size: each range comes back as at
// most `parts` fingerprints or a list of at most `list_at_most` keys.
inline constexpr std::size_t answer_bound = parts + 1;

class Initiator {
 public:
  // `budget`: the bytes of messages, both ways, past which on_reply fails (message_budget).
  explicit Initiator(const Index& index, std::size_t budget = SIZE_MAX)
      : index_(index), budget_(budget) {}

  // The next message, or nullopt when the reconciliation is over: nothing left to compare, or
  // (gave_up()) the next message and its answer would pass the budget.
  [[nodiscard]] std::optional<std::string> next_message();
  [[nodiscard]] bool gave_up() const { return gave_up_; }
  // The neighbour's answer to the last message. The clients whose records it lacks (or holds
  // older) are appended to `send`; a failure says how the peer broke the protocol, and the link
  // then sends its whole store instead.
  [[nodiscard]] Expected<void> on_reply(std::string_view reply, std::vector<std::string>& send);
  [[nodiscard]] std::size_t rounds() const { return rounds_; }
  [[nodiscard]] std::size_t message_bytes() const { return bytes_; }

 private:
  const Index& index_;
  std::size_t budget_;
  std::size_t bytes_ = 0;  // of the messages so far, both ways, line ends included
  bool gave_up_ = false;
  bool opened_ = false;
  std::vector<Item> pending_;  // what the next messages say, oldest first
  std::size_t rounds_ = 0;
};

// Encodes `key` as in the messages ("1700000000.5000", "~" past the end).
[[nodiscard]] std::string key_text(const Key& key);
[[nodiscard]] std::optional<Key> parse_key(std::string_view text);

}  // namespace herd::reconcile
