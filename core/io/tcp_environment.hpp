#pragma once
// The real world for a node: TCP sockets and timers on the Runtime's io_context, the monotonic
// clock, OpenSSL's random bytes, and Places over HTTP(S) on the Runtime's blocking pool.

#include <memory>

#include "core/places_client.hpp"

namespace herd {

class Runtime;
namespace io {
class Environment;
}

[[nodiscard]] std::shared_ptr<io::Environment> make_tcp_environment(Runtime& runtime,
                                                                    const PlacesSettings& places);

}  // namespace herd
