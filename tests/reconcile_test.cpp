// Range-based reconciliation on random stores: the initiator sends exactly the records the
// responder lacks or holds older (what a full snapshot would change there), in few rounds and
// few bytes, and a hostile message is refused with bounded work.

#include "core/reconcile.hpp"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>

using namespace herd;
using namespace herd::reconcile;

namespace {

// A store as the index sees it: a client's newest AT line.
struct Side {
  std::map<std::string, std::pair<Key, std::string>> records;  // client -> key, line
  Index index;

  void put(const std::string& client, std::int64_t seconds, std::int32_t nanos,
           const std::string& server) {
    std::string line = "AT " + server + " +0.1 " + client + " +1+1 " + std::to_string(seconds) +
                       "." + std::to_string(nanos);
    Key key{seconds, nanos, item_id(line)};
    if (auto it = records.find(client); it != records.end()) {
      if (!(it->second.first < key)) return;  // keeps the newer, as the store does
      index.erase(it->second.first);
    }
    records[client] = {key, line};
    index.insert(key, client);
  }
};

struct Outcome {
  std::set<std::string> sent;
  std::size_t rounds = 0, bytes_out = 0, bytes_back = 0;
  bool failed = false;
};

Outcome run_sync(const Side& initiator, const Side& responder) {
  Outcome out;
  Initiator sync(initiator.index);
  std::vector<std::string> send;
  while (auto message = sync.next_message()) {
    out.bytes_out += message->size() + 1;
    auto reply = respond(responder.index, *message);
    REQUIRE(reply);
    out.bytes_back += reply->size() + 1;
    if (!sync.on_reply(*reply, send)) {
      out.failed = true;
      break;
    }
  }
  out.rounds = sync.rounds();
  out.sent.insert(send.begin(), send.end());
  return out;
}

// What a snapshot would change at the responder: every initiator record it lacks or holds older.
std::set<std::string> snapshot_changes(const Side& initiator, const Side& responder) {
  std::set<std::string> out;
  for (const auto& [client, record] : initiator.records) {
    auto it = responder.records.find(client);
    if (it == responder.records.end() || it->second.first < record.first) out.insert(client);
  }
  return out;
}

}  // namespace

TEST_CASE("keys read back as written, and a bad key is refused") {
  for (Key key : {Key{1700000000, 500000000, 0}, Key{0, 0, 0xffffffffffffffffULL},
                  Key{-5, 999999999, 1}, end_key}) {
    auto back = parse_key(key_text(key));
    REQUIRE(back);
    CHECK(*back == key);
  }
  for (const char* bad : {"", "1", "1.x", "1.1000000000", "1.2.", "1.2.12345678901234567", "~~"})
    CHECK_FALSE(parse_key(bad));
}

TEST_CASE("the index answers a range's fingerprint as a scan would, through inserts and erases") {
  Index index;
  std::mt19937_64 random(3);
  std::vector<Key> keys;
  for (int i = 0; i < 3000; ++i) {
    Key key{static_cast<std::int64_t>(random() % 50), static_cast<std::int32_t>(random() % 3),
            random()};
    keys.push_back(key);
    index.insert(key, "c" + std::to_string(i));
  }
  for (int i = 0; i < 1000; ++i) CHECK(index.erase(keys[static_cast<std::size_t>(i) * 3]));
  CHECK_FALSE(index.erase(keys[0]));
  std::set<Key> kept;
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (i % 3 != 0 || i >= 3000) kept.insert(keys[i]);
  REQUIRE(index.size() == kept.size());
  std::vector<Key> sorted(kept.begin(), kept.end());
  for (std::size_t r = 0; r < sorted.size(); r += 97) CHECK(index.at(r) == sorted[r]);
  for (int trial = 0; trial < 200; ++trial) {
    Key a{static_cast<std::int64_t>(random() % 52) - 1, 0, random()};
    Key b{static_cast<std::int64_t>(random() % 52) - 1, 1, random()};
    if (b < a) std::swap(a, b);
    Fingerprint scan;
    for (const auto& k : kept)
      if (!(k < a) && k < b) {
        ++scan.count;
        scan.sum += k.id;
      }
    CHECK(index.fingerprint(a, b) == scan);
    std::vector<Key> listed;
    index.items(a, b, 5, listed);
    CHECK(listed.size() == std::min<std::size_t>(5, scan.count));
  }
}

