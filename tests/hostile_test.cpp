// Hostile clients and peers on loopback, bounded in count and time. After each, the node answers
// a normal IAMAT correctly and the herd converges.

#include <doctest/doctest.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "core/peer_auth.hpp"
#include "core/text_file.hpp"
#include "tests/temp_dir.hpp"
#include "tests/test_herd.hpp"

using namespace herd;
using namespace herd::test;

namespace {

// The herd still works: a fresh IAMAT is answered and reaches all five.
void still_serves(TestHerd& h, const std::string& tag) {
  std::string at = h.ask("Clark", "IAMAT after-" + tag + " +1+1 1700000000.5");
  CHECK(at.starts_with("AT Clark "));
  CHECK(at.ends_with(" after-" + tag + " +1+1 1700000000.5"));
  CHECK(h.events.wait_for_all(all_five, EventKind::update_stored, at));
}

std::string read_file(const std::filesystem::path& path) {
  std::string text;
  REQUIRE(read_text_file(path.string(), text));
  return text;
}

}  // namespace

TEST_CASE("random bytes, NULs and invalid UTF-8 without newlines harm nothing") {
  TestHerd h;
  std::mt19937 random(7);
  for (int round = 0; round < 20; ++round) {
    LineClient client(h.port("Clark"));
    std::string junk;
    for (int i = 0; i < 2000; ++i) junk.push_back(static_cast<char>(random() % 256));
    if (round % 2 == 0) junk.erase(std::remove(junk.begin(), junk.end(), '\n'), junk.end());
    client.send(junk);
    client.shutdown_write();
    // Every complete line gets one reply, the rest is answered at EOF; then the server closes.
    CHECK(client.read_to_eof().has_value());
  }
  still_serves(h, "junk");
}

TEST_CASE("an over-long line is answered with a marker, logged, and its connection closed") {
  TempDir logs;
  TestHerd h({.max_line_bytes = 1024, .log_dir = logs.path.string()});
  LineClient bystander(h.port("Clark"));
  LineClient client(h.port("Clark"));
  client.send(std::string(5000, 'x'));
  CHECK(client.read_line() == "? [line over 1024 bytes]");
  CHECK(client.read_to_eof() == std::string());
  // The same with the newline inside the write.
  LineClient second(h.port("Clark"));
  second.send("IAMAT a +1+1 1\n" + std::string(2000, 'y') + "\n");
  CHECK(second.read_line()->starts_with("AT Clark "));
  CHECK(second.read_line() == "? [line over 1024 bytes]");
  bystander.send("IAMAT bystander +1+1 1700000000\n");
  CHECK(bystander.read_line()->starts_with("AT Clark "));
  h.herd->node("Clark")->stop_and_wait();  // flushes the log
  CHECK(read_file(logs.path / "Clark.log").find("LIMIT [127.0.0.1:") != std::string::npos);
  CHECK(read_file(logs.path / "Clark.log").find("line over 1024 bytes; closing") !=
        std::string::npos);
}

TEST_CASE("a thousand concurrent connections are all served") {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 8192);
  setrlimit(RLIMIT_NOFILE, &limit);
  REQUIRE(limit.rlim_cur >= 2200);  // both ends of every connection live in this process
  TestHerd h;
  std::vector<std::unique_ptr<LineClient>> clients;
  for (int i = 0; i < 1000; ++i)
    clients.push_back(std::make_unique<LineClient>(h.port(i % 2 ? "Clark" : "Bona")));
  for (int i = 0; i < 1000; ++i)
    clients[i]->send("IAMAT many-" + std::to_string(i) + " +1+1 1700000000\n");
  int answered = 0;
  for (auto& c : clients) answered += c->read_line().value_or("").starts_with("AT ");
  CHECK(answered == 1000);
  clients.clear();
  still_serves(h, "thousand");
}

TEST_CASE("a client that dribbles bytes without a newline is cut off at the idle timeout") {
  TempDir logs;
  TestHerd h({.idle_timeout_ms = 300, .log_dir = logs.path.string()});
  LineClient slow(h.port("Clark"));
  bool closed = false;
  // The attack's own schedule: one byte every 20 ms, for at most 3 s.
  for (int i = 0; i < 150 && !closed; ++i) {
    closed = !slow.try_send("I") || slow.read_to_eof(20).has_value();
  }
  CHECK(closed);
  still_serves(h, "slowloris");
  h.herd->node("Clark")->stop_and_wait();
  CHECK(
      read_file(logs.path / "Clark.log").find("idle for 300 ms without a complete line; closing") !=
      std::string::npos);
}

