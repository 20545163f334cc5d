#pragma once
// Places API (New) Nearby Search as WHATSAT uses it: the request body, and the answer turned into
// SPEC.md's reply (the legacy fields, or Google's JSON as it came). Also what to tell the log when
// either API refuses. Pure: no I/O.

#include <string>
#include <string_view>

namespace herd {

struct NearbyQuery;

// Paths each prefixed "places.", no spaces: what fills the legacy fields of a WHATSAT reply
// (name, vicinity, geometry, place_id, types, rating, user_ratings_total, business_status,
// price_level, opening_hours.open_now, plus_code, icons). rating and userRatingCount make Google
// bill the call at its Enterprise tier; "*" would add the Atmosphere tier, and photos, for nothing.
// The whole currentOpeningHours, not its openNow alone: Google documents sub-paths in general but
// shows none for this field, and a refused mask would cost every WHATSAT.
inline constexpr const char* default_places_field_mask =
    "places.id,places.displayName,places.shortFormattedAddress,places.formattedAddress,"
    "places.location,places.viewport,places.types,places.rating,places.userRatingCount,"
    "places.businessStatus,places.priceLevel,places.currentOpeningHours,places.plusCode,"
    "places.iconMaskBaseUri,places.iconBackgroundColor";

// What a WHATSAT sends: {"maxResultCount": bound, "locationRestriction": {"circle": {"center":
// {"latitude", "longitude"}, "radius": metres}}}, numbers as JSON numbers.
[[nodiscard]] std::string search_nearby_request(const NearbyQuery& query);

// The JSON part of a WHATSAT reply and, when Places refused or failed, a line for the log that
// says what to do (empty when all went well).
struct PlacesAnswer {
  std::string body;
  std::string problem;
};

enum class NewApiReply {
  legacy_fields,  // SPEC.md's shape: results, status, html_attributions, the legacy field names
  as_google_sent  // Google's New JSON ({"places": [...]}), cut to the bound
};

// Shapes a Places API (New) answer of HTTP `http_status`. Every field is optional and checked for
// its type: a broken or hostile Places gives an error object or fewer fields, never a crash.
[[nodiscard]] PlacesAnswer shape_search_nearby(int http_status, std::string_view body, int bound,
                                               NewApiReply reply);

// The legacy Nearby Search answer shaped as before (shape_places_body), with the log line for a
// status other than OK and ZERO_RESULTS ("this key cannot call the legacy API: ...").
[[nodiscard]] PlacesAnswer shape_legacy_answer(std::string_view body, int bound);

}  // namespace herd
