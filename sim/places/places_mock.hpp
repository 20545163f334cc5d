#pragma once
// A stand-in for Google Places Nearby Search on loopback (cpp-httplib on its own thread), with
// faults the simulator can switch on: latency, HTTP errors, malformed JSON, no answer at all.

#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

#include "sim/faults/places_faults.hpp"

namespace herd {

class PlacesMock {
 public:
  explicit PlacesMock(std::string host = "127.0.0.1", std::uint16_t port = 0);
  ~PlacesMock();  // stops and joins
  PlacesMock(const PlacesMock&) = delete;
  PlacesMock& operator=(const PlacesMock&) = delete;

  // Binds and starts serving on a thread; returns once the server accepts requests.
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

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herd
