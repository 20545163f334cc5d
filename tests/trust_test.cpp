// What a client or a half-trusted peer cannot do to a herd: pin a client's record with a time
// from the far future, relay a link's handshake to another server, take over a neighbour's link
// with a greeting, or make its connection exempt from the idle timeout with one AT line.

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <sstream>
#include <thread>

#include "core/io/environment.hpp"
#include "core/io/tcp_environment.hpp"
#include "core/peer_auth.hpp"
#include "core/protocol.hpp"
#include "tests/test_herd.hpp"

using namespace herd;
using namespace herd::test;

namespace {

const std::string secret = "correct horse battery staple";

// Listens on a given loopback port, as a process that took a down server's port would.
class PortThief {
 public:
  explicit PortThief(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(fd_, 16) == 0);
  }
  ~PortThief() {
    for (int fd : accepted_) ::close(fd);
    ::close(fd_);
  }
  // The next connection, or -1 if none comes within the deadline.
  int accept(int timeout_ms) {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, timeout_ms) <= 0) return -1;
    int fd = ::accept(fd_, nullptr, nullptr);
    if (fd >= 0) accepted_.push_back(fd);
    return fd;
  }

 private:
  int fd_ = -1;
  std::vector<int> accepted_;
};

// One line from `fd` without its "\n"; empty on EOF or when nothing comes in time.
std::string read_line(int fd, int timeout_ms = 5000) {
  std::string line;
  char c;
  while (true) {
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, timeout_ms) <= 0 || ::read(fd, &c, 1) != 1) return line;
    if (c == '\n') return line;
    line.push_back(c);
  }
}

// Whether `fd` reaches EOF (the other end closed) within the deadline, and what it read before.
bool closes_without_a_line(int fd, std::string& read, int timeout_ms = 5000) {
  char buffer[512];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, 100) <= 0) continue;
    auto n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return read.find('\n') == std::string::npos;
    read.append(buffer, static_cast<std::size_t>(n));
  }
  return false;
}

std::string field(const std::string& line, int index) {
  std::istringstream in(line);
  std::string word;
  for (int i = 0; i <= index; ++i) in >> word;
  return word;
}

}  // namespace

TEST_CASE("a handshake relayed from a down neighbour's port to another server is refused") {
  TestHerd h({.peer_secret = secret});
  const auto bona_port = h.port("Bona");
  h.herd->crash("Bona");
  // A process on Bona's port: Clark's link to Bona (and Bailey's and Campbell's) connect to it.
  PortThief thief(bona_port);
  int from_clark = -1;
  std::string hello;
  for (int i = 0; i < 6 && from_clark < 0; ++i) {
    int fd = thief.accept(5000);
    REQUIRE(fd >= 0);
    auto line = read_line(fd);
    if (field(line, 1) == "Clark") from_clark = fd, hello = line;
  }
  REQUIRE(from_clark >= 0);
  CHECK(field(hello, 0) == "HERD-HELLO");
  CHECK(field(hello, 2) == "Bona");  // the link says whom it means to reach

  SUBCASE("as it came: Jaquez sees it was meant for Bona") {
    LineClient jaquez(h.port("Jaquez"));
    jaquez.send(hello + "\n");
    CHECK(jaquez.read_line() == "? " + hello);
    CHECK(jaquez.read_to_eof().has_value());
  }
  SUBCASE("readdressed to Jaquez: Clark's link refuses Jaquez's answer, and says nothing") {
    LineClient jaquez(h.port("Jaquez"));
    jaquez.send("HERD-HELLO Clark Jaquez " + field(hello, 3) + "\n");
    auto challenge = jaquez.read_line();
    REQUIRE(challenge.has_value());
    CHECK(challenge->starts_with("HERD-CHALLENGE "));
    std::string relayed = *challenge + "\n";
    REQUIRE(::write(from_clark, relayed.data(), relayed.size()) ==
            static_cast<ssize_t>(relayed.size()));
    std::string answer;
    CHECK(closes_without_a_line(from_clark, answer));  // no HERD-AUTH to relay back
    // Unproven, the connection's AT lines are refused.
    jaquez.send("AT Clark +0.1 relayed +1+1 1700000000\n");
    CHECK(jaquez.read_line() == "? AT Clark +0.1 relayed +1+1 1700000000");
    CHECK_FALSE(h.holds("Jaquez", "AT Clark +0.1 relayed +1+1 1700000000"));
  }
}

