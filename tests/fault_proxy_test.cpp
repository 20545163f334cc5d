// The simulator's faults mean what they say: a cut link refuses, a dropped link swallows
// connects, a paused server answers nobody until it resumes.

#include "sim/net/fault_proxy.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "core/runtime.hpp"
#include "sim/net/line_client.hpp"
#include "tests/fake_peer.hpp"
#include "tests/test_herd.hpp"

using namespace herd;
using namespace herd::test;

namespace {

enum class Connect { accepted, refused, no_answer };

// A non-blocking connect to 127.0.0.1:port, watched for `wait_ms`.
Connect try_connect(std::uint16_t port, int wait_ms) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  Connect outcome = Connect::accepted;
  if (rc != 0) {
    pollfd ready{fd, POLLOUT, 0};
    if (::poll(&ready, 1, wait_ms) == 0) {
      outcome = Connect::no_answer;
    } else {
      int error = 0;
      socklen_t size = sizeof error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
      outcome = error == 0 ? Connect::accepted : Connect::refused;
    }
  }
  ::close(fd);
  return outcome;
}

// A proxy for the link A -> B, B being a listener that accepts anything.
struct ProxiedLink {
  ProxiedLink() {
    runtime.start();
    REQUIRE_FALSE(proxy.start());
  }
  ~ProxiedLink() { proxy.stop(); }
  Connect connect(int wait_ms) { return try_connect(proxy.port(), wait_ms); }
  Runtime runtime{1, 1};
  FakePeer target;
  FaultProxy proxy{runtime, "A", "B", target.port(), 1};
};

}  // namespace

TEST_CASE("a cut link refuses connections, and accepts again once restored") {
  ProxiedLink link;
  auto& proxy = link.proxy;
  CHECK(link.connect(1000) == Connect::accepted);
  LinkFaults cut;
  cut.cut = true;
  proxy.set_faults(cut);
  CHECK(link.connect(1000) == Connect::refused);
  proxy.set_faults({});
  CHECK(link.connect(1000) == Connect::accepted);
}

TEST_CASE("a dropped link lets connects go unanswered, as a blackhole does") {
  ProxiedLink link;
  LinkFaults drop;
  drop.drop = true;
  link.proxy.set_faults(drop);
  CHECK(link.connect(300) == Connect::no_answer);
  CHECK(link.connect(300) == Connect::no_answer);
  link.proxy.set_faults({});
  CHECK(link.connect(1000) == Connect::accepted);
}

TEST_CASE("a proxy whose server is down refuses, as the server itself would") {
  ProxiedLink link;
  link.proxy.set_target_up(false);
  CHECK(link.connect(1000) == Connect::refused);
  link.proxy.set_target_up(true);
  CHECK(link.connect(1000) == Connect::accepted);
}

TEST_CASE("stopping a proxy whose io_context is not running returns, and nothing dangles") {
  // The stop handler runs only once the context runs, after stop() gave up waiting for it: it
  // must not touch stop()'s frame (AddressSanitizer reports it if it does).
  Runtime runtime(1, 1);
  FaultProxy proxy(runtime, "A", "B", 9, 1);
  REQUIRE_FALSE(proxy.start());
  proxy.stop();
  runtime.start();
  runtime.stop();
}

TEST_CASE("a paused server answers nobody and stores nothing until it resumes") {
  TestHerd h;
  h.herd->node("Clark")->pause();
  LineClient client(h.port("Clark"));
  client.send("IAMAT frozen +1+1 1700000000\n");
  CHECK_FALSE(client.read_line(300).has_value());
  // Its neighbours' updates wait too.
  std::string elsewhere = h.ask("Jaquez", "IAMAT elsewhere +1+1 1700000000");
  REQUIRE(
      h.events.wait_for_all({"Bona", "Bailey", "Campbell"}, EventKind::update_stored, elsewhere));
  CHECK_FALSE(h.holds("Clark", elsewhere));  // read while paused, as a debugger would
  h.herd->node("Clark")->resume();
  auto reply = client.read_line();
  REQUIRE(reply.has_value());
  CHECK(reply->starts_with("AT Clark "));
  CHECK(h.events.wait_for_all({"Clark"}, EventKind::update_stored, elsewhere));
}

TEST_CASE("a paused server can be crashed and restarted") {
  TestHerd h;
  h.herd->node("Bona")->pause();
  LineClient client(h.port("Bona"));
  client.send("IAMAT frozen +1+1 1700000000\n");
  h.herd->crash("Bona");
  CHECK(h.herd->restart("Bona"));
  CHECK(h.ask("Bona", "IAMAT thawed +1+1 1700000000").starts_with("AT Bona "));
}
