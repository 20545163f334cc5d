#pragma once
// Who may use the live view's control API. It crashes servers and cuts links, so a request is
// served only when it comes from the page's own origin: the Host names this server by address
// (a DNS name other than localhost is a rebinding attack), an Origin or Sec-Fetch-Site header, if
// the browser sent one, is this server's own, a state-changing POST is JSON (which a page on
// another origin cannot send without a preflight, and the preflight is refused), and every /api/
// request carries the token herd printed. Pure: the HTTP server hands in the headers.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace herd {

struct RequestFacts {
  std::string method, path;
  std::string host;  // the Host header, "" if absent
  bool has_origin = false;
  std::string origin;        // "http://127.0.0.1:8080", or "null"
  std::string fetch_site;    // Sec-Fetch-Site: same-origin, same-site, cross-site, none
  std::string content_type;  // of a POST
  std::string token_param;   // ?token=
  std::string authorization;
  std::size_t host_headers = 1;  // how many Host headers came (two can hide a rebinding name)
  bool chunked = false;          // Transfer-Encoding: the body's size is not said up front
};

struct GuardVerdict {
  int status = 0;  // 0: serve it; 204: a preflight from our own origin; else refuse with this
  std::string message;
};

class RequestGuard {
 public:
  // `bind`: the address the server listens on; `token`: empty when none is asked (--control-open).
  RequestGuard(std::string bind, std::uint16_t port, std::string token);

  [[nodiscard]] GuardVerdict judge(const RequestFacts& request) const;
  // Whether a Host header (or an Origin's host) names this server.
  [[nodiscard]] bool host_allowed(std::string_view host_and_port) const;

 private:
  std::string bind_;
  std::uint16_t port_;
  std::string token_;
};

// {"error": MESSAGE}: control characters dropped and bytes that are not UTF-8 replaced, so any
// message can be sent, whatever a hostile request put in it.
[[nodiscard]] std::string error_json(std::string_view message);

// The address to open, with the token: "http://127.0.0.1:8080/?token=..." (a wildcard bind is
// opened on loopback).
[[nodiscard]] std::string control_url(const std::string& bind, std::uint16_t port,
                                      const std::string& token);

// /api/state's records a server: what a page asks for by default, and the most anyone may ask.
inline constexpr std::size_t default_store_limit = 100;
inline constexpr std::size_t max_store_limit = 10'000;

}  // namespace herd