TEST_CASE("greetings as a neighbour from a client never close the neighbour's real link") {
  // Classic mode loses what a down link would carry, so a closed link would show as lost updates.
  TestHerd h({.classic = true});
  std::atomic<bool> stop{false};
  std::atomic<int> greetings{0};
  std::thread impostor([&] {
    while (!stop) {
      LineClient client(h.port("Clark"));
      client.send("HERD-HELLO Bona\n");
      ++greetings;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::vector<std::string> updates;
  for (int i = 0; i < 60; ++i) {
    updates.push_back(h.ask("Bona", "IAMAT greeted-" + std::to_string(i) + " +1+1 1700000000"));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop = true;
  impostor.join();
  CHECK(greetings > 20);
  for (const auto& at : updates)
    CHECK(h.events.wait_for_all({"Clark"}, EventKind::update_stored, at, "", 5000));
  CHECK(h.events.count(EventKind::link_down, "Bona") == 0);
  CHECK(h.events.count(EventKind::update_not_sent, "Bona") == 0);
}

TEST_CASE("a greeting under a linked neighbour's name takes nothing from its link") {
  // The impostor's greeting came second: Bona's real link keeps its place and its exemption from
  // the idle timeout, so nothing closes it and Bona never resends its store.
  TestHerd h({.classic = true, .idle_timeout_ms = 300});
  LineClient impostor(h.port("Clark"));
  impostor.send("HERD-HELLO Bona\n");
  // Served as a client: idle, it is closed like one (a link would stay open for ever).
  CHECK(impostor.read_to_eof(3000).has_value());
  // Well past the idle timeout, Bona's real link is still the one it was.
  std::this_thread::sleep_for(std::chrono::milliseconds(900));
  CHECK(h.events.count(EventKind::link_down, "Bona") == 0);
  CHECK(h.events.count(EventKind::link_down, "Clark") == 0);
  auto later = h.ask("Bona", "IAMAT after-impostor +1+1 1700000000");
  CHECK(h.events.wait_for_all({"Clark"}, EventKind::update_stored, later, "", 5000));
}

TEST_CASE("an AT line does not make a client's connection exempt from the idle timeout") {
  TestHerd h({.idle_timeout_ms = 300});
  LineClient client(h.port("Clark"));
  client.send("AT Remote +0.100000000 idler +1+1 1700000000\n");
  REQUIRE(h.events.wait_for_all({"Clark"}, EventKind::update_stored,
                                "AT Remote +0.100000000 idler +1+1 1700000000"));
  // Closed as any idle client is (an exempt one stays open for ever).
  CHECK(client.read_to_eof(3000).has_value());
}

TEST_CASE("an update from the far future is answered but neither stored nor flooded") {
  TestHerd h;
  auto pinned = h.ask("Clark", "IAMAT victim +1+1 253402300799.5");  // the year 9999
  CHECK(pinned.starts_with("AT Clark "));
  CHECK(h.events.wait_for_all({"Clark"}, EventKind::update_refused, pinned));
  // A peer's AT from the far future is refused too.
  LineClient peer(h.port("Bona"));
  peer.send("AT Remote +0.100000000 victim +9+9 253402300799.5\n");
  CHECK(h.events.wait_for_all({"Bona"}, EventKind::update_refused,
                              "AT Remote +0.100000000 victim +9+9 253402300799.5"));
  // The client's honest update still wins everywhere.
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auto honest = h.ask("Bailey", "IAMAT victim +2+2 " + format_timestamp(now));
  CHECK(h.events.wait_for_all(all_five, EventKind::update_stored, honest));
  for (const auto& name : all_five) CHECK_FALSE(h.holds(name, pinned));
  // A client a little ahead of the server's clock (under the day allowed) is fine.
  auto ahead = h.ask("Clark", "IAMAT early +1+1 " + format_timestamp(now + 3'600'000'000'000));
  CHECK(h.events.wait_for_all(all_five, EventKind::update_stored, ahead));
}

TEST_CASE("the skew check can be turned off") {
  TestHerd h({.max_clock_skew_s = 0});
  auto far = h.ask("Clark", "IAMAT patient +1+1 253402300799.5");
  CHECK(h.events.wait_for_all(all_five, EventKind::update_stored, far));
}

TEST_CASE("a client ID over the limit is refused with a question mark") {
  TestHerd h({.max_client_id_bytes = 64});
  std::string id(65, 'x');
  CHECK(h.ask("Clark", "IAMAT " + id + " +1+1 1700000000") == "? IAMAT " + id + " +1+1 1700000000");
  std::string fits(64, 'y');
  auto at = h.ask("Clark", "IAMAT " + fits + " +1+1 1700000000");
  CHECK(h.events.wait_for_all(all_five, EventKind::update_stored, at));
  LineClient peer(h.port("Bona"));
  peer.send("AT Remote +0.1 " + id + " +1+1 1700000000\n");
  CHECK(h.events.wait_for_all({"Bona"}, EventKind::update_refused,
                              "AT Remote +0.1 " + id + " +1+1 1700000000"));
}

TEST_CASE("a full store keeps its clients' updates and refuses new clients") {
  TestHerd h({.max_records = 3});
  std::vector<std::string> kept;
  for (int i = 0; i < 3; ++i) {
    kept.push_back(h.ask("Clark", "IAMAT kept-" + std::to_string(i) + " +1+1 1700000000"));
    REQUIRE(h.events.wait_for_all(all_five, EventKind::update_stored, kept.back()));
  }
  auto refused = h.ask("Clark", "IAMAT one-too-many +1+1 1700000000");
  CHECK(refused.starts_with("AT Clark "));  // answered, as SPEC.md says
  CHECK(h.events.wait_for_all({"Clark"}, EventKind::update_refused, refused));
  auto newer = h.ask("Clark", "IAMAT kept-0 +5+5 1700000001");
  CHECK(h.events.wait_for_all(all_five, EventKind::update_stored, newer));
}

TEST_CASE("a greeting is believed only from the neighbour's configured address") {
  Runtime runtime(1, 1);
  auto env = make_tcp_environment(runtime, PlacesSettings{});
  CHECK(env->may_come_from("127.0.0.1", "Bona", "127.0.0.1"));
  CHECK(env->may_come_from("127.0.0.2", "Bona", "localhost"));  // any loopback address
  CHECK(env->may_come_from("::1", "Bona", "127.0.0.1"));
  CHECK(env->may_come_from("10.0.0.7", "Bona", "10.0.0.7"));
  CHECK_FALSE(env->may_come_from("10.0.0.8", "Bona", "10.0.0.7"));
  CHECK_FALSE(env->may_come_from("10.0.0.8", "Bona", "127.0.0.1"));
  CHECK_FALSE(env->may_come_from("", "Bona", "127.0.0.1"));
  // A name would need a DNS lookup on the node's thread: it is believed.
  CHECK(env->may_come_from("10.0.0.8", "Bona", "bona.example.edu"));
}
