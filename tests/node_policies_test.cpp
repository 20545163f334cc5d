// The node's small policies, pure: when a link tries again, which client is the longest idle,
// how many clients a server takes by default.

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "core/idle_order.hpp"
#include "core/open_files.hpp"
#include "core/reconnect_backoff.hpp"

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

TEST_CASE("the default client cap is a share of the open-file limit, within bounds") {
  CHECK(default_client_cap(20000, 1) == 20000 - 64 - 48);
  CHECK(default_client_cap(20000, 5) == (20000 - 64 - 48 * 5) / 5);
  CHECK(default_client_cap(1024, 1) == 1024 - 64 - 48);
  CHECK(default_client_cap(100, 5) == 16);  // never below 16
  CHECK(default_client_cap(1 << 30, 1) == max_default_clients);
}