TEST_CASE("at the connection cap the longest-idle client is closed to admit a new one") {
  TestHerd h({.max_clients = 3});
  std::vector<std::unique_ptr<LineClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<LineClient>(h.port("Jaquez")));
    held.back()->send("IAMAT held-" + std::to_string(i) + " +1+1 1700000000\n");
    REQUIRE(held.back()->read_line().has_value());
  }
  // held[1] speaks again, so held[0] is now the longest idle.
  held[1]->send("IAMAT held-1 +1+1 1700000001\n");
  REQUIRE(held[1]->read_line().has_value());
  LineClient newcomer(h.port("Jaquez"));
  newcomer.send("IAMAT newcomer +1+1 1700000000\n");
  CHECK(newcomer.read_line().value_or("").starts_with("AT Jaquez "));
  CHECK(held[0]->read_to_eof().has_value());  // closed by the server
  for (int i = 1; i < 3; ++i) {
    held[static_cast<std::size_t>(i)]->send("IAMAT again +1+1 1700000002\n");
    CHECK(held[static_cast<std::size_t>(i)]->read_line().value_or("").starts_with("AT Jaquez "));
  }
  // Peer links hold no client slot: the herd still floods.
  std::string flooded = h.ask("Clark", "IAMAT flooded +1+1 1700000000");
  CHECK(h.events.wait_for_all(all_five, EventKind::update_stored, flooded));
}

TEST_CASE("at the cap with every client busy on Places, a new client waits for a slot") {
  TestHerd h({.max_clients = 2});
  std::string at = h.ask("Clark", "IAMAT busy +1+1 1700000000");
  REQUIRE(h.events.wait_for_all({"Jaquez"}, EventKind::update_stored, at));
  PlacesFaults slow;
  slow.latency_ms = 700;
  h.mock.set_faults(slow);
  std::vector<std::unique_ptr<LineClient>> busy;
  for (int i = 0; i < 2; ++i) {
    busy.push_back(std::make_unique<LineClient>(h.port("Jaquez")));
    busy.back()->send("WHATSAT busy 10 1\n");
  }
  // Both are waiting on Places (busy) once Jaquez has read both lines.
  REQUIRE(h.events.wait_for([](const std::vector<RecordedEvent>& all) {
    int read = 0;
    for (const auto& e : all)
      read += e.kind == EventKind::line_in && e.node == "Jaquez" && e.text == "WHATSAT busy 10 1";
    return read == 2;
  }));
  LineClient waiting(h.port("Jaquez"));  // lands in the listen backlog
  waiting.send("IAMAT waiting +1+1 1700000000\n");
  CHECK_FALSE(waiting.read_line(300).has_value());
  // The busy ones are answered, not evicted; then the waiting one gets a slot.
  for (auto& client : busy) CHECK(client->read_through("\n\n").has_value());
  CHECK(waiting.read_line().value_or("").starts_with("AT Jaquez "));
}

TEST_CASE("a flood of connections that open and close at once harms nothing") {
  TestHerd h;
  for (int i = 0; i < 500; ++i) {
    LineClient c(h.port(i % 2 ? "Clark" : "Campbell"));
    if (i % 3 == 0) c.send("IAMAT fl");
  }
  still_serves(h, "flood");
}

TEST_CASE("clients that vanish mid-reply harm nothing") {
  TestHerd h;
  h.ask("Clark", "IAMAT kiwi +1+1 1700000000");
  h.mock.set_faults({.latency_ms = 100});
  for (int i = 0; i < 20; ++i) {
    LineClient c(h.port("Clark"));
    std::string burst;
    for (int k = 0; k < 50; ++k) burst += "IAMAT burst-" + std::to_string(k) + " +1+1 1700000000\n";
    c.send(burst + "WHATSAT kiwi 50 20\n");
  }  // each closes with replies unread, one while its WHATSAT waits on Places
  h.mock.set_faults({});
  still_serves(h, "vanish");
}

TEST_CASE("a peer that sends garbage gets question marks and changes nothing") {
  TestHerd h;
  std::string at = h.ask("Clark", "IAMAT kiwi +1+1 1700000000.5");
  REQUIRE(h.events.wait_for_all(all_five, EventKind::update_stored, at));
  LineClient peer(h.port("Bona"));
  static const char garbage[] =
      "AT Clark +0.1 kiwi +1+1\nAT Clark x kiwi +1+1 1\nAT\0\xff\xfe garbage\n";
  peer.send(std::string(garbage, sizeof garbage - 1));
  CHECK(peer.read_line() == "? AT Clark +0.1 kiwi +1+1");
  CHECK(peer.read_line() == "? AT Clark x kiwi +1+1 1");
  CHECK(peer.read_line()->starts_with("? AT"));
  for (const auto& name : all_five) CHECK(h.holds(name, at));
  still_serves(h, "garbage");
}

TEST_CASE("a peer that flaps, sending a few updates per connection, converges") {
  TestHerd h;
  std::string last;
  for (int i = 0; i < 30; ++i) {
    LineClient flapping(h.port(i % 2 ? "Jaquez" : "Bailey"));
    last = "AT Remote +0.000000001 flapper +1+1 17000000" + std::to_string(10 + i);
    flapping.send("AT Remote +0.000000001 other-" + std::to_string(i) + " +1+1 1700000000\n" +
                  last + "\n");
  }
  CHECK(h.events.wait_for_all(all_five, EventKind::update_stored, last));
  still_serves(h, "flapping");
}

