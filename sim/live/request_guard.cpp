#include "sim/live/request_guard.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/constant_time.hpp"

namespace herd {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

struct Address {
  bool v4 = false, v6 = false;
  unsigned char bytes[16] = {};
};

Address parse_address(const std::string& text) {
  Address a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes) == 1)
    a.v4 = true;
  else if (inet_pton(AF_INET6, text.c_str(), a.bytes) == 1)
    a.v6 = true;
  return a;
}

bool is_loopback(const Address& a) {
  if (a.v4) return a.bytes[0] == 127;
  if (!a.v6) return false;
  static const unsigned char one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::equal(a.bytes, a.bytes + 16, one);
}

bool is_wildcard(const Address& a) {
  std::size_t size = a.v4 ? 4 : a.v6 ? 16 : 0;
  return size > 0 && std::all_of(a.bytes, a.bytes + size, [](unsigned char b) { return b == 0; });
}

bool same(const Address& a, const Address& b) {
  if (a.v4 != b.v4 || a.v6 != b.v6) return false;
  return std::equal(a.bytes, a.bytes + (a.v4 ? 4 : 16), b.bytes);
}

}  // namespace

RequestGuard::RequestGuard(std::string bind, std::uint16_t port, std::string token)
    : bind_(std::move(bind)), port_(port), token_(std::move(token)) {}

bool RequestGuard::host_allowed(std::string_view host_and_port) const {
  std::string host, port;
  if (host_and_port.starts_with("[")) {
    auto close = host_and_port.find(']');
    if (close == std::string_view::npos) return false;
    host = host_and_port.substr(1, close - 1);
    auto rest = host_and_port.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
    }
  } else {
    auto colon = host_and_port.find(':');
    if (colon != host_and_port.rfind(':')) return false;  // a bare IPv6 address is not a Host
    host = host_and_port.substr(0, colon);
    if (colon != std::string_view::npos) port = host_and_port.substr(colon + 1);
  }
  if (port.empty() ? port_ != 80 : port != std::to_string(port_)) return false;
  auto bound = parse_address(bind_);
  host = lower(host);
  if (host == "localhost") return is_loopback(bound) || is_wildcard(bound);
  auto named = parse_address(host);
  if (!named.v4 && !named.v6) return false;  // a DNS name: what rebinding uses
  if (is_wildcard(bound)) return true;
  if (is_loopback(bound)) return is_loopback(named);
  return same(named, bound);
}

GuardVerdict RequestGuard::judge(const RequestFacts& r) const {
  if (r.host_headers > 1) return {400, "a request has one Host header"};
  if (r.host.empty() || !host_allowed(r.host))
    return {403, "Host \"" + r.host.substr(0, 100) +
                     "\" is not this server's address; open it by address, as herd printed it "
                     "(a DNS name pointing here is how a rebinding attack reaches it)"};
  auto site = lower(r.fetch_site);
  if (!site.empty() && site != "same-origin" && site != "none")
    return {403,
            "requests from other sites are refused (Sec-Fetch-Site: " + site.substr(0, 40) + ")"};
  if (r.has_origin) {
    std::string_view origin = r.origin;
    bool ours = origin.starts_with("http://") && host_allowed(origin.substr(7));
    if (!ours)
      return {403, "requests from other origins are refused (Origin: " +
                       std::string(origin.substr(0, 100)) + ")"};
  }
  if (r.method == "OPTIONS") return {204, {}};
  // The body-size cap counts a Content-Length; a chunked body would be read however long it is.
  if (r.chunked) return {411, "send the body with a Content-Length; chunked bodies are refused"};
  if (!r.path.starts_with("/api/")) return {};
  if (!token_.empty()) {
    std::string given = r.token_param;
    if (given.empty() && r.authorization.starts_with("Bearer ")) given = r.authorization.substr(7);
    if (!constant_time_equal(token_, given))
      return {401,
              "a token is needed: open the address herd printed (it ends in ?token=...), "
              "or send Authorization: Bearer TOKEN"};
  }
  if (r.method == "POST") {
    auto type = lower(r.content_type);
    if (type != "application/json" && !type.starts_with("application/json;"))
      return {415, "a POST must be JSON, with Content-Type: application/json"};
  }
  return {};
}

std::string error_json(std::string_view message) {
  std::string clean;
  for (char c : message)
    if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') clean.push_back(c);
  return nlohmann::json{{"error", clean}}.dump(-1, ' ', false,
                                               nlohmann::json::error_handler_t::replace) +
         "\n";
}

std::string control_url(const std::string& bind, std::uint16_t port, const std::string& token) {
  auto bound = parse_address(bind);
  std::string host = is_wildcard(bound) ? (bound.v6 ? "[::1]" : "127.0.0.1")
                     : bound.v6         ? "[" + bind + "]"
                                        : bind;
  return "http://" + host + ":" + std::to_string(port) + "/" +
         (token.empty() ? "" : "?token=" + token);
}

}  // namespace herd
