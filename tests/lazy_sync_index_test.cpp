// The lazily kept index is, whenever it is read, the index an eager insert-and-erase on every
// stored record would hold: through few changes (applied one by one), many (built anew), records
// sharing a client time, and reads between changes.

#include "core/lazy_sync_index.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

using namespace herd;

namespace {

// Every (key, client) the index holds, in order.
std::vector<std::pair<reconcile::Key, std::string>> contents(const reconcile::Index& index) {
  std::vector<reconcile::Key> keys;
  std::vector<std::string> clients;
  index.items(reconcile::lowest_key, reconcile::end_key, SIZE_MAX, keys, &clients);
  std::vector<std::pair<reconcile::Key, std::string>> out;
  for (std::size_t i = 0; i < keys.size(); ++i) out.emplace_back(keys[i], clients[i]);
  return out;
}

// What the index must hold: every stored record's key, built from the store afresh.
std::vector<std::pair<reconcile::Key, std::string>> expected(const LocationStore& store) {
  reconcile::Index fresh;
  store.for_each([&fresh](const RecordView& r) { fresh.insert(sync_key(r), r.client()); });
  return contents(fresh);
}

// Offers a record as the node does, noting the change when the store keeps it.
void offer(LocationStore& store, LazySyncIndex& lazy, const std::string& client,
           std::int64_t seconds, std::int32_t nanos, const std::string& server) {
  std::string line = "AT " + server + " +0.1 " + client + " +1+1 " + std::to_string(seconds) + "." +
                     std::to_string(nanos);
  RecordView record;
  REQUIRE(record_from_at_line(line, record));
  std::optional<LocationStore::Replaced> replaced;
  if (store.offer(record, &replaced)) lazy.changed(client, replaced);
}

void churn(LocationStore& store, LazySyncIndex& lazy, std::mt19937_64& random, int offers,
           int clients, int seconds = 40) {
  for (int i = 0; i < offers; ++i)
    // Few distinct times, so records of different clients share one and a client's record is
    // often replaced by a newer one at the same second.
    offer(store, lazy, "c" + std::to_string(random() % clients),
          static_cast<std::int64_t>(random() % seconds), static_cast<std::int32_t>(random() % 2),
          random() % 2 ? "Clark" : "Bona");
}

}  // namespace

TEST_CASE("a few changes are applied when the index is read, as an eager index would hold them") {
  LocationStore store;
  LazySyncIndex lazy;
  std::mt19937_64 random(7);
  for (int round = 0; round < 50; ++round) {
    churn(store, lazy, random, 30, 60);
    CHECK(lazy.pending() <= 30);
    CHECK(contents(lazy.current(store)) == expected(store));
    CHECK(lazy.pending() == 0);
  }
}

TEST_CASE("many changes between reads stop being noted and the index is built anew") {
  LocationStore store;
  LazySyncIndex lazy;
  std::mt19937_64 random(11);
  churn(store, lazy, random, 20000, 5000, 1'000'000);
  // The notes are bounded: past the threshold the next read rebuilds instead.
  CHECK(lazy.pending() == SIZE_MAX);
  CHECK(contents(lazy.current(store)) == expected(store));
  CHECK(lazy.pending() == 0);
  churn(store, lazy, random, 100, 5000, 1'000'000);
  CHECK(lazy.pending() > 0);
  CHECK(lazy.pending() <= 100);
  CHECK(contents(lazy.current(store)) == expected(store));
}

TEST_CASE("an index never read is still right at its first read") {
  LocationStore store;
  LazySyncIndex lazy;
  CHECK(lazy.current(store).size() == 0);
  offer(store, lazy, "kiwi", 5, 0, "Clark");
  offer(store, lazy, "kiwi", 4, 0, "Clark");  // stale: the store keeps the first
  offer(store, lazy, "kiwi", 6, 0, "Bona");
  offer(store, lazy, "lime", 6, 0, "Bona");
  REQUIRE(lazy.current(store).size() == 2);
  CHECK(contents(lazy.current(store)) == expected(store));
}
