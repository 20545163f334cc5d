#include "sim/places/places_body.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>

#include "core/places_format.hpp"

namespace herd {
namespace {

using nlohmann::json;
constexpr double pi = 3.14159265358979323846;
constexpr double degrees = pi / 180.0;

std::uint64_t query_seed(double lat, double lng, double radius_m) {
  // Rounded so the same query text always lands on the same seed.
  auto mix = [](std::uint64_t h, long long v) {
    h ^= static_cast<std::uint64_t>(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
  };
  std::uint64_t h = 1469598103934665603ULL;
  h = mix(h, std::llround(lat * 1e6));
  h = mix(h, std::llround(lng * 1e6));
  h = mix(h, std::llround(radius_m * 1e3));
  return h;
}

double round7(double v) {
  return std::round(v * 1e7) / 1e7;
}

// The point `distance` metres from (lat, lng) along `bearing` radians, on a sphere.
LatLng destination(double lat, double lng, double distance, double bearing) {
  double phi1 = lat * degrees, lambda1 = lng * degrees, delta = distance / earth_radius_m;
  double phi2 = std::asin(std::sin(phi1) * std::cos(delta) +
                          std::cos(phi1) * std::sin(delta) * std::cos(bearing));
  double lambda2 = lambda1 + std::atan2(std::sin(bearing) * std::sin(delta) * std::cos(phi1),
                                        std::cos(delta) - std::sin(phi1) * std::sin(phi2));
  double out_lng = std::remainder(lambda2 / degrees, 360.0);
  return {phi2 / degrees, out_lng};
}

std::string token(std::mt19937_64& rng, std::size_t length) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  std::string out;
  for (std::size_t i = 0; i < length; ++i) out.push_back(alphabet[rng() % 64]);
  return out;
}

json lat_lng(double lat, double lng) {
  return {{"lat", round7(lat)}, {"lng", round7(lng)}};
}

json make_place(std::mt19937_64& rng, int index, double lat, double lng, double radius_m) {
  static const char* kinds[][2] = {
      {"Cafe", "cafe"},         {"Bakery", "bakery"},        {"Library", "library"},
      {"Park", "park"},         {"Bookstore", "book_store"}, {"Gym", "gym"},
      {"Pharmacy", "pharmacy"}, {"Museum", "museum"}};
  // Not uniform_real_distribution: its doubles differ between standard libraries, and a virtual
  // run's WHATSAT replies must be the same on every machine. mt19937_64's own bits are standard.
  auto unit = [](std::mt19937_64& r) { return static_cast<double>(r() >> 11) * 0x1.0p-53; };
  // sqrt spreads points evenly over the disc; 0.95 keeps 7-digit rounding inside the radius.
  double distance = radius_m * 0.95 * std::sqrt(unit(rng));
  auto spot = destination(lat, lng, distance, unit(rng) * 2 * pi);
  const auto& kind = kinds[rng() % 8];
  std::string place_id = "ChIJ" + token(rng, 23);
  json place;
  place["business_status"] = "OPERATIONAL";
  place["geometry"] = {{"location", lat_lng(spot.lat, spot.lng)},
                       {"viewport",
                        {{"northeast", lat_lng(spot.lat + 0.0013, spot.lng + 0.0013)},
                         {"southwest", lat_lng(spot.lat - 0.0013, spot.lng - 0.0013)}}}};
  place["icon"] =
      "https://maps.gstatic.com/mapfiles/place_api/icons/v1/png_71/generic_business-71.png";
  place["icon_background_color"] = "#7B9EB0";
  place["icon_mask_base_uri"] =
      "https://maps.gstatic.com/mapfiles/place_api/icons/v2/generic_pinlet";
  place["name"] = std::string("Herd ") + kind[0] + " " + std::to_string(index + 1);
  place["opening_hours"] = {{"open_now", rng() % 3 != 0}};
  place["photos"] = json::array(
      {{{"height", 3024},
        {"html_attributions",
         json::array({"<a href=\"https://maps.google.com/maps/contrib/" +
                      std::to_string(rng() % 100000000000ULL) + "\">A Herd Visitor</a>"})},
        {"photo_reference", "Aap_" + token(rng, 60)},
        {"width", 4032}}});
  place["place_id"] = place_id;
  place["plus_code"] = {{"compound_code", token(rng, 4) + "+" + token(rng, 2) + " Herd City"},
                        {"global_code", "85" + token(rng, 6) + "+" + token(rng, 2)}};
  place["rating"] = std::round((3.0 + 2.0 * unit(rng)) * 10) / 10;
  place["reference"] = place_id;
  place["scope"] = "GOOGLE";
  place["types"] = json::array({kind[1], "point_of_interest", "establishment"});
  place["user_ratings_total"] = static_cast<int>(rng() % 5000);
  place["vicinity"] = std::to_string(100 + rng() % 9900) + " Mock Street, Herd City";
  return place;
}

std::optional<double> parse_number(std::string_view text) {
  // A '+' a server did not percent-encode arrives as a space, and Google takes it: so do we.
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

}  // namespace

double distance_m(double lat1, double lng1, double lat2, double lng2) {
  double dphi = (lat2 - lat1) * degrees, dlambda = (lng2 - lng1) * degrees;
  double a = std::sin(dphi / 2) * std::sin(dphi / 2) +
             std::cos(lat1 * degrees) * std::cos(lat2 * degrees) * std::sin(dlambda / 2) *
                 std::sin(dlambda / 2);
  return 2 * earth_radius_m * std::asin(std::min(1.0, std::sqrt(a)));
}

int mock_result_count(double lat, double lng, double radius_m) {
  return 20 + static_cast<int>(query_seed(lat, lng, radius_m) % 5);
}

std::string mock_nearby_body(double lat, double lng, double radius_m) {
  std::mt19937_64 rng(query_seed(lat, lng, radius_m));
  json body;
  body["html_attributions"] = json::array();
  body["next_page_token"] = "Aap_" + token(rng, 120);
  json results = json::array();
  int count = mock_result_count(lat, lng, radius_m);
  for (int i = 0; i < count; ++i) results.push_back(make_place(rng, i, lat, lng, radius_m));
  body["results"] = std::move(results);
  body["status"] = "OK";
  return to_google_style(body) + "\n";
}

std::string mock_invalid_request_body(std::string_view message) {
  json body;
  body["error_message"] = std::string(message);
  body["html_attributions"] = json::array();
  body["results"] = json::array();
  body["status"] = "INVALID_REQUEST";
  return to_google_style(body) + "\n";
}

std::optional<LatLng> parse_lat_lng(std::string_view text) {
  auto comma = text.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  auto lat = parse_number(text.substr(0, comma));
  auto lng = parse_number(text.substr(comma + 1));
  if (!lat || !lng || *lat < -90 || *lat > 90 || *lng < -180 || *lng > 180) return std::nullopt;
  return LatLng{*lat, *lng};
}

std::optional<double> parse_radius_m(std::string_view text) {
  auto radius = parse_number(text);
  if (!radius || *radius <= 0 || *radius > 50000) return std::nullopt;
  return radius;
}

MockAnswer mock_places_answer(const std::optional<std::string>& location_text,
                              const std::optional<std::string>& radius_text,
                              const PlacesFaults& faults) {
  if (faults.http_status != 0) return {faults.http_status, "mock Places fault"};
  // Cut off inside the first result, as a connection that dies mid-body leaves it.
  if (faults.malformed)
    return {200, "{\n   \"html_attributions\" : [],\n   \"results\" : [\n      {"};
  auto location = location_text ? parse_lat_lng(*location_text) : std::nullopt;
  if (!location)
    return {200, mock_invalid_request_body(
                     "Invalid request. Missing or malformed 'location' parameter.")};
  auto radius = radius_text ? parse_radius_m(*radius_text) : std::nullopt;
  if (!radius)
    return {200,
            mock_invalid_request_body("Invalid request. Missing or malformed 'radius' parameter.")};
  return {200, mock_nearby_body(location->lat, location->lng, *radius)};
}

}  // namespace herd

namespace herd {
namespace {

// Google's canonical status names for the HTTP codes a fault or an error may carry.
const char* canonical_status(int http) {
  switch (http) {
    case 400:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 503:
      return "UNAVAILABLE";
    case 504:
      return "DEADLINE_EXCEEDED";
    default:
      return http >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
  }
}

MockAnswer google_error(int http, std::string message) {
  json body = {
      {"error",
       {{"code", http}, {"message", std::move(message)}, {"status", canonical_status(http)}}}};
  return {http, body.dump(2) + "\n"};
}

// A legacy result in the shape of a Places (New) Place.
json new_place(const json& legacy) {
  const auto& id = legacy.at("place_id");
  const auto& location = legacy.at("geometry").at("location");
  const auto& viewport = legacy.at("geometry").at("viewport");
  auto lat_lng = [](const json& p) {
    return json{{"latitude", p.at("lat")}, {"longitude", p.at("lng")}};
  };
  const auto& photo = legacy.at("photos").at(0);
  json place = {
      {"name", "places/" + id.get<std::string>()},
      {"id", id},
      {"types", legacy.at("types")},
      {"formattedAddress", legacy.at("vicinity").get<std::string>() + ", USA"},
      {"shortFormattedAddress", legacy.at("vicinity")},
      {"location", lat_lng(location)},
      {"viewport",
       {{"low", lat_lng(viewport.at("southwest"))}, {"high", lat_lng(viewport.at("northeast"))}}},
      {"plusCode",
       {{"globalCode", legacy.at("plus_code").at("global_code")},
        {"compoundCode", legacy.at("plus_code").at("compound_code")}}},
      {"rating", legacy.at("rating")},
      {"userRatingCount", legacy.at("user_ratings_total")},
      {"businessStatus", legacy.at("business_status")},
      {"iconMaskBaseUri", legacy.at("icon_mask_base_uri")},
      {"iconBackgroundColor", legacy.at("icon_background_color")},
      {"displayName", {{"text", legacy.at("name")}, {"languageCode", "en"}}},
      {"primaryType", legacy.at("types").at(0)},
      {"currentOpeningHours", {{"openNow", legacy.at("opening_hours").at("open_now")}}},
      {"photos",
       json::array({{{"name", "places/" + id.get<std::string>() + "/photos/" +
                                  photo.at("photo_reference").get<std::string>()},
                     {"widthPx", photo.at("width")},
                     {"heightPx", photo.at("height")},
                     {"authorAttributions",
                      json::array({{{"displayName", "A Herd Visitor"},
                                    {"uri", "https://maps.google.com/maps/contrib/1"}}})}}})},
  };
  return place;
}

// `place` cut down to the paths of the mask ("places.displayName", "places.location.latitude");
// "*" or "places" keeps all of it.
json masked(const json& place, const std::vector<std::string>& paths) {
  json out = json::object();
  for (const auto& path : paths) {
    if (path == "*" || path == "places") return place;
    if (!path.starts_with("places.")) continue;
    const json* from = &place;
    json* to = &out;
    std::string_view rest = std::string_view(path).substr(7);
    while (!rest.empty()) {
      auto dot = rest.find('.');
      std::string key(rest.substr(0, dot));
      if (!from->is_object() || !from->contains(key)) break;
      from = &from->at(key);
      if (dot == std::string_view::npos) {
        (*to)[key] = *from;
        break;
      }
      if (!to->contains(key)) (*to)[key] = json::object();
      to = &(*to)[key];
      rest.remove_prefix(dot + 1);
    }
  }
  return out;
}

}  // namespace

MockAnswer mock_search_nearby_answer(std::string_view body,
                                     const std::optional<std::string>& api_key,
                                     const std::optional<std::string>& field_mask,
                                     const PlacesFaults& faults) {
  if (faults.http_status != 0) return google_error(faults.http_status, "mock Places fault");
  if (faults.malformed) return {200, "{\n  \"places\": [\n    {\n      \"name\": \"pla"};
  if (!api_key || api_key->empty())
    return google_error(403,
                        "Method doesn't allow unregistered callers (callers without established "
                        "identity). Please use API Key or other form of API consumer identity to "
                        "call this API.");
  if (!field_mask || field_mask->empty())
    return google_error(400,
                        "FieldMask is a required parameter. See "
                        "https://cloud.google.com/apis/docs/system-parameters on how to provide "
                        "it. As an example, you can set the header 'X-Goog-FieldMask' to value "
                        "'places.displayName' to ask for the display name of each place.");
  if (field_mask->find(' ') != std::string::npos)
    return google_error(400,
                        "Invalid field mask: spaces are not allowed in \"" + *field_mask + "\".");
  auto request = json::parse(body, nullptr, false);
  if (request.is_discarded() || !request.is_object())
    return google_error(400, "Invalid JSON payload received. Unexpected token.");
  static const std::vector<std::string> known = {"languageCode",
                                                 "regionCode",
                                                 "includedTypes",
                                                 "excludedTypes",
                                                 "includedPrimaryTypes",
                                                 "excludedPrimaryTypes",
                                                 "maxResultCount",
                                                 "locationRestriction",
                                                 "rankPreference",
                                                 "routingParameters",
                                                 "includeFutureOpeningBusinesses"};
  for (const auto& [key, value] : request.items())
    if (std::find(known.begin(), known.end(), key) == known.end())
      return google_error(
          400, "Invalid JSON payload received. Unknown name \"" + key + "\": Cannot find field.");
  int max_results = 20;
  if (request.contains("maxResultCount")) {
    const auto& count = request.at("maxResultCount");
    if (!count.is_number_integer() || count.get<long long>() < 1 || count.get<long long>() > 20)
      return google_error(400, "maxResultCount must be between 1 and 20, inclusive.");
    max_results = count.get<int>();
  }
  const json* circle = nullptr;
  if (request.contains("locationRestriction") && request.at("locationRestriction").is_object() &&
      request.at("locationRestriction").contains("circle"))
    circle = &request.at("locationRestriction").at("circle");
  if (circle == nullptr || !circle->is_object())
    return google_error(400, "locationRestriction.circle is required.");
  const json* center = circle->contains("center") ? &circle->at("center") : nullptr;
  auto number_at = [](const json* object, const char* key) -> std::optional<double> {
    if (object == nullptr || !object->is_object() || !object->contains(key) ||
        !object->at(key).is_number())
      return std::nullopt;
    return object->at(key).get<double>();
  };
  auto lat = number_at(center, "latitude"), lng = number_at(center, "longitude");
  if (!lat || !lng || *lat < -90 || *lat > 90 || *lng < -180 || *lng > 180)
    return google_error(400,
                        "locationRestriction.circle.center must have a latitude within [-90, 90] "
                        "and a longitude within [-180, 180].");
  auto radius = number_at(circle, "radius");
  if (!radius || *radius <= 0 || *radius > 50000)
    return google_error(400,
                        "locationRestriction.circle.radius must be greater than 0.0 and at "
                        "most 50000.0.");
  std::vector<std::string> paths;
  std::string_view rest = *field_mask;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    paths.emplace_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  auto legacy = json::parse(mock_nearby_body(*lat, *lng, *radius));
  // Fields a real Place has that the mock leaves empty (as Google leaves out what it lacks).
  static const std::vector<std::string> also_real = {
      "websiteUri",        "nationalPhoneNumber", "internationalPhoneNumber",
      "addressComponents", "regularOpeningHours", "utcOffsetMinutes",
      "priceLevel",        "googleMapsUri",       "editorialSummary",
      "reviews",           "adrFormatAddress",    "attributions",
      "timeZone",          "postalAddress",       "primaryTypeDisplayName",
      "priceRange",        "accessibilityOptions"};
  const auto sample = new_place(legacy.at("results").at(0));
  for (const auto& path : paths) {
    if (path == "*" || path == "places") continue;
    std::string top = path.starts_with("places.") ? path.substr(7, path.find('.', 7) - 7) : "";
    if (top.empty() || (!sample.contains(top) &&
                        std::find(also_real.begin(), also_real.end(), top) == also_real.end()))
      return google_error(400,
                          "Error expanding 'fields' parameter. Cannot find matching fields "
                          "for path '" +
                              path + "'.");
  }
  json places = json::array();
  for (const auto& result : legacy.at("results")) {
    if (static_cast<int>(places.size()) == max_results) break;
    auto place = masked(new_place(result), paths);
    if (!place.empty()) places.push_back(std::move(place));
  }
  // Proto3 JSON leaves out empty fields: no places is "{}".
  json out = json::object();
  if (!places.empty()) out["places"] = std::move(places);
  return {200, out.dump(2) + "\n"};
}

}  // namespace herd
