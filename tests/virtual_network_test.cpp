// The virtual network: TCP's order, the faults' meanings, and the same run from the same seed.

#include "sim/net/virtual_network.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace herd;
using namespace herd::vnet;

namespace {

// Host "B" listening on port 80; "A" connects. Everything B receives is gathered.
struct TwoHosts {
  TwoHosts() {
    REQUIRE(net.listen("B", 80, [this](ConnectionId id) {
      server = id;
      net.set_receiver(id, End::acceptor,
                       {[this] { at_b += net.read(server, End::acceptor); },
                        [this](bool reset) { (reset ? b_reset : b_ended) = true; }});
    }));
  }
  // Connects A to B and runs the network until the connection is made.
  std::optional<ConnectionId> connect() {
    std::optional<ConnectionId> made;
    bool answered = false;
    net.connect("A", 80, [&](std::optional<ConnectionId> id) {
      made = id;
      answered = true;
      if (id)
        net.set_receiver(*id, End::initiator,
                         {[this, c = *id] { at_a += net.read(c, End::initiator); },
                          [this](bool reset) { a_reset = reset; }});
    });
    net.run_until(net.now());
    if (!answered) return std::nullopt;
    return made;
  }
  VirtualNetwork net{7};
  ConnectionId server = 0;
  std::string at_a, at_b;
  bool a_reset = false, b_reset = false, b_ended = false;
};

}  // namespace

TEST_CASE("bytes on a connection arrive in order, however the latency jitters") {
  TwoHosts h;
  LinkFaults slow;
  slow.latency_ms = 10;
  slow.jitter_ms = 9;
  h.net.set_faults("A", "B", slow);
  auto id = h.connect();
  REQUIRE(id);
  std::string sent;
  for (int i = 0; i < 200; ++i) {
    std::string chunk = "line " + std::to_string(i) + "\n";
    sent += chunk;
    REQUIRE(h.net.write(*id, End::initiator, chunk));
    h.net.run_until(h.net.now() + millisecond / 4);
  }
  while (h.net.run_next()) {
  }
  CHECK(h.at_b == sent);
}

TEST_CASE("latency delays delivery on the virtual clock, and bandwidth paces it") {
  TwoHosts h;
  LinkFaults slow;
  slow.latency_ms = 30;
  h.net.set_faults("A", "B", slow);
  auto id = h.connect();
  REQUIRE(id);
  auto start = h.net.now();
  REQUIRE(h.net.write(*id, End::initiator, "hello\n"));
  h.net.run_until(start + 29 * millisecond);
  CHECK(h.at_b.empty());
  h.net.run_until(start + 30 * millisecond);
  CHECK(h.at_b == "hello\n");
  // Back-to-back writes each take one latency, not one more than the write before.
  h.at_b.clear();
  auto burst = h.net.now();
  for (int i = 0; i < 5; ++i) REQUIRE(h.net.write(*id, End::initiator, "x"));
  h.net.run_until(burst + 30 * millisecond);
  CHECK(h.at_b == "xxxxx");
  // 1000 bytes at 10,000 B/s in 100-byte slices: the last slice leaves 90 ms after the first.
  LinkFaults narrow;
  narrow.bytes_per_s = 10'000;
  narrow.slice_bytes = 100;
  h.net.set_faults("A", "B", narrow);
  h.at_b.clear();
  auto begin = h.net.now();
  REQUIRE(h.net.write(*id, End::initiator, std::string(1000, 'x')));
  h.net.run_until(begin + 89 * millisecond);
  CHECK(h.at_b.size() == 900);
  h.net.run_until(begin + 90 * millisecond);
  CHECK(h.at_b.size() == 1000);
}

TEST_CASE("a cut link refuses connections and resets the current ones, restore lets them in") {
  TwoHosts h;
  auto id = h.connect();
  REQUIRE(id);
  LinkFaults cut;
  cut.cut = true;
  h.net.set_faults("A", "B", cut);
  h.net.run_until(h.net.now());
  CHECK(h.a_reset);
  CHECK(h.b_reset);
  CHECK_FALSE(h.net.write(*id, End::initiator, "lost\n"));
  bool refused = false;
  h.net.connect("A", 80, [&](std::optional<ConnectionId> made) { refused = !made; });
  h.net.run_until(h.net.now());
  CHECK(refused);
  h.net.set_faults("A", "B", {});
  CHECK(h.connect().has_value());
}

