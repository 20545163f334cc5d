#pragma once
// The Google Places Nearby Search call behind WHATSAT. Blocking: the node runs it on the
// runtime's blocking pool so that no other client waits for it.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace herd {

inline constexpr const char* google_places_url =
    "https://maps.googleapis.com/maps/api/place/nearbysearch/json";

struct PlacesSettings {
  std::string url = google_places_url;  // without a query string
  std::string key;                      // never logged
  int timeout_ms = 5000;
  std::size_t max_body_bytes = 4 * 1024 * 1024;
};

struct NearbyQuery {
  std::string latitude, longitude;  // signed decimal text, as the client sent it
  std::string radius_metres;
  int bound = 1;
};

// "LAT,LNG" as Nearby Search wants it: no '+' on positive numbers.
[[nodiscard]] std::string nearby_location(const NearbyQuery& query);

// The query string (without '?') for the legacy Nearby Search. The key is appended last.
[[nodiscard]] std::string nearby_query_string(const NearbyQuery& query, std::string_view key);

// Fetches and shapes the Places JSON for WHATSAT replies, over kept-alive connections: each
// call borrows an idle connection or opens one, and gives it back for the next call, so a busy
// server does not pay a TCP (and TLS) handshake per WHATSAT. Safe to call from many threads.
class PlacesClient {
 public:
  explicit PlacesClient(PlacesSettings settings);
  ~PlacesClient();
  PlacesClient(const PlacesClient&) = delete;
  PlacesClient& operator=(const PlacesClient&) = delete;

  // Never throws; any failure (timeout, HTTP error, oversized or invalid body) gives SPEC.md's
  // error object.
  [[nodiscard]] std::string fetch(const NearbyQuery& query);

  // Connections kept open while idle; beyond this, a finished call closes its connection.
  static constexpr std::size_t max_idle_connections = 16;

 private:
  struct Pool;
  [[nodiscard]] std::string describe_failure(int error,
                                             std::chrono::steady_clock::time_point began) const;
  PlacesSettings settings_;
  std::string origin_;  // scheme://host[:port]; empty when settings_.url is not http(s)
  std::string path_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace herd
