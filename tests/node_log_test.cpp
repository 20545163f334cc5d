#include "core/node_log.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/text_file.hpp"
#include "tests/temp_dir.hpp"

using namespace herd;

using herd::test::TempDir;

TEST_CASE("log lines carry UTC time to the microsecond, also across second and day boundaries") {
  TempDir dir;
  {
    NodeLog log;
    REQUIRE(log.open(dir.path.string(), "Clark"));
    log.write(1'621'464'827'959'498'503, "IN", "[peer]", "AT x");
    log.write(1'621'464'827'000'001'999, "OUT", "same second, small fraction");
    log.write(1'621'464'828'000'000'000, "IN", "", "next second");
    log.write(1'704'067'199'999'999'999, "NOTE", "last microsecond of 2023");
    log.write(1'704'067'200'000'000'000, "NOTE", "first of 2024");
  }  // closing flushes
  std::string text;
  REQUIRE(read_text_file((dir.path / "Clark.log").string(), text));
  CHECK(text ==
        "2021-05-19T22:53:47.959498Z IN [peer] AT x\n"
        "2021-05-19T22:53:47.000001Z OUT same second, small fraction\n"
        "2021-05-19T22:53:48.000000Z IN next second\n"
        "2023-12-31T23:59:59.999999Z NOTE last microsecond of 2023\n"
        "2024-01-01T00:00:00.000000Z NOTE first of 2024\n");
}

TEST_CASE("a log with no directory is off and writes nothing") {
  NodeLog log;
  REQUIRE(log.open("", "Clark"));
  CHECK_FALSE(log.enabled());
  log.write(1, "IN", "ignored");  // must not crash
}

TEST_CASE("a text with newlines (a WHATSAT reply) is logged as one line") {
  TempDir dir;
  {
    NodeLog log;
    REQUIRE(log.open(dir.path.string(), "Clark"));
    log.write(1'621'464'827'959'498'503, "OUT", "[client]",
              "AT Clark +0.1 kiwi +1+1 5\n{\n   \"results\" : [],\n   \"status\" : \"OK\"\n}\n\n");
    log.write(1'621'464'827'959'498'503, "IN", "[Jaquez]", "(stale)", "AT Bona +0.2 kiwi +1+1 4");
  }
  std::string text;
  REQUIRE(read_text_file((dir.path / "Clark.log").string(), text));
  CHECK(text ==
        "2021-05-19T22:53:47.959498Z OUT [client] AT Clark +0.1 kiwi +1+1 5 { \"results\" : [], "
        "\"status\" : \"OK\" }\n"
        "2021-05-19T22:53:47.959498Z IN [Jaquez] (stale) AT Bona +0.2 kiwi +1+1 4\n");
}

TEST_CASE(
    "a client's control bytes are escaped and its long lines capped, our answers stay whole") {
  TempDir dir;
  const std::string long_id(60'000, 'x');
  const std::string reply = "AT Clark +0.1 kiwi +1+1 5\n" + std::string(5000, 'r');
  {
    NodeLog log;
    REQUIRE(log.open(dir.path.string(), "Clark"));
    log.write(1'621'464'827'959'498'503, "IN", "[client]", "IAMAT esc\x1b]0;PWNED\x07 +1+1 1");
    log.write(1'621'464'827'959'498'503, "IN", "[client]", "IAMAT " + long_id + " +1+1 1");
    log.write(1'621'464'827'959'498'503, "OUT", "[client]", "? IAMAT " + long_id + " +1+1 1");
    log.write(1'621'464'827'959'498'503, "OUT", "[client]", reply);
  }
  std::string text;
  REQUIRE(read_text_file((dir.path / "Clark.log").string(), text));
  CHECK(text.find("IAMAT esc\\x1b]0;PWNED\\x07 +1+1 1\n") != std::string::npos);
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find('\x07') == std::string::npos);
  // 2048 bytes of each long client line, then how many more there were.
  CHECK(text.find("IN [client] IAMAT " + std::string(2042, 'x') + " ...[57965 more bytes]\n") !=
        std::string::npos);
  CHECK(text.find("OUT [client] ? IAMAT " + std::string(2040, 'x') + " ...[57967 more bytes]\n") !=
        std::string::npos);
  CHECK(text.find(std::string(5000, 'r') + "\n") != std::string::npos);  // our own reply, whole
  CHECK(text.size() < 16'000);
}
