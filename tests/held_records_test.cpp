// The one tracker of what servers hold (sim/world/held_records.hpp): its constant-time answer to
// "does every live server hold the newest record of every client" agrees with the checker's full
// comparison, whatever order records, expectations, crashes and restarts come in.

#include "sim/world/held_records.hpp"

#include <doctest/doctest.h>

#include <random>

#include "core/protocol.hpp"
#include "sim/checker/checker.hpp"

using namespace herd;

namespace {

std::string at(const std::string& origin, const std::string& client, int time) {
  return "AT " + origin + " +0.000000001 " + client + " +1+1 " + std::to_string(1700000000 + time);
}

}  // namespace

TEST_CASE("a herd holds what it should once every live server holds every newest record") {
  HeldRecords held({"A", "B"});
  CHECK(held.all_hold_expected());  // nothing accepted, nothing held
  held.expect(at("A", "kiwi", 1));
  CHECK_FALSE(held.all_hold_expected());
  held.stored("A", at("A", "kiwi", 1));
  CHECK_FALSE(held.all_hold_expected());
  held.stored("B", at("A", "kiwi", 1));
  CHECK(held.all_hold_expected());
  held.expect(at("B", "kiwi", 2));  // a newer one
  CHECK_FALSE(held.all_hold_expected());
  held.stored("A", at("B", "kiwi", 2));
  held.stored("B", at("B", "kiwi", 2));
  CHECK(held.all_hold_expected());
  // A crashed server is not held to it; restarted, it must catch up.
  held.set_live("B", false);
  held.forget("B");
  CHECK(held.all_hold_expected());
  held.set_live("B", true);
  CHECK_FALSE(held.all_hold_expected());
  held.stored("B", at("B", "kiwi", 2));
  CHECK(held.all_hold_expected());
  // A record nobody accepted (its reply was lost) keeps the herd from matching.
  held.stored("A", at("A", "stray", 3));
  CHECK_FALSE(held.all_hold_expected());
  CHECK(held.record("A", "kiwi") == at("B", "kiwi", 2));
  CHECK(held.count("A") == 2);
  CHECK(held.records("B").size() == 1);
}

TEST_CASE("a stored line gets one number, whether it is the expected one or not") {
  HeldRecords held({"A", "B"});
  // Stored before it is expected, then after: the same line, the same number.
  auto early = held.stored("B", at("A", "kiwi", 1));
  held.expect(at("A", "kiwi", 1));
  auto late = held.stored("A", at("A", "kiwi", 1));
  CHECK(early != TextInterner::none);
  CHECK(late == early);
  // An older line than the expected one is numbered as itself, and the herd is off.
  held.expect(at("B", "kiwi", 2));
  auto newest = held.stored("A", at("B", "kiwi", 2));
  auto stale = held.stored("B", at("A", "kiwi", 1));
  CHECK(newest != early);
  CHECK(stale == early);
  CHECK_FALSE(held.all_hold_expected());
  CHECK(held.record("B", "kiwi") == at("A", "kiwi", 1));
  // Not a line of any client, or no such server: no number.
  CHECK(held.stored("A", "AT") == TextInterner::none);
  CHECK(held.stored("Z", at("A", "kiwi", 1)) == TextInterner::none);
}

TEST_CASE("the tracker agrees with the checker over random histories") {
  const std::vector<std::string> servers = {"A", "B", "C", "D"};
  const std::vector<std::string> clients = {"k0", "k1", "k2"};
  for (unsigned seed = 1; seed <= 200; ++seed) {
    std::mt19937 random(seed);
    HeldRecords held(servers);
    History history;
    std::map<std::string, bool> live;
    Holdings actual;
    for (const auto& s : servers) live[s] = true, actual[s];
    for (int step = 0; step < 60; ++step) {
      auto server = servers[random() % servers.size()];
      auto client = clients[random() % clients.size()];
      auto line = at(servers[random() % servers.size()], client, static_cast<int>(random() % 5));
      switch (random() % 5) {
        case 0:
        case 1:
          // A store keeps only what is newer, as a node does.
          if (live[server]) {
            auto& mine = actual[server];
            Record incoming, current;
            REQUIRE(record_from_at_line(line, incoming));
            auto it = mine.find(client);
            if (it == mine.end() ||
                (record_from_at_line(it->second, current) && is_newer(incoming, current))) {
              mine[client] = line;
              held.stored(server, line);
            }
          }
          break;
        case 2:
          history.accept(line);
          held.expect(history.expected().at(client).line);
          break;
        case 3:
          live[server] = !live[server];
          held.set_live(server, live[server]);
          if (!live[server]) {
            actual[server].clear();
            held.forget(server);
          }
          break;
        default:
          break;
      }
      Holdings of_live;
      for (const auto& s : servers)
        if (live[s]) of_live[s] = actual[s];
      bool expected = check_convergence(history, of_live).converged;
      REQUIRE_MESSAGE(held.all_hold_expected() == expected, "seed " << seed << " step " << step);
    }
  }
}

TEST_CASE("a server's place is a hint: a wrong one still records what the named server holds") {
  HeldRecords held({"A", "B", "C"});
  held.expect(at("A", "kiwi", 1));
  held.stored("A", at("A", "kiwi", 1), "kiwi", 0);  // its own place
  held.stored("B", at("A", "kiwi", 1), "kiwi", 0);  // A's place, B's name: B's record
  held.stored("C", at("A", "kiwi", 1), "kiwi", 7);  // no such place
  CHECK(held.records("A").size() == 1);
  CHECK(held.records("B").size() == 1);
  CHECK(held.records("C").size() == 1);
  CHECK(held.all_hold_expected());
}
