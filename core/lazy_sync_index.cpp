#include "core/lazy_sync_index.hpp"

#include <algorithm>
#include <cstdint>

namespace herd {
namespace {

// Below this many notes a rebuild is never chosen: a small store's few changes are applied. Past
// it, notes stop at the index's size, so they never hold more than the records they are about.
constexpr std::size_t changes_kept_at_least = 64;

// The keys at `time`, whatever their ids, run from here up to (not including) the next nanosecond.
reconcile::Key first_at(Timestamp time) {
  return {time.seconds, time.nanos, 0};
}
reconcile::Key first_after(Timestamp time) {
  if (time.nanos + 1 == 1'000'000'000)
    return time.seconds == INT64_MAX ? reconcile::end_key : reconcile::Key{time.seconds + 1, 0, 0};
  return {time.seconds, time.nanos + 1, 0};
}

}  // namespace

reconcile::Key sync_key(const RecordView& record) {
  return {record.time.seconds, record.time.nanos, reconcile::item_id(record.line)};
}

void LazySyncIndex::changed(std::string_view client,
                            const std::optional<LocationStore::Replaced>& replaced) {
  if (rebuild_) return;
  if (changes_.size() >= std::max(changes_kept_at_least, index_.size())) {
    changes_.clear();
    changes_.shrink_to_fit();
    rebuild_ = true;
    return;
  }
  changes_.push_back(
      {std::string(client), replaced ? std::optional(replaced->time) : std::nullopt});
}

const reconcile::Index& LazySyncIndex::current(const LocationStore& store) {
  if (rebuild_)
    rebuild(store);
  else if (!changes_.empty())
    apply(store);
  return index_;
}

void LazySyncIndex::rebuild(const LocationStore& store) {
  std::vector<std::pair<reconcile::Key, std::string>> items;
  items.reserve(store.size());
  store.for_each([&items](const RecordView& record) {
    items.emplace_back(sync_key(record), std::string(record.client()));
  });
  index_.assign(std::move(items));
  rebuild_ = false;
}

std::optional<reconcile::Key> LazySyncIndex::key_of(std::string_view client, Timestamp time) const {
  std::vector<reconcile::Key> keys;
  std::vector<std::string> clients;
  index_.items(first_at(time), first_after(time), SIZE_MAX, keys, &clients);
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (clients[i] == client) return keys[i];
  return std::nullopt;
}

void LazySyncIndex::apply(const LocationStore& store) {
  // A client's first note since the last read replaced the record the index holds for it; later
  // notes replaced records the index never held. So every replaced record goes first, then each
  // client's record in the store now goes in once.
  for (const auto& change : changes_)
    if (change.replaced)
      if (auto key = key_of(change.client, *change.replaced)) index_.erase(*key);
  for (const auto& change : changes_) {
    auto record = store.find(change.client);
    if (record && !key_of(change.client, record->time))
      index_.insert(sync_key(*record), record->client());
  }
  changes_.clear();
}

}  // namespace herd