TEST_CASE("random stores: the initiator sends exactly what a snapshot would change") {
  std::mt19937_64 random(11);
  for (int trial = 0; trial < 40; ++trial) {
    Side a, b;
    const int clients = 1 + static_cast<int>(random() % 3000);
    const int differ = static_cast<int>(random() % 200);
    for (int c = 0; c < clients; ++c) {
      auto name = "client-" + std::to_string(c);
      // Ties on the timestamp: many clients report at the same instant.
      std::int64_t t = 1700000000 + static_cast<std::int64_t>(random() % 20);
      a.put(name, t, 0, "Bailey");
      b.put(name, t, 0, "Bailey");
    }
    for (int d = 0; d < differ; ++d) {
      auto name = "client-" + std::to_string(random() % (clients + 50));
      std::int64_t t = 1700000000 + static_cast<std::int64_t>(random() % 40);
      // Either side newer, or the same instant from another server (the tie-break's case).
      const char* server = random() % 2 ? "Clark" : "Bona";
      (random() % 2 ? a : b).put(name, t, static_cast<std::int32_t>(random() % 2), server);
    }
    auto out = run_sync(a, b);
    CHECK_FALSE(out.failed);
    auto expected = snapshot_changes(a, b);
    // Extra sends are only records the responder holds a different one of the same age: they
    // cost a line and change nothing; every record a snapshot would change is sent.
    for (const auto& client : expected) CHECK(out.sent.count(client) == 1);
    for (const auto& client : out.sent)
      if (!expected.count(client)) {
        auto it = b.records.find(client);
        REQUIRE(it != b.records.end());
        CHECK_FALSE(it->second.first < a.records.at(client).first);
      }
  }
}

TEST_CASE("equal stores finish in one round trip, one difference in a large store in three") {
  Side a, b;
  for (int c = 0; c < 100'000; ++c) {
    auto name = "c" + std::to_string(c);
    a.put(name, 1700000000 + c / 7, c % 7, "Bailey");
    b.put(name, 1700000000 + c / 7, c % 7, "Bailey");
  }
  auto same = run_sync(a, b);
  CHECK(same.rounds == 1);
  CHECK(same.sent.empty());
  CHECK(same.bytes_out + same.bytes_back < 100);
  a.put("c5000", 1800000000, 0, "Clark");
  auto one = run_sync(a, b);
  CHECK(one.sent == std::set<std::string>{"c5000"});
  CHECK(one.rounds <= 3);
  CHECK(one.bytes_out + one.bytes_back < 4096);
  MESSAGE("d=1 of 100,000: " << one.rounds << " rounds, " << one.bytes_out << " + "
                             << one.bytes_back << " bytes");
}

TEST_CASE("an empty neighbour gets everything, and an empty initiator sends nothing") {
  Side full, empty;
  for (int c = 0; c < 500; ++c) full.put("c" + std::to_string(c), 1700000000 + c, 0, "Bona");
  CHECK(run_sync(full, empty).sent.size() == 500);
  CHECK(run_sync(empty, full).sent.empty());
}

TEST_CASE("hostile or broken messages are refused, with bounded work") {
  Side b;
  for (int c = 0; c < 100; ++c) b.put("c" + std::to_string(c), 1700000000 + c, 0, "Bona");
  for (const char* bad : {"HERD-SYNC Fx:1:2", "HERD-SYNC F~:1", "HERD-SYNC F~:x:2",
                          "HERD-SYNC Q~:1:2", "HERD-SYNC @5.0 F-1.0:1:1", "HERD-SYNC L~:1.0,zz",
                          "HERD-SYNC N1.0", "HERD-SYNC F", "HERD-SYNC L5.0:6.0", "NOT-SYNC F~:1:1"})
    CHECK_FALSE(respond(b.index, bad));
  // Too many items, or a list past its bound.
  std::string many = "HERD-SYNC";
  for (int i = 1; i <= 40; ++i) many += " F" + std::to_string(i) + ".0:1:1";
  CHECK_FALSE(respond(b.index, many));
  std::string long_list = "HERD-SYNC L~:";
  for (int i = 0; i < 20; ++i) long_list += (i ? "," : "") + std::to_string(i) + ".0";
  CHECK_FALSE(respond(b.index, long_list));
  // A well-formed message is answered: fingerprints of its parts, each range once.
  auto answer = respond(b.index, "HERD-SYNC F~:0:0");
  REQUIRE(answer);
  auto items = parse_message(*answer);
  REQUIRE(items);
  CHECK(items->size() == parts);
}

