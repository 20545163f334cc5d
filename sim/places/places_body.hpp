#pragma once
// The mock Places answer: a complete, Google-shaped Nearby Search body that is the same for the
// same query, with every result inside the radius.

#include <optional>
#include <string>
#include <string_view>

#include "sim/faults/places_faults.hpp"

namespace herd {

inline constexpr double earth_radius_m = 6'371'008.8;

// Great-circle distance in metres.
[[nodiscard]] double distance_m(double lat1, double lng1, double lat2, double lng2);

// How many results the body for this query holds (20 to 24, so a bound of 20 cuts something).
[[nodiscard]] int mock_result_count(double lat, double lng, double radius_m);

// The pretty-printed body for a valid query.
[[nodiscard]] std::string mock_nearby_body(double lat, double lng, double radius_m);

// Google's INVALID_REQUEST body, for a missing or malformed location or radius.
[[nodiscard]] std::string mock_invalid_request_body(std::string_view message);

// Reads "LAT,LNG" as Nearby Search does; nullopt when malformed or out of range.
struct LatLng {
  double lat, lng;
};
[[nodiscard]] std::optional<LatLng> parse_lat_lng(std::string_view text);
[[nodiscard]] std::optional<double> parse_radius_m(std::string_view text);

// What the mock answers to a Nearby Search whose location and radius parameters are these
// (nullopt: absent), with `faults` applied but for latency and silence, which are about when.
struct MockAnswer {
  int status = 200;
  std::string body;
};
[[nodiscard]] MockAnswer mock_places_answer(const std::optional<std::string>& location,
                                            const std::optional<std::string>& radius,
                                            const PlacesFaults& faults);

}  // namespace herd

namespace herd {

// Places API (New), POST /v1/places:searchNearby: what the mock answers to a request with this
// body, API key and field mask (X-Goog-Api-Key and X-Goog-FieldMask, or ?key= and ?fields=;
// nullopt: absent), with `faults` applied but for latency and silence. The same places as the
// legacy answer for the same circle, in the new API's shape and filtered by the field mask;
// errors in Google's shape, {"error": {"code", "message", "status"}}.
[[nodiscard]] MockAnswer mock_search_nearby_answer(std::string_view body,
                                                   const std::optional<std::string>& api_key,
                                                   const std::optional<std::string>& field_mask,
                                                   const PlacesFaults& faults);

}  // namespace herd
