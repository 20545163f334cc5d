#pragma once
// The Google Places Nearby Search call behind WHATSAT. Blocking: the node runs it on the
// runtime's blocking pool so that no other client waits for it.

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

// The query string (without '?') for the legacy Nearby Search. The key is appended last.
[[nodiscard]] std::string nearby_query_string(const NearbyQuery& query, std::string_view key);

// Fetches and shapes the Places JSON for a WHATSAT reply. Never throws; any failure (timeout,
// HTTP error, oversized or invalid body) gives SPEC.md's error object.
[[nodiscard]] std::string fetch_nearby(const PlacesSettings& settings, const NearbyQuery& query);

}  // namespace herd
