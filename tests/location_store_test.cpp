#include "core/location_store.hpp"

#include <doctest/doctest.h>

using namespace herd;

namespace {

RecordView at(std::string_view line) {
  RecordView r;
  REQUIRE(record_from_at_line(line, r));
  return r;
}

}  // namespace

TEST_CASE("the first record for a client is stored") {
  LocationStore store;
  auto r = at("AT Clark +0.1 kiwi +1+1 100");
  CHECK(store.offer(r).has_value());
  REQUIRE(store.find("kiwi").has_value());
  CHECK(store.find("kiwi")->line == "AT Clark +0.1 kiwi +1+1 100");
  CHECK(store.size() == 1);
}

TEST_CASE("a newer client time replaces the stored record") {
  LocationStore store;
  auto old_record = at("AT Clark +0.1 kiwi +1+1 100");
  auto new_record = at("AT Bona +0.1 kiwi +2+2 100.5");
  REQUIRE(store.offer(old_record).has_value());
  CHECK(store.offer(new_record).has_value());
  CHECK(store.find("kiwi")->line == "AT Bona +0.1 kiwi +2+2 100.5");
}

TEST_CASE("an offer says what it replaced, and nothing when the client is new or it is stale") {
  LocationStore store;
  std::optional<LocationStore::Replaced> replaced;
  REQUIRE(store.offer(at("AT Clark +0.1 kiwi +1+1 100.25"), &replaced).has_value());
  CHECK_FALSE(replaced.has_value());
  REQUIRE(store.offer(at("AT Bona +0.1 kiwi +2+2 101"), &replaced).has_value());
  REQUIRE(replaced.has_value());
  CHECK(replaced->time == Timestamp{100, 250'000'000});
  CHECK(replaced->line_bytes == std::string_view("AT Clark +0.1 kiwi +1+1 100.25").size());
  replaced.reset();
  CHECK_FALSE(store.offer(at("AT Clark +0.1 kiwi +1+1 99"), &replaced).has_value());
  CHECK_FALSE(replaced.has_value());
}

TEST_CASE("a stale AT does not replace a newer record") {
  LocationStore store;
  auto newer = at("AT Clark +0.1 kiwi +1+1 200");
  auto stale = at("AT Zed +0.1 kiwi +2+2 199.999999999");
  REQUIRE(store.offer(newer).has_value());
  CHECK_FALSE(store.offer(stale).has_value());
  CHECK(store.find("kiwi")->line == "AT Clark +0.1 kiwi +1+1 200");
}

TEST_CASE("the same record offered twice is stale the second time") {
  LocationStore store;
  auto a = at("AT Clark +0.1 kiwi +1+1 200");
  auto b = at("AT Clark +0.1 kiwi +1+1 200");
  REQUIRE(store.offer(a).has_value());
  CHECK_FALSE(store.offer(b).has_value());
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
    (void)store.offer(first);
    (void)store.offer(second);
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
  (void)store.offer(a);
  (void)store.offer(b);
  CHECK(store.size() == 2);
  CHECK(store.find("a").has_value());
  CHECK(store.find("b").has_value());
  CHECK_FALSE(store.find("c").has_value());
}

TEST_CASE("a stored AT line loses only its outer whitespace") {
  auto r = at("  AT Clark +0.1 kiwi +1+1 200 \r");
  CHECK(r.line == "AT Clark +0.1 kiwi +1+1 200");
  CHECK(r.server() == "Clark");
  CHECK(r.client() == "kiwi");
  Record owned;
  REQUIRE(record_from_at_line("  AT Clark +0.1 kiwi +1+1 200 \r", owned));
  CHECK(owned.line == "AT Clark +0.1 kiwi +1+1 200");
  CHECK(owned.client() == "kiwi");
}

TEST_CASE("the store keeps its own copy of the line it was offered") {
  LocationStore store;
  std::string line = "AT Clark +0.1 kiwi +1+1 200";
  auto stored = store.offer(at(line));
  REQUIRE(stored.has_value());
  CHECK(stored->line.data() != line.data());
  line.assign(line.size(), 'x');
  CHECK(store.find("kiwi")->line == "AT Clark +0.1 kiwi +1+1 200");
  CHECK(store.find("kiwi")->time == Timestamp{200, 0});
}

