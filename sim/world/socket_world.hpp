#pragma once
// The socket world: Herd's own nodes in this process on loopback TCP, each on its own strand of a
// runtime's threads, every directed link through a fault proxy, the mock Places over HTTP (or a
// real Places), and waits in wall-clock time. The nodes talk real TCP and cannot tell.

#include <memory>

#include "sim/world/world.hpp"

namespace herd {

[[nodiscard]] std::unique_ptr<World> make_socket_world(WorldOptions options);

}  // namespace herd