namespace {
const std::string secret = "correct horse battery staple";
}

TEST_CASE("with a shared secret the links authenticate and the herd floods as before") {
  TempDir logs;
  TestHerd h({.log_dir = logs.path.string(), .peer_secret = secret});
  std::string at = h.ask("Clark", "IAMAT trusted +1+1 1700000000");
  CHECK(h.events.wait_for_all(all_five, EventKind::update_stored, at));
  h.herd->stop();
  for (const auto& name : all_five) {
    auto log = read_file(logs.path / (name + ".log"));
    CHECK(log.find("authenticated as") != std::string::npos);
    CHECK(log.find(secret) == std::string::npos);  // the secret is never logged
  }
}

TEST_CASE("with a shared secret a forged AT gets a question mark and changes nothing") {
  TestHerd h({.peer_secret = secret});
  LineClient forger(h.port("Bona"));
  forger.send("AT Clark +0.1 forged +1+1 1700000000\n");
  CHECK(forger.read_line() == "? AT Clark +0.1 forged +1+1 1700000000");
  for (const auto& name : all_five)
    CHECK_FALSE(h.holds(name, "AT Clark +0.1 forged +1+1 1700000000"));
  // Clients are served as usual.
  forger.send("IAMAT honest +1+1 1700000000\n");
  CHECK(forger.read_line().value_or("").starts_with("AT Bona "));
}

// "HERD-CHALLENGE NONCE PROOF": the node's nonce, and whether its proof is right for `from`.
std::string challenge_nonce(const std::string& line, const std::string& from, const std::string& to,
                            const std::string& link_nonce) {
  std::istringstream fields(line);
  std::string word, nonce, proof;
  fields >> word >> nonce >> proof;
  CHECK(word == "HERD-CHALLENGE");
  CHECK(proof == node_proof(secret, from, to, link_nonce, nonce));
  return nonce;
}

TEST_CASE("with a shared secret a wrong proof is refused and its connection closed") {
  TestHerd h({.peer_secret = secret});
  LineClient impostor(h.port("Bona"));
  const std::string link_nonce = "0123456789abcdef";
  impostor.send("HERD-HELLO Clark Bona " + link_nonce + "\n");
  auto challenge = impostor.read_line();
  REQUIRE(challenge.has_value());
  auto nonce = challenge_nonce(*challenge, "Clark", "Bona", link_nonce);
  auto guess = link_proof("not the secret at all", "Clark", "Bona", link_nonce, nonce);
  impostor.send("HERD-AUTH " + guess + "\n");
  CHECK(impostor.read_line() == "? HERD-AUTH " + guess);
  CHECK(impostor.read_to_eof().has_value());
}

TEST_CASE("with a shared secret a peer that proves it may send AT lines") {
  TestHerd h({.peer_secret = secret});
  LineClient peer(h.port("Bona"));
  const std::string link_nonce = "feedfacefeedface";
  peer.send("HERD-HELLO Visitor Bona " + link_nonce + "\n");
  auto challenge = peer.read_line();
  REQUIRE(challenge.has_value());
  auto nonce = challenge_nonce(*challenge, "Visitor", "Bona", link_nonce);
  peer.send("HERD-AUTH " + link_proof(secret, "Visitor", "Bona", link_nonce, nonce) + "\n");
  peer.send("AT Visitor +0.1 proven +1+1 1700000000\nbogus\n");
  CHECK(peer.read_line() == "? bogus");  // the AT got no reply: it was accepted
  CHECK(h.events.wait_for_all(all_five, EventKind::update_stored,
                              "AT Visitor +0.1 proven +1+1 1700000000"));
}

TEST_CASE("without a secret the handshake lines are just invalid commands") {
  TestHerd h;
  CHECK(h.ask("Bona", "HERD-HELLO Clark Bona 0123456789abcdef") ==
        "? HERD-HELLO Clark Bona 0123456789abcdef");
}

TEST_CASE("with a shared secret the old three-field greeting is refused") {
  TestHerd h({.peer_secret = secret});
  CHECK(h.ask("Bona", "HERD-HELLO Clark 0123456789abcdef") ==
        "? HERD-HELLO Clark 0123456789abcdef");
}

TEST_CASE("a client greeting as two neighbours and leaving leaves nothing dangling") {
  TestHerd h;
  {
    LineClient impostor(h.port("Clark"));
    impostor.send("HERD-HELLO Jaquez\nHERD-HELLO Bona\nIAMAT via-impostor +1+1 1700000000\n");
    CHECK(impostor.read_line().value_or("").starts_with("AT Clark "));
  }  // gone; AddressSanitizer reports any record of it the node kept
  // The real Jaquez connects again and greets as itself.
  h.herd->crash("Jaquez");
  REQUIRE(h.herd->restart("Jaquez"));
  std::string at = h.ask("Jaquez", "IAMAT after-impostor +1+1 1700000000.5");
  CHECK(h.events.wait_for_all(all_five, EventKind::update_stored, at));
}
