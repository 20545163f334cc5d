#pragma once
// The virtual world: Herd's own nodes, their real code, on one thread, an in-memory network and a
// virtual clock that jumps to the next event (virtual_loop.hpp), with one seeded random source
// for everything, so that a scenario and a seed replay the same run, event for event, on every
// machine. It also offers the live view's clock: pause, speed, and one delivery at a time.

#include <memory>

#include "sim/world/world.hpp"

namespace herd {

[[nodiscard]] std::unique_ptr<World> make_virtual_world(WorldOptions options);

}  // namespace herd
