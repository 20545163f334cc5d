#pragma once
// The real world for a node: a strand of the Runtime's io_context (the context itself when one
// thread runs it), TCP sockets and timers on it, the system and monotonic clocks, OpenSSL's
// random bytes, and Places over HTTP(S) on the Runtime's blocking pool.

#include <memory>

#include "core/clock.hpp"
#include "core/places_client.hpp"

namespace herd {

class Runtime;
namespace io {
class Environment;
}

// One node's world. `wall`: the date it reads (tests fix it); `runtime` and `wall` outlive it.
[[nodiscard]] std::shared_ptr<io::Environment> make_tcp_environment(
    Runtime& runtime, const PlacesSettings& places, const Clock& wall = system_clock());

}  // namespace herd
