#pragma once
// A stand-in for Google Places Nearby Search on loopback (cpp-httplib on its own thread), legacy
// and New, over http or https, with faults the simulator can switch on: latency, HTTP errors,
// malformed JSON, no answer at all.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "sim/faults/places_faults.hpp"

namespace herd {

// The key Herd's own servers send the mock when the user gave none: the New API refuses a
// request without one, as Google does.
inline constexpr const char* mock_places_key = "herd-mock-key";

// PEM files for serving https: the certificate chain and its private key.
struct MockTls {
  std::string cert_file, key_file;
};

// What the mock last received, for tests of the request's shape.
struct SeenRequest {
  std::string method, target;                     // target: path and query string as sent
  std::string api_key, field_mask, content_type;  // the headers; empty when absent
  std::string body;
};

// Why a mock could not start on `port` (0: any), in words a user can act on: an address in use
// inside the kernel's range for outgoing connections' ports says so, and where to pick instead.
[[nodiscard]] std::string mock_start_error(std::uint16_t port, std::error_code ec);

class PlacesMock {
 public:
  explicit PlacesMock(std::string host = "127.0.0.1", std::uint16_t port = 0,
                      std::optional<MockTls> tls = std::nullopt);
  ~PlacesMock();  // stops and joins
  PlacesMock(const PlacesMock&) = delete;
  PlacesMock& operator=(const PlacesMock&) = delete;

  // Binds and starts serving on a thread; returns once the server accepts requests. With TLS, a
  // certificate or key that cannot be loaded is an error here.
  [[nodiscard]] std::error_code start();
  void stop();

  [[nodiscard]] std::uint16_t port() const;
  // The endpoint a node's --places-url takes, without a query string.
  [[nodiscard]] std::string url() const;
  // Places API (New)'s Nearby Search: POST with X-Goog-Api-Key and X-Goog-FieldMask.
  [[nodiscard]] std::string search_nearby_url() const;

  void set_faults(const PlacesFaults& faults);
  [[nodiscard]] PlacesFaults faults() const;
  [[nodiscard]] std::uint64_t requests() const;
  // Distinct client connections that sent a request.
  [[nodiscard]] std::size_t connections() const;
  [[nodiscard]] std::optional<SeenRequest> last_request() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herd
