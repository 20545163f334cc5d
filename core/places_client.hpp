#pragma once
// The Google Places Nearby Search call behind WHATSAT, to Places API (New) or the legacy API.
// Blocking: the node runs it on the runtime's blocking pool so that no other client waits for it.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/places_new.hpp"

namespace herd {

// Places API (New): the only one a Google Cloud project made since March 2025 can enable.
inline constexpr const char* google_places_new_url =
    "https://places.googleapis.com/v1/places:searchNearby";
inline constexpr const char* google_places_legacy_url =
    "https://maps.googleapis.com/maps/api/place/nearbysearch/json";

enum class PlacesApi {
  from_url,  // New when the URL's path ends in "places:searchNearby", else legacy
  new_api,
  legacy
};

struct PlacesSettings {
  std::string url = google_places_new_url;  // without a query string
  std::string key;                          // never logged, never in a New API URL
  PlacesApi api = PlacesApi::from_url;
  std::string field_mask = default_places_field_mask;  // New API only
  NewApiReply new_reply = NewApiReply::legacy_fields;
  std::string ca_file;  // PEM certificates trusted for https; empty: the system's
  int timeout_ms = 5000;
  std::size_t max_body_bytes = 4 * 1024 * 1024;
};

// Whether these settings call Places API (New).
[[nodiscard]] bool uses_new_api(const PlacesSettings& settings);

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

  // Never throws; any failure (timeout, HTTP error, oversized or invalid body, a refused key)
  // gives SPEC.md's error object, and a line for the log that says what to do.
  [[nodiscard]] PlacesAnswer fetch(const NearbyQuery& query);

  // Connections kept open while idle; beyond this, a finished call closes its connection.
  static constexpr std::size_t max_idle_connections = 16;

 private:
  struct Pool;
  [[nodiscard]] std::string describe_failure(int error, long verify_result,
                                             std::chrono::steady_clock::time_point began) const;
  PlacesSettings settings_;
  std::string origin_;  // scheme://host[:port]; empty when settings_.url is not http(s)
  std::string path_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace herd
