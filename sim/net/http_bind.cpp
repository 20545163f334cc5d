#include "sim/net/http_bind.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <cerrno>

namespace herd {

std::error_code bind_http_server(httplib::Server& server, const std::string& host,
                                 std::uint16_t& port) {
  // httplib hands each socket it tries to this before binding it; the last one is the one
  // that bound.
  socket_t bound = INVALID_SOCKET;
  server.set_socket_options([&bound](socket_t socket) {
    httplib::default_socket_options(socket);
    bound = socket;
  });
  std::error_code ec;
  if (port == 0) {
    int any = server.bind_to_any_port(host);
    if (any > 0)
      port = static_cast<std::uint16_t>(any);
    else
      ec = std::make_error_code(std::errc::address_not_available);
  } else if (!server.bind_to_port(host, port)) {
    ec = std::make_error_code(std::errc::address_in_use);
  }
  server.set_socket_options(httplib::default_socket_options);  // `bound` goes out of scope
  if (ec) return ec;
  // Listening again on a listening socket changes only its backlog.
  if (::listen(bound, http_listen_backlog) != 0) return {errno, std::generic_category()};
  return {};
}

}  // namespace herd
