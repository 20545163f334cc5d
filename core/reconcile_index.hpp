#pragma once
// A node's records as range-based set reconciliation sees them (Meyer, "Range-Based Set
// Reconciliation", arXiv 2212.13567): items ordered by (client time, item id), where the id is a
// hash of the whole AT line, so two servers holding the same record hold the same item. A range's
// fingerprint is the count and the sum of its ids, kept in every subtree of a balanced tree
// (a treap), so any range of a million records is answered in O(log n), never by a scan. Pure.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herd::reconcile {

struct Key {
  std::int64_t seconds = 0;
  std::int32_t nanos = 0;
  std::uint64_t id = 0;
  auto operator<=>(const Key&) const = default;
};

inline constexpr Key lowest_key{INT64_MIN, 0, 0};
// Past every record: the end of the whole range.
inline constexpr Key end_key{INT64_MAX, 999'999'999, UINT64_MAX};

// The first 8 bytes of the line's SHA-256: a peer cannot choose a line that collides with another
// server's record, so it cannot make a neighbour skip a record it lacks.
[[nodiscard]] std::uint64_t item_id(std::string_view at_line);

struct Fingerprint {
  std::uint64_t count = 0;
  std::uint64_t sum = 0;  // of the ids, mod 2^64
  bool operator==(const Fingerprint&) const = default;
};

class Index {
 public:
  // Each key once, with the client it is about (to find its line in the store).
  void insert(const Key& key, std::string_view client);
  bool erase(const Key& key);
  // Replaces everything with `items` (each key once), in O(n) past sorting them: a store's worth
  // at once, where inserting them one by one costs a walk down the tree each.
  void assign(std::vector<std::pair<Key, std::string>> items);
  [[nodiscard]] std::size_t size() const { return root_ == none ? 0 : nodes_[root_].count; }

  // Of the items with lower <= key < upper.
  [[nodiscard]] Fingerprint fingerprint(const Key& lower, const Key& upper) const;
  // How many items are below `key`.
  [[nodiscard]] std::size_t rank(const Key& key) const;
  // The item at `rank` (< size()) in order.
  [[nodiscard]] const Key& at(std::size_t rank) const;
  // The items with lower <= key < upper, in order, at most `most` of them (with their clients).
  void items(const Key& lower, const Key& upper, std::size_t most, std::vector<Key>& keys,
             std::vector<std::string>* clients = nullptr) const;
  // The client an item is about, or nullptr when it is not here.
  [[nodiscard]] const std::string* client_of(const Key& key) const;

 private:
  static constexpr std::uint32_t none = UINT32_MAX;
  struct Node {
    Key key;
    std::string client;
    std::uint64_t priority = 0;
    std::uint32_t left = none, right = none;
    std::uint64_t count = 1, sum = 0;
  };
  // From the id, so the same items make the same tree on every machine (ids are hashes already).
  [[nodiscard]] static std::uint64_t priority_of(const Key& key) {
    return key.id * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(key.nanos);
  }
  void update(std::uint32_t n);
  // Splits `tree` into keys < key and keys >= key.
  void split(std::uint32_t tree, const Key& key, std::uint32_t& less, std::uint32_t& rest);
  std::uint32_t join(std::uint32_t a, std::uint32_t b);
  [[nodiscard]] Fingerprint below(const Key& key) const;  // items < key

  std::vector<Node> nodes_;
  std::vector<std::uint32_t> free_;
  std::uint32_t root_ = none;
  // Scratch for split and join, kept so that an insert allocates nothing once warm.
  std::vector<std::uint32_t> path_;
  std::vector<bool> went_right_;
  std::vector<std::pair<std::uint32_t, bool>> join_path_;
};

}  // namespace herd::reconcile