TEST_CASE("a client's newer line replaces the old one whether it is shorter or longer") {
  LocationStore store;
  const char* lines[] = {
      "AT Clark +0.1 kiwi +1+1 200",
      "AT Clark +0.123456789 kiwi +34.068930-118.445127 201.5",
      "AT Bona -9 kiwi +0+0 202",
      "AT Jaquez +0.000000001 kiwi +34.068930-118.445127 203.000000000",
  };
  for (const char* line : lines) {
    auto stored = store.offer(at(line));
    REQUIRE(stored.has_value());
    CHECK(stored->line == line);
    CHECK(stored->client() == "kiwi");
    CHECK(store.find("kiwi")->line == line);
  }
  CHECK(store.size() == 1);
  CHECK(store.find("kiwi")->server() == "Jaquez");
  CHECK(store.find("kiwi")->time == Timestamp{203, 0});
}

TEST_CASE("for_each visits every client's newest record once") {
  LocationStore store;
  for (int i = 0; i < 1000; ++i) {
    auto line = "AT Clark +0.1 client-" + std::to_string(i % 250) + " +1+1 " + std::to_string(i);
    (void)store.offer(at(line));
  }
  CHECK(store.size() == 250);
  std::size_t visited = 0;
  store.for_each([&visited](const RecordView& r) {
    ++visited;
    auto client = std::string(r.client());
    int n = std::stoi(client.substr(7));
    CHECK(r.time.seconds >= 750);
    CHECK(r.time.seconds % 250 == n);
  });
  CHECK(visited == 250);
}

TEST_CASE("a client is found whatever whitespace its line has, and a longer name is another") {
  LocationStore store;
  // Given the client as a view of another buffer (as an IAMAT gives it), and with tabs and runs
  // of spaces between the fields (kept in the stored line).
  std::string client = "kiwi";
  REQUIRE(store.offer(at("AT\tClark  +0.1 \t kiwi\t+1+1 100"), client).has_value());
  REQUIRE(store.offer(at("AT Clark +0.1 kiwi.2 +1+1 100")).has_value());
  REQUIRE(store.find("kiwi").has_value());
  CHECK(store.find("kiwi")->line == "AT\tClark  +0.1 \t kiwi\t+1+1 100");
  CHECK(store.find("kiwi.2")->line == "AT Clark +0.1 kiwi.2 +1+1 100");
  CHECK_FALSE(store.find("kiw").has_value());
  CHECK_FALSE(store.find("kiwi\t").has_value());
  // A newer line for the same client replaces it in place, found by its field.
  REQUIRE(store.offer(at("AT Bona +0.1 kiwi +2+2 200"), client).has_value());
  CHECK(store.find("kiwi")->line == "AT Bona +0.1 kiwi +2+2 200");
  CHECK(store.size() == 2);
}

TEST_CASE("looking ahead for a client changes nothing, whatever the store holds") {
  LocationStore store;
  // Empty (no slots yet): nothing to fetch.
  store.look_ahead_line(store.look_ahead("kiwi"));
  CHECK(store.size() == 0);
  RecordView record;
  REQUIRE(record_from_at_line("AT Clark +0.1 kiwi +1+1 1700000000.5", record));
  REQUIRE(store.offer(record));
  for (std::string_view client : {"kiwi", "lime", "", "a client that is not there"})
    store.look_ahead_line(store.look_ahead(client));
  CHECK(store.size() == 1);
  REQUIRE(store.find("kiwi"));
  CHECK(store.find("kiwi")->line == "AT Clark +0.1 kiwi +1+1 1700000000.5");
  // The hash it hands back is the one the store files the client under: a stale offer is still
  // refused after a look ahead.
  RecordView older;
  REQUIRE(record_from_at_line("AT Clark +0.1 kiwi +1+1 1700000000.4", older));
  store.look_ahead_line(store.look_ahead("kiwi"));
  CHECK_FALSE(store.offer(older));
}
