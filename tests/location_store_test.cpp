#include "core/location_store.hpp"

#include <doctest/doctest.h>

using namespace herd;

namespace {

Record at(std::string_view line) {
  Record r;
  REQUIRE(record_from_at_line(line, r));
  return r;
}

}  // namespace

TEST_CASE("the first record for a client is stored") {
  LocationStore store;
  auto r = at("AT Clark +0.1 kiwi +1+1 100");
  CHECK(store.offer(std::move(r)) != nullptr);
  REQUIRE(store.find("kiwi") != nullptr);
  CHECK(store.find("kiwi")->line == "AT Clark +0.1 kiwi +1+1 100");
  CHECK(store.size() == 1);
}

TEST_CASE("a newer client time replaces the stored record") {
  LocationStore store;
  auto old_record = at("AT Clark +0.1 kiwi +1+1 100");
  auto new_record = at("AT Bona +0.1 kiwi +2+2 100.5");
  REQUIRE(store.offer(std::move(old_record)) != nullptr);
  CHECK(store.offer(std::move(new_record)) != nullptr);
  CHECK(store.find("kiwi")->line == "AT Bona +0.1 kiwi +2+2 100.5");
}

TEST_CASE("a stale AT does not replace a newer record") {
  LocationStore store;
  auto newer = at("AT Clark +0.1 kiwi +1+1 200");
  auto stale = at("AT Zed +0.1 kiwi +2+2 199.999999999");
  REQUIRE(store.offer(std::move(newer)) != nullptr);
  CHECK(store.offer(std::move(stale)) == nullptr);
  CHECK(stale.line == "AT Zed +0.1 kiwi +2+2 199.999999999");  // left intact for the caller
  CHECK(store.find("kiwi")->line == "AT Clark +0.1 kiwi +1+1 200");
}

TEST_CASE("the same record offered twice is stale the second time") {
  LocationStore store;
  auto a = at("AT Clark +0.1 kiwi +1+1 200");
  auto b = at("AT Clark +0.1 kiwi +1+1 200");
  REQUIRE(store.offer(std::move(a)) != nullptr);
  CHECK(store.offer(std::move(b)) == nullptr);
}

TEST_CASE("equal client times are broken by server name, whichever arrives first") {
  auto bona = at("AT Bona +0.5 kiwi +1+1 200");
  auto clark = at("AT Clark +0.1 kiwi +2+2 200.000");
  CHECK(is_newer(clark, bona));
  CHECK_FALSE(is_newer(bona, clark));
  for (int order = 0; order < 2; ++order) {
    LocationStore store;
    auto first = order == 0 ? bona : clark;
    auto second = order == 0 ? clark : bona;
    (void)store.offer(std::move(first));
    (void)store.offer(std::move(second));
    CHECK(store.find("kiwi")->line == "AT Clark +0.1 kiwi +2+2 200.000");
  }
}

TEST_CASE("equal client times from one server are broken by the whole line") {
  auto a = at("AT Clark +0.1 kiwi +1+1 200");
  auto b = at("AT Clark +0.2 kiwi +1+1 200");
  CHECK(is_newer(b, a));
  CHECK_FALSE(is_newer(a, b));
}

TEST_CASE("records for different clients are independent") {
  LocationStore store;
  auto a = at("AT Clark +0.1 a +1+1 200");
  auto b = at("AT Clark +0.1 b +1+1 100");
  (void)store.offer(std::move(a));
  (void)store.offer(std::move(b));
  CHECK(store.size() == 2);
  CHECK(store.find("a") != nullptr);
  CHECK(store.find("b") != nullptr);
  CHECK(store.find("c") == nullptr);
}

TEST_CASE("a stored AT line loses only its outer whitespace") {
  auto r = at("  AT Clark +0.1 kiwi +1+1 200 \r");
  CHECK(r.line == "AT Clark +0.1 kiwi +1+1 200");
  CHECK(r.server() == "Clark");
  CHECK(r.client() == "kiwi");
}
