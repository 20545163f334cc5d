#pragma once
// The process world: a herd of server processes (`herd sim --herd-cmd`), each server of the
// topology started from the user's command in its own process group, every link through a fault
// proxy (unless the ports are fixed in the servers' code), the mock Places over HTTP. Nothing
// inside a server is seen, so what it holds is what it answers: a server holds a record when the
// first line of its answer to "WHATSAT client 1 1" is that record's AT line.

#include <memory>

#include "sim/world/world.hpp"

namespace herd {

[[nodiscard]] std::unique_ptr<World> make_process_world(WorldOptions options);

}  // namespace herd
