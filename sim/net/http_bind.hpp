#pragma once
// Binds one of httplib's servers (the mock Places, the live view) and makes it listen with a
// backlog a herd's burst of connects fits in. The httplib Debian ships is a compiled library
// that listens with a backlog of 5: fifty servers asking the mock Places at once overflowed it,
// the kernel dropped their SYNs, and each connect was retried a second later.

#include <cstdint>
#include <string>
#include <system_error>

namespace httplib {
class Server;
}

namespace herd {

inline constexpr int http_listen_backlog = 1024;  // the kernel caps it at net.core.somaxconn

// Binds `server` to host:port, or to any free port when `port` is 0 (then sets `port` to it),
// and listens. address_in_use when the port is taken, address_not_available when no port could
// be had. listen_after_bind() then serves.
[[nodiscard]] std::error_code bind_http_server(httplib::Server& server, const std::string& host,
                                               std::uint16_t& port);

}  // namespace herd