TEST_CASE("a one-way cut stops only the connections its side opens") {
  TwoHosts h;
  REQUIRE(h.net.listen("A", 81, [](ConnectionId) {}));
  LinkFaults cut;
  cut.cut = true;
  h.net.set_faults("A", "B", cut);
  CHECK_FALSE(h.connect().has_value());
  bool made = false;
  h.net.connect("B", 81, [&](std::optional<ConnectionId> id) { made = id.has_value(); });
  h.net.run_until(h.net.now());
  CHECK(made);
}

TEST_CASE("a dropped link never answers a connect and stalls bytes until the drop ends") {
  TwoHosts h;
  auto id = h.connect();
  REQUIRE(id);
  LinkFaults drop;
  drop.drop = true;
  h.net.set_faults("A", "B", drop);
  REQUIRE(h.net.write(*id, End::initiator, "waits\n"));
  REQUIRE(h.net.write(*id, End::acceptor, "so does the reply\n"));
  bool answered = false;
  h.net.connect("A", 80, [&](std::optional<ConnectionId>) { answered = true; });
  h.net.run_until(h.net.now() + 10'000 * millisecond);
  CHECK_FALSE(answered);
  CHECK(h.at_b.empty());
  CHECK(h.at_a.empty());
  h.net.set_faults("A", "B", {});
  h.net.run_until(h.net.now());
  CHECK(h.at_b == "waits\n");
  CHECK(h.at_a == "so does the reply\n");
}

TEST_CASE("hold keeps the initiator's bytes until release, the other way passes") {
  TwoHosts h;
  auto id = h.connect();
  REQUIRE(id);
  LinkFaults hold;
  hold.hold = true;
  h.net.set_faults("A", "B", hold);
  REQUIRE(h.net.write(*id, End::initiator, "held\n"));
  REQUIRE(h.net.write(*id, End::acceptor, "free\n"));
  h.net.close(*id, End::initiator);
  h.net.run_until(h.net.now() + 1000 * millisecond);
  CHECK(h.at_b.empty());
  CHECK_FALSE(h.b_ended);  // the end of the stream waits behind the held bytes
  CHECK(h.at_a == "free\n");
  h.net.set_faults("A", "B", {});
  h.net.run_until(h.net.now());
  CHECK(h.at_b == "held\n");
  CHECK(h.b_ended);
}

TEST_CASE("a crash resets every connection of the host and stops its listeners") {
  TwoHosts h;
  auto id = h.connect();
  REQUIRE(id);
  std::vector<std::string> dropped;
  h.net.set_observer({{},
                      {},
                      [&](ConnectionId, End, std::string_view bytes, DropReason why) {
                        dropped.push_back(std::string(to_string(why)) + ":" + std::string(bytes));
                      },
                      {},
                      {}});
  LinkFaults hold;
  hold.hold = true;
  h.net.set_faults("A", "B", hold);
  REQUIRE(h.net.write(*id, End::initiator, "never\n"));
  h.net.crash("B");
  h.net.run_until(h.net.now());
  CHECK(h.a_reset);
  CHECK(dropped == std::vector<std::string>{"crash:never\n"});
  CHECK_FALSE(h.net.listening(80));
  h.net.set_faults("A", "B", {});
  CHECK_FALSE(h.connect().has_value());  // refused: nothing listens
}

TEST_CASE("the same seed gives the same deliveries at the same virtual times") {
  auto run = [](std::uint64_t seed) {
    VirtualNetwork net(seed);
    std::vector<std::pair<Time, std::string>> log;
    ConnectionId server = 0;
    REQUIRE(net.listen("B", 80, [&](ConnectionId id) {
      server = id;
      net.set_receiver(id, End::acceptor,
                       {[&] { log.emplace_back(net.now(), net.read(server, End::acceptor)); }, {}});
    }));
    LinkFaults jittery;
    jittery.latency_ms = 5;
    jittery.jitter_ms = 5;
    net.set_faults("A", "B", jittery);
    std::optional<ConnectionId> id;
    net.connect("A", 80, [&](std::optional<ConnectionId> made) { id = made; });
    net.run_until(0);
    REQUIRE(id);
    for (int i = 0; i < 50; ++i) {
      REQUIRE(net.write(*id, End::initiator, std::to_string(i) + "\n"));
      net.run_until(net.now() + millisecond);
    }
    while (net.run_next()) {
    }
    return log;
  };
  CHECK(run(11) == run(11));
  CHECK(run(11) != run(12));
}

TEST_CASE(
    "what a crashed host sent before it died still arrives, what was on its way to it is lost") {
  TwoHosts h;
  LinkFaults slow;
  slow.latency_ms = 5;
  h.net.set_faults("A", "B", slow);
  auto id = h.connect();
  REQUIRE(id);
  REQUIRE(h.net.write(*id, End::initiator, "sent before the crash\n"));
  REQUIRE(h.net.write(*id, End::acceptor, "to the dead host\n"));
  std::vector<std::string> lost;
  h.net.set_observer(
      {{}, {}, {}, [&](ConnectionId, DropReason why) { lost.emplace_back(to_string(why)); }, {}});
  h.net.crash("A");
  CHECK_FALSE(h.b_reset);  // not before its bytes
  h.net.run_until(h.net.now() + 10 * millisecond);
  CHECK(h.at_b == "sent before the crash\n");
  CHECK(h.b_reset);
  CHECK(h.at_a.empty());
  CHECK(lost == std::vector<std::string>{"crash"});
}

TEST_CASE("a held link's lines can be let through one at a time, in their order") {
  TwoHosts h;
  LinkFaults hold;
  hold.hold = true;
  h.net.set_faults("A", "B", hold);
  auto id = h.connect();
  REQUIRE(id);
  REQUIRE(h.net.write(*id, End::initiator, "first\nsecond\n"));
  h.net.run_until(h.net.now() + millisecond);
  CHECK(h.at_b.empty());
  CHECK(h.net.held_lines("A", "B") == std::vector<std::string>{"first", "second"});
  CHECK(h.net.release_one_line("A", "B"));
  h.net.run_until(h.net.now() + millisecond);
  CHECK(h.at_b == "first\n");
  CHECK(h.net.held_lines("A", "B") == std::vector<std::string>{"second"});
  h.net.set_faults("A", "B", {});  // a release lets the rest go
  h.net.run_until(h.net.now() + millisecond);
  CHECK(h.at_b == "first\nsecond\n");
  CHECK_FALSE(h.net.release_one_line("A", "B"));
}

TEST_CASE("the first free port is the lowest one nothing listens on, freed ports included") {
  VirtualNetwork net(1);
  auto take = [&](const std::string& host) {
    auto port = net.first_free_port(20000);
    REQUIRE(net.listen(host, port, [](ConnectionId) {}) != 0);
    return port;
  };
  CHECK(take("A") == 20000);
  CHECK(take("B") == 20001);
  // A port taken by hand above the search is stepped over.
  auto c = net.listen("C", 20002, [](ConnectionId) {});
  REQUIRE(c != 0);
  CHECK(take("D") == 20003);
  // A port freed below is found again, then the search goes on above.
  net.stop_listening(20002, c);
  CHECK(take("E") == 20002);
  CHECK(take("F") == 20004);
  // A crashed host's ports are free too; a search from elsewhere starts there.
  net.crash("A");
  CHECK(net.first_free_port(20000) == 20000);
  CHECK(net.first_free_port(30000) == 30000);
  CHECK(net.first_free_port(20001) == 20005);
}

TEST_CASE("events run by time, then in the order they were scheduled, deliveries or not") {
  TwoHosts h;
  h.net.set_base_latency(100'000);
  auto id = h.connect();
  REQUIRE(id);
  std::vector<std::string> ran;
  h.net.set_receiver(
      h.server, End::acceptor,
      {[&] { ran.push_back("at B: " + h.net.read(h.server, End::acceptor)); }, [](bool) {}});
  h.net.set_receiver(
      *id, End::initiator,
      {[&] { ran.push_back("at A: " + h.net.read(*id, End::initiator)); }, [](bool) {}});
  const Time start = h.net.now();
  // At one time: a timer scheduled before a delivery runs before it, one scheduled after, after.
  h.net.at(start + 100'000, [&] { ran.push_back("timer before"); });
  REQUIRE(h.net.write(*id, End::initiator, "1"));  // due at 100 us
  h.net.at(start + 100'000, [&] { ran.push_back("timer after"); });
  h.net.at(start + 50'000, [&] {
    ran.push_back("timer at 50");
    REQUIRE(h.net.write(*id, End::initiator, "2"));  // due at 150 us
    // A slow link from now: A's next bytes are due at 1.15 ms.
    LinkFaults slow;
    slow.latency_ms = 1;
    h.net.set_faults("A", "B", slow);
    REQUIRE(h.net.write(*id, End::initiator, "3"));
  });
  // Bytes due before others already on their way (B to A is not slowed): 160 us, before 3.
  h.net.at(start + 60'000, [&] { REQUIRE(h.net.write(h.server, End::acceptor, "4")); });
  h.net.at(start + 120'000, [&] { ran.push_back("timer at 120"); });
  while (h.net.run_next()) {
  }
  CHECK(ran == std::vector<std::string>{"timer at 50", "timer before", "at B: 1", "timer after",
                                        "timer at 120", "at B: 2", "at A: 4", "at B: 3"});
}
