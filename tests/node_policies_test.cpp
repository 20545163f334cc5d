// The node's small policies, pure: when a link tries again, which client is the longest idle,
// how many clients a server takes by default.

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "core/client_budget.hpp"
#include "core/constant_time.hpp"
#include "core/idle_order.hpp"
#include "core/json_limits.hpp"
#include "core/note_throttle.hpp"
#include "core/open_files.hpp"
#include "core/reconnect_backoff.hpp"
#include "core/topology.hpp"

using namespace herd;

TEST_CASE("a link's backoff doubles to the maximum, with jitter in the upper half") {
  ReconnectBackoff backoff(20, 1000, 1000, 7);
  int expected_top = 20;
  for (int attempt = 0; attempt < 10; ++attempt) {
    int delay = backoff.next_delay_ms();
    CHECK(delay >= expected_top / 2);
    CHECK(delay <= expected_top);
    expected_top = std::min(expected_top * 2, 1000);
  }
  CHECK(backoff.current_ms() == 1000);
}

TEST_CASE("only a connection that stayed up starts the backoff over") {
  ReconnectBackoff backoff(20, 1000, 1000, 7);
  for (int i = 0; i < 4; ++i) (void)backoff.next_delay_ms();
  CHECK(backoff.current_ms() == 320);
  backoff.connection_ended(5);  // a peer that closes at once
  CHECK(backoff.current_ms() == 320);
  backoff.connection_ended(999);
  CHECK(backoff.current_ms() == 320);
  backoff.connection_ended(1000);
  CHECK(backoff.current_ms() == 20);
}

TEST_CASE("the same seed gives the same backoff delays") {
  ReconnectBackoff a(20, 1000, 1000, 42), b(20, 1000, 1000, 42), c(20, 1000, 1000, 43);
  std::vector<int> da, db, dc;
  for (int i = 0; i < 8; ++i) {
    da.push_back(a.next_delay_ms());
    db.push_back(b.next_delay_ms());
    dc.push_back(c.next_delay_ms());
  }
  CHECK(da == db);
  CHECK(da != dc);
}

TEST_CASE("the idle order keeps the longest-idle client in front") {
  IdleOrder order;
  CHECK(order.empty());
  auto first = order.add(1, 100);
  auto second = order.add(2, 200);
  auto third = order.add(3, 300);
  CHECK(order.oldest().id == 1);
  order.touch(first, 400);  // client 1 completed a line
  CHECK(order.oldest().id == 2);
  order.remove(second);  // client 2 turned busy or closed
  CHECK(order.oldest().id == 3);
  CHECK(order.oldest().since_ms == 300);
  order.remove(third);
  order.remove(first);
  CHECK(order.empty());
}

TEST_CASE("a process's client budget is what its open-file limit leaves, never more") {
  // herd up's five servers and six links: 64 + 2 * 5 + 4 * 6 descriptors kept back.
  CHECK(client_budget_slots(20000, 5, 6) == 20000 - 98);
  CHECK(client_budget_slots(1024, 1, 2) == 1024 - 74);
  // A limit that does not cover the reserve: a quarter of it, never the limit or more.
  CHECK(client_budget_slots(64, 5, 6) == 16);
  CHECK(client_budget_slots(3, 5, 6) == 1);
  for (std::uint64_t limit : {8u, 64u, 100u, 1024u, 20000u})
    CHECK(client_budget_slots(limit, 5, 6) < limit);
}

TEST_CASE("servers sharing a budget take what the others leave, and ask the fullest to close one") {
  ClientBudget budget(3);
  int evictions_asked_of_a = 0, a_woken = 0, b_woken = 0;
  auto a = budget.join({[&] { ++evictions_asked_of_a; }, [&] { ++a_woken; }});
  auto b = budget.join({[] {}, [&] { ++b_woken; }});
  CHECK(budget.try_take(a));
  CHECK(budget.try_take(a));
  CHECK(budget.try_take(a));  // one server may hold the whole budget
  CHECK_FALSE(budget.try_take(b));
  CHECK(budget.exhausted());
  budget.reclaim_for(b);  // b has nothing idle to close: the server holding most is asked
  CHECK(evictions_asked_of_a == 1);
  CHECK(b_woken == 0);
  budget.give_back(a);  // a closed one: b, waiting, is woken and takes it
  CHECK(b_woken == 1);
  CHECK(budget.try_take(b));
  budget.leave(a);  // a server that stops gives back all it held
  CHECK(budget.in_use() == 1);
  CHECK(a_woken == 0);
}

TEST_CASE("repeated notes are held back past a few a second, and counted") {
  NoteThrottle throttle(3, 1000);
  std::size_t held = 99;
  for (int i = 0; i < 3; ++i) CHECK(throttle.allow(10, held));
  CHECK(held == 0);
  for (int i = 0; i < 5; ++i) CHECK_FALSE(throttle.allow(20 + i, held));
  CHECK(throttle.allow(1010, held));  // the next second: it goes, and tells of the five
  CHECK(held == 5);
  CHECK(throttle.allow(1011, held));
  CHECK(held == 0);
}

TEST_CASE("JSON nested past the limit is found before parsing, strings aside") {
  CHECK(check_json_nesting(R"({"a": [1, {"b": [2]}]})"));
  CHECK_FALSE(check_json_nesting(std::string(100000, '[')));
  CHECK(check_json_nesting(std::string(100000, '[')).error().starts_with("nested more than 64"));
  CHECK_FALSE(check_json_nesting(std::string(65, '[') + std::string(65, ']')));
  CHECK(check_json_nesting(std::string(64, '[') + std::string(64, ']')));
  // Brackets inside strings, escaped quotes included, do not count.
  CHECK(check_json_nesting("[\"" + std::string(1000, '[') + "\\\"[[\"]"));
}

TEST_CASE("server names are letters, digits, '-', '_' and '.', 1 to 64 of them") {
  for (const char* good : {"Clark", "R00", "node-1", "a_b.c"}) CHECK(is_server_name(good));
  for (std::string bad : {std::string(), std::string("has space"), std::string("<b>x</b>"),
                          std::string("nul\0in", 6), std::string(65, 'a'), std::string("a/b")})
    CHECK_FALSE(is_server_name(bad));
  Topology t;
  t.servers.push_back({"<img src=x onerror=alert(1)>", "127.0.0.1", 0});
  auto sound = t.validate();
  REQUIRE_FALSE(sound);
  CHECK(sound.error().find("letters, digits") != std::string::npos);
}

TEST_CASE("secrets compare equal only when every byte is") {
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "ab"));
  CHECK_FALSE(constant_time_equal("abc", ""));
  CHECK_FALSE(constant_time_equal("", "x"));
  CHECK(constant_time_equal("", ""));
}
