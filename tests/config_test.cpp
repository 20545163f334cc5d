#include "core/config.hpp"

#include <doctest/doctest.h>

using namespace herd;

namespace {

std::string error_of(std::string_view text) {
  auto result = parse_config(text, "herd.json");
  REQUIRE_FALSE(result);
  return result.error();
}

}  // namespace

TEST_CASE("the default topology is the five servers and six links of the spec") {
  auto t = default_topology();
  REQUIRE(t.servers.size() == 5);
  CHECK(t.find("Bailey")->port == 12000);
  CHECK(t.find("Bona")->port == 12001);
  CHECK(t.find("Campbell")->port == 12002);
  CHECK(t.find("Clark")->port == 12003);
  CHECK(t.find("Jaquez")->port == 12004);
  CHECK(t.links.size() == 6);
  CHECK(t.neighbours("Clark") == std::vector<std::string>{"Jaquez", "Bona"});
  CHECK(t.neighbours("Campbell") == std::vector<std::string>{"Bailey", "Bona", "Jaquez"});
  CHECK(t.validate());
}

TEST_CASE("a base port shifts every port by the same amount") {
  auto t = default_topology();
  REQUIRE(t.shift_ports(20000));
  CHECK(t.find("Bailey")->port == 20000);
  CHECK(t.find("Jaquez")->port == 20004);
  CHECK_FALSE(t.shift_ports(65533));
  CHECK(t.find("Bailey")->port == 20000);
}

TEST_CASE("a ring of n servers has n links") {
  auto t = ring_topology(50);
  CHECK(t.servers.size() == 50);
  CHECK(t.links.size() == 50);
  CHECK(t.neighbours("N0") == std::vector<std::string>{"N1", "N49"});
  CHECK(t.validate());
}

TEST_CASE("adjacency lists each server's neighbours as neighbours() does, by number") {
  for (const auto& t : {default_topology(), ring_topology(7), random_topology(40, 4, 9)}) {
    auto adjacency = t.adjacency();
    REQUIRE(adjacency.size() == t.servers.size());
    for (std::size_t i = 0; i < t.servers.size(); ++i) {
      std::vector<std::string> names;
      for (auto n : adjacency[i]) names.push_back(t.servers[n].name);
      CHECK(names == t.neighbours(t.servers[i].name));
    }
  }
  Topology odd;
  odd.servers = {{"A"}, {"B"}};
  odd.links = {{"A", "Ghost"}, {"B", "A"}};
  CHECK(odd.adjacency() == std::vector<std::vector<std::size_t>>{{1}, {0}});
}

TEST_CASE("a config file gives names, hosts, ports and links") {
  auto result = parse_config(R"({"servers": [{"name": "A", "port": 9000},
                                               {"name": "B", "port": 9001, "host": "localhost"}],
                                   "links": [["A", "B"]]})",
                             "herd.json");
  REQUIRE(result);
  auto t = *result;
  CHECK(t.find("A")->host == "127.0.0.1");
  CHECK(t.find("B")->host == "localhost");
  CHECK(t.find("B")->port == 9001);
  CHECK(t.neighbours("A") == std::vector<std::string>{"B"});
}

TEST_CASE("a config round-trips through its JSON form") {
  auto result = parse_config(config_to_json(default_topology()), "x");
  REQUIRE(result);
  CHECK(result->links == default_topology().links);
}

TEST_CASE("config that is not JSON names the file and the parse position") {
  auto message = error_of("{\"servers\": [");
  CHECK(message.find("herd.json: not valid JSON") == 0);
  CHECK(message.find("line 1") != std::string::npos);
}

TEST_CASE("config without servers says the field is missing") {
  CHECK(error_of("{}") == "herd.json: config.servers: expected a value (it is missing)");
}

TEST_CASE("config with a bad port names the server's index and the port") {
  CHECK(error_of(R"({"servers": [{"name": "A", "port": 1}, {"name": "B", "port": "x"}]})") ==
        "herd.json: servers[1].port: expected an integer from 1 to 65535, got \"x\"");
  CHECK(error_of(R"({"servers": [{"name": "A", "port": 70000}]})") ==
        "herd.json: servers[0].port: expected an integer from 1 to 65535, got 70000");
}

TEST_CASE("config with an unnamed server says which one") {
  CHECK(error_of(R"({"servers": [{"name": "", "port": 1}]})") ==
        "herd.json: servers[0].name: expected a non-empty server name, got \"\"");
}

TEST_CASE("config with an unknown field names it") {
  CHECK(error_of(R"({"servers": [{"name": "A", "port": 1, "prot": 2}]})") ==
        "herd.json: servers[0].prot: expected one of name, port, host (unknown field)");
  CHECK(error_of(R"({"servers": [{"name": "A", "port": 1}], "linsk": []})") ==
        "herd.json: linsk: expected one of servers, links, secret, description (unknown field)");
}

TEST_CASE("config with a malformed link names the link") {
  CHECK(error_of(R"({"servers": [{"name": "A", "port": 1}], "links": [["A"]]})") ==
        "herd.json: links[0]: expected a pair of server names, got [\"A\"]");
}

TEST_CASE("config whose link names an unknown server says so") {
  CHECK(error_of(R"({"servers": [{"name": "A", "port": 1}], "links": [["A", "Q"]]})") ==
        "herd.json: servers/links: expected a sound topology: link names unknown server \"Q\"");
}

TEST_CASE("config with duplicate names, ports or links is rejected") {
  CHECK(error_of(R"({"servers": [{"name": "A", "port": 1}, {"name": "A", "port": 2}]})")
            .find("appears twice") != std::string::npos);
  CHECK(error_of(R"({"servers": [{"name": "A", "port": 1}, {"name": "B", "port": 1}]})")
            .find("used twice") != std::string::npos);
  CHECK(error_of(R"({"servers": [{"name": "A", "port": 1}, {"name": "B", "port": 2}],
                     "links": [["A", "B"], ["B", "A"]]})")
            .find("appears twice") != std::string::npos);
  CHECK(error_of(R"({"servers": [{"name": "A", "port": 1}], "links": [["A", "A"]]})")
            .find("to itself") != std::string::npos);
}

TEST_CASE("a server name with whitespace, a NUL or markup is rejected") {
  for (const char* name : {"A B", "nul\\u0000byte", "<b>Bold</b>", "a/b"})
    CHECK_MESSAGE(
        error_of(R"({"servers": [{"name": ")" + std::string(name) + R"(", "port": 1}]})")
                .find("is not 1 to 64 letters, digits, '-', '_' or '.'") != std::string::npos,
        name);
}

TEST_CASE("a config nested without end is refused before it is parsed") {
  CHECK(error_of(std::string(100000, '[')).find("nested more than 64 levels") != std::string::npos);
}

TEST_CASE("a missing config file is a clear error") {
  auto result = load_config("/nonexistent/herd.json");
  REQUIRE_FALSE(result);
  CHECK(result.error() ==
        "/nonexistent/herd.json: cannot open the file: No such file or directory");
}

TEST_CASE("a number too large for any type is a clear error, not a crash") {
  CHECK(error_of(R"({"servers": [{"name": "A", "port": 1e999999}]})")
            .starts_with("herd.json: not valid JSON: "));
}

TEST_CASE("a base port of 0 puts every default server on any free port") {
  for (const auto& s : default_topology(0).servers) CHECK(s.port == 0);
}
