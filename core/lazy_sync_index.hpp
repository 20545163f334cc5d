#pragma once
// The store's records in reconciliation order (reconcile_index.hpp), brought up to date only when
// reconciliation reads them. A store takes hundreds of thousands of records a second and a
// neighbour asks for the index once per link that comes up, so hashing each record and moving it
// in a tree at once would spend most of a busy node's time on reads that never come: a change
// costs a note here, and the notes are applied when the index is read. Pure.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/location_store.hpp"
#include "core/reconcile_index.hpp"

namespace herd {

class LazySyncIndex {
 public:
  // The store now holds a record for `client`, in the place of `replaced` (what its offer said;
  // nullopt: the client is new to the store).
  void changed(std::string_view client, const std::optional<LocationStore::Replaced>& replaced);

  // The index of what `store` holds now: every change noted since the last read applied.
  [[nodiscard]] const reconcile::Index& current(const LocationStore& store);

  // Changes noted and not yet applied (for tests and figures).
  [[nodiscard]] std::size_t pending() const { return rebuild_ ? SIZE_MAX : changes_.size(); }

 private:
  struct Change {
    std::string client;
    std::optional<Timestamp> replaced;
  };
  void apply(const LocationStore& store);
  void rebuild(const LocationStore& store);
  // The key the index holds for `client`'s record at `time`, if it holds one.
  [[nodiscard]] std::optional<reconcile::Key> key_of(std::string_view client, Timestamp time) const;

  reconcile::Index index_;
  std::vector<Change> changes_;
  // More changes than the index holds records: building it anew is cheaper than applying them,
  // and the notes stop growing.
  bool rebuild_ = false;
};

[[nodiscard]] reconcile::Key sync_key(const RecordView& record);

}  // namespace herd
