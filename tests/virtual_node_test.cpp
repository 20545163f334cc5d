// The node's own code on the virtual network and clock: its time-based limits and its links
// behave as on real sockets, in virtual time, without a thread or a socket.

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/node.hpp"
#include "sim/net/virtual_network.hpp"
#include "sim/world/virtual_loop.hpp"

using namespace herd;
using namespace herd::vnet;

namespace {

// One or two nodes on the virtual network's loop, the same loop the virtual world runs herds on.
struct NodesOnALoop {
  VirtualLoop loop{3};

  std::unique_ptr<Node> node(NodeOptions options) {
    auto node = std::make_unique<Node>(options, EventSink{},
                                       loop.environment(options.name, options.places));
    REQUIRE(node->bind());
    node->start();
    return node;
  }
};

// A client's connection: what it received and whether the server closed it.
struct Client {
  Client(VirtualNetwork& n, std::uint16_t port) : net(n) {
    net.connect("client", port, [this](std::optional<ConnectionId> got) {
      if (!got) return;
      id = *got;
      net.set_receiver(
          id, End::initiator,
          {[this] { received += net.read(id, End::initiator); }, [this](bool) { closed = true; }});
    });
  }
  VirtualNetwork& net;
  ConnectionId id = 0;
  std::string received;
  bool closed = false;
};

}  // namespace

TEST_CASE("an idle client is cut off after the idle timeout of virtual time, not before") {
  NodesOnALoop world;
  NodeOptions options;
  options.name = "Clark";
  options.idle_timeout_ms = 60'000;
  auto node = world.node(options);
  Client client(world.loop.net(), 20000);
  auto began = std::chrono::steady_clock::now();
  REQUIRE(world.loop.run_until([&] { return client.id != 0; }, 1000 * millisecond));
  world.loop.net().write(client.id, End::initiator, "IAMAT kiwi +1+1 17");  // half a line
  CHECK_FALSE(world.loop.run_until([&] { return client.closed; }, 59'000 * millisecond));
  CHECK(world.loop.run_until([&] { return client.closed; }, 61'000 * millisecond));
  // A minute of virtual time took far less than a second of ours.
  CHECK(std::chrono::steady_clock::now() - began < std::chrono::seconds(5));
  node->stop();
}

TEST_CASE("a link to a neighbour that is not there yet connects once it listens, with backoff") {
  NodesOnALoop world;
  NodeOptions clark;
  clark.name = "Clark";
  clark.port = 20001;
  clark.peers = {{"Bona", "Bona", 20002}};
  auto first = world.node(clark);
  // Bona comes up after three seconds; Clark's link keeps trying and gets through.
  world.loop.run_until([] { return false; }, 3000 * millisecond);
  NodeOptions bona;
  bona.name = "Bona";
  bona.port = 20002;
  auto second = world.node(bona);
  Client client(world.loop.net(), 20001);
  REQUIRE(world.loop.run_until([&] { return client.id != 0; }, 3100 * millisecond));
  world.loop.net().write(client.id, End::initiator, "IAMAT kiwi +1+1 1767225603\n");
  REQUIRE(world.loop.run_until([&] { return !client.received.empty(); }, 3200 * millisecond));
  std::vector<std::string> at_bona;
  CHECK(world.loop.run_until(
      [&] {
        second->snapshot([&](std::vector<std::string> lines) { at_bona = std::move(lines); });
        world.loop.poll();
        return at_bona.size() == 1;
      },
      5000 * millisecond));
  first->stop();
  second->stop();
}