TEST_CASE("messages past the budget end the reconciliation, so many differences go whole") {
  Side a, b;
  for (int c = 0; c < 20'000; ++c) {
    a.put("c" + std::to_string(c), 1700000000 + c, 0, "Bona");
    if (c % 3) b.put("c" + std::to_string(c), 1700000000 + c, 0, "Bona");  // a third missing
  }
  std::size_t store_bytes = 0;
  for (const auto& [client, record] : a.records) store_bytes += record.second.size() + 1;
  Initiator sync(a.index, message_budget(store_bytes));
  std::vector<std::string> send;
  while (auto message = sync.next_message()) {
    auto reply = respond(b.index, *message);
    REQUIRE(reply);
    REQUIRE(sync.on_reply(*reply, send));
  }
  CHECK(sync.gave_up());
  // It stopped before a message whose answer could pass the budget: never past it.
  CHECK(sync.message_bytes() <= message_budget(store_bytes));
}

TEST_CASE("a peer that keeps differing past the round limit ends the reconciliation") {
  Side a;
  for (int c = 0; c < 2000; ++c) a.put("c" + std::to_string(c), 1700000000 + c, 0, "Bona");
  Initiator sync(a.index);
  std::vector<std::string> send;
  bool ended = false;
  for (std::size_t round = 0; round < rounds_at_most + 5 && !ended; ++round) {
    auto message = sync.next_message();
    if (!message) break;
    // A liar: always one fingerprint over everything that never matches.
    ended = !sync.on_reply("HERD-SYNC F~:1:1", send);
  }
  CHECK(ended);
}

TEST_CASE("an index assigned a store's items at once answers as one built by inserts") {
  std::mt19937_64 random(5);
  for (std::size_t size : {0, 1, 2, 7, 5000}) {
    Index inserted;
    std::vector<std::pair<Key, std::string>> items;
    for (std::size_t i = 0; i < size; ++i) {
      // Few times, so many keys share one and only their ids order them.
      Key key{static_cast<std::int64_t>(random() % 100), static_cast<std::int32_t>(random() % 2),
              random()};
      items.emplace_back(key, "c" + std::to_string(i));
      inserted.insert(key, items.back().second);
    }
    Index assigned;
    assigned.insert({1, 1, 1}, "left over");  // what assign replaces
    assigned.assign(items);
    REQUIRE(assigned.size() == inserted.size());
    for (std::size_t r = 0; r < size; r += 7) CHECK(assigned.at(r) == inserted.at(r));
    for (int trial = 0; trial < 100; ++trial) {
      Key a{static_cast<std::int64_t>(random() % 102) - 1, 0, random()};
      Key b{static_cast<std::int64_t>(random() % 102) - 1, 1, random()};
      if (b < a) std::swap(a, b);
      CHECK(assigned.fingerprint(a, b) == inserted.fingerprint(a, b));
    }
    // It stays a working tree: erases and inserts after it keep it equal to the other.
    for (std::size_t i = 0; i < size; i += 3) {
      CHECK(assigned.erase(items[i].first));
      CHECK(inserted.erase(items[i].first));
    }
    Key extra{50, 0, 42};
    assigned.insert(extra, "extra");
    inserted.insert(extra, "extra");
    REQUIRE(assigned.size() == inserted.size());
    CHECK(assigned.fingerprint(lowest_key, end_key) == inserted.fingerprint(lowest_key, end_key));
    CHECK(assigned.client_of(extra) != nullptr);
  }
}
