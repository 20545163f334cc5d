// The node's side of Places API (New): the request body, the mapping of every legacy field, the
// bound, and what each refusal of either API becomes in the reply and in the log.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core/places_client.hpp"
#include "core/places_new.hpp"

namespace herd {
namespace {

using nlohmann::json;

// One place as Google's Nearby Search (New) documents it, with every field the default mask asks.
const json full_place = json::parse(R"({
  "name": "places/ChIJYzS7CpcFdkgRWjzUhmUGrYs",
  "id": "ChIJYzS7CpcFdkgRWjzUhmUGrYs",
  "displayName": {"text": "Toklas", "languageCode": "en"},
  "types": ["restaurant", "food", "point_of_interest", "establishment"],
  "formattedAddress": "1 Surrey St, London WC2R 2ND, UK",
  "shortFormattedAddress": "1 Surrey St, London",
  "location": {"latitude": 51.5120126, "longitude": -0.1152601},
  "viewport": {"low": {"latitude": 51.51058, "longitude": -0.11668},
               "high": {"latitude": 51.51328, "longitude": -0.11398}},
  "plusCode": {"globalCode": "9C3XGV6M+RV", "compoundCode": "GV6M+RV London, UK"},
  "rating": 4.8,
  "userRatingCount": 992,
  "businessStatus": "OPERATIONAL",
  "priceLevel": "PRICE_LEVEL_EXPENSIVE",
  "currentOpeningHours": {"openNow": false, "weekdayDescriptions": ["Monday: Closed"]},
  "iconMaskBaseUri": "https://maps.gstatic.com/mapfiles/place_api/icons/v2/restaurant_pinlet",
  "iconBackgroundColor": "#FF9E67"
})");

json legacy_of(const json& new_body, int bound = 20) {
  auto answer = shape_search_nearby(200, new_body.dump(), bound, NewApiReply::legacy_fields);
  CHECK(answer.problem.empty());
  return json::parse(answer.body);
}

TEST_CASE("a WHATSAT asks searchNearby with the circle, the radius in metres and the bound") {
  auto request =
      json::parse(search_nearby_request(NearbyQuery{"+34.068930", "-118.445127", "10000", 5}));
  CHECK(request.at("maxResultCount") == 5);
  const auto& circle = request.at("locationRestriction").at("circle");
  CHECK(circle.at("center").at("latitude") == doctest::Approx(34.06893));
  CHECK(circle.at("center").at("longitude") == doctest::Approx(-118.445127));
  CHECK(circle.at("radius").is_number());
  CHECK(circle.at("radius") == doctest::Approx(10000.0));
  CHECK(request.size() == 2);  // nothing Google would bill or filter on besides
}

TEST_CASE("every legacy field of a WHATSAT reply is filled from the New answer") {
  auto body = legacy_of(json{{"places", {full_place}}});
  CHECK(body.at("status") == "OK");
  CHECK(body.at("html_attributions") == json::array());
  REQUIRE(body.at("results").size() == 1);
  const auto& result = body.at("results").at(0);
  CHECK(result.at("name") == "Toklas");  // displayName.text, never the New "places/..." name
  CHECK(result.at("place_id") == "ChIJYzS7CpcFdkgRWjzUhmUGrYs");
  CHECK(result.at("vicinity") == "1 Surrey St, London");
  CHECK(result.at("geometry").at("location").at("lat") == doctest::Approx(51.5120126));
  CHECK(result.at("geometry").at("location").at("lng") == doctest::Approx(-0.1152601));
  CHECK(result.at("geometry").at("viewport").at("northeast").at("lat") ==
        doctest::Approx(51.51328));
  CHECK(result.at("geometry").at("viewport").at("southwest").at("lng") ==
        doctest::Approx(-0.11668));
  CHECK(result.at("types") == full_place.at("types"));
  CHECK(result.at("rating") == doctest::Approx(4.8));
  CHECK(result.at("user_ratings_total") == 992);
  CHECK(result.at("business_status") == "OPERATIONAL");
  CHECK(result.at("price_level") == 3);
  CHECK(result.at("opening_hours").at("open_now") == false);
  CHECK(result.at("plus_code").at("global_code") == "9C3XGV6M+RV");
  CHECK(result.at("plus_code").at("compound_code") == "GV6M+RV London, UK");
  CHECK(result.at("icon_mask_base_uri") == full_place.at("iconMaskBaseUri"));
  CHECK(result.at("icon_background_color") == "#FF9E67");
}

TEST_CASE("a field Google left out is left out, and the fallbacks Google's table allows apply") {
  json place = {{"name", "places/abc"},
                {"formattedAddress", "9 Long Road, Town, Country"},
                {"regularOpeningHours", {{"openNow", true}}},
                {"businessStatus", "BUSINESS_STATUS_UNSPECIFIED"},
                {"priceLevel", "PRICE_LEVEL_UNSPECIFIED"}};
  auto result = legacy_of(json{{"places", {place}}}).at("results").at(0);
  CHECK(result.at("place_id") == "abc");
  CHECK(result.at("vicinity") == "9 Long Road, Town, Country");
  CHECK(result.at("opening_hours").at("open_now") == true);
  for (const char* absent :
       {"name", "geometry", "rating", "user_ratings_total", "business_status", "price_level"}) {
    CAPTURE(absent);
    CHECK_FALSE(result.contains(absent));
  }
}

TEST_CASE("fields of the wrong type from a broken Places are dropped, not trusted") {
  json place = {{"displayName", "not an object"},
                {"rating", "five"},
                {"userRatingCount", 1.5},
                {"location", {{"latitude", "north"}, {"longitude", 3}}},
                {"types", {"cafe", 7, json::object()}},
                {"id", 12}};
  auto result = legacy_of(json{{"places", {place, 42, "x"}}}).at("results");
  REQUIRE(result.size() == 1);  // places that are not objects are skipped
  CHECK(result.at(0).at("types") == json::array({"cafe"}));
  CHECK(result.at(0).size() == 1);
}

TEST_CASE("no places, {} from Google, is ZERO_RESULTS, the bound cuts the list") {
  auto empty = legacy_of(json::object());
  CHECK(empty.at("status") == "ZERO_RESULTS");
  CHECK(empty.at("results") == json::array());
  json many = {{"places", json::array()}};
  for (int i = 0; i < 7; ++i) many["places"].push_back({{"id", "p" + std::to_string(i)}});
  auto cut = legacy_of(many, 3);
  REQUIRE(cut.at("results").size() == 3);
  CHECK(cut.at("results").at(2).at("place_id") == "p2");
}

TEST_CASE("Google's New JSON passes through as it came, cut to the bound, in Google's layout") {
  json many = {{"places", {full_place, full_place, full_place}}};
  auto answer = shape_search_nearby(200, many.dump(), 2, NewApiReply::as_google_sent);
  CHECK(answer.problem.empty());
  auto body = json::parse(answer.body);
  REQUIRE(body.at("places").size() == 2);
  CHECK(body.at("places").at(0) == full_place);
  CHECK(answer.body.find("\"places\" : [") != std::string::npos);
  CHECK(answer.body.find("\n\n") == std::string::npos);
  CHECK(answer.body.back() == '}');
}

struct Refused {
  int http;
  const char* status;
  const char* reason;  // details[].reason, or ""
  const char* message;
  const char* legacy_status;
  const char* advice;  // a piece of the log line
};

TEST_CASE(
    "a New-API error keeps Google's message in the spec's shape, and the log says what to do") {
  const Refused cases[] = {
      {400, "INVALID_ARGUMENT", "API_KEY_INVALID",
       "API key not valid. Please pass a valid API key.", "REQUEST_DENIED", "the key is not valid"},
      {403, "PERMISSION_DENIED", "SERVICE_DISABLED",
       "Places API (New) has not been used in project 123 before or it is disabled.",
       "REQUEST_DENIED", "enable Places API (New)"},
      {403, "PERMISSION_DENIED", "API_KEY_SERVICE_BLOCKED",
       "Requests to this API places.googleapis.com method google.maps.places.v1.Places."
       "SearchNearby are blocked.",
       "REQUEST_DENIED", "restrictions block Places API (New)"},
      {403, "PERMISSION_DENIED", "", "The caller does not have permission", "REQUEST_DENIED",
       "GOOGLE_PLACES_API_KEY"},
      {429, "RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED", "Quota exceeded for quota metric.",
       "OVER_QUERY_LIMIT", "quota exhausted"},
      {400, "INVALID_ARGUMENT", "",
       "FieldMask is a required parameter. See "
       "https://cloud.google.com/apis/docs/system-parameters",
       "INVALID_REQUEST", "--places-field-mask"},
      {404, "NOT_FOUND", "", "Method not found.", "UNKNOWN_ERROR", "check --places-url"},
      {503, "UNAVAILABLE", "", "The service is currently unavailable.", "UNKNOWN_ERROR",
       "recovers"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.message);
    json error = {{"error", {{"code", c.http}, {"message", c.message}, {"status", c.status}}}};
    if (*c.reason)
      error["error"]["details"] = {{{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                                    {"reason", c.reason},
                                    {"domain", "googleapis.com"}}};
    auto answer = shape_search_nearby(c.http, error.dump(2), 5, NewApiReply::legacy_fields);
    auto body = json::parse(answer.body);
    CHECK(body.at("status") == c.legacy_status);
    CHECK(body.at("error_message") == c.message);
    CHECK(body.at("results") == json::array());
    CHECK(body.at("html_attributions") == json::array());
    CHECK(answer.problem.find(c.advice) != std::string::npos);
    CHECK(answer.problem.find(std::to_string(c.http)) != std::string::npos);
  }
}

TEST_CASE("with Google's JSON asked for, a New-API error is passed through as Google sent it") {
  json error = {{"error", {{"code", 403}, {"message", "no"}, {"status", "PERMISSION_DENIED"}}}};
  auto answer = shape_search_nearby(403, error.dump(), 5, NewApiReply::as_google_sent);
  CHECK(json::parse(answer.body) == error);
  CHECK_FALSE(answer.problem.empty());
}

TEST_CASE("a New-API answer that is not JSON, or nested without end, is the error object") {
  for (int http : {200, 502}) {
    auto answer =
        shape_search_nearby(http, "<html>Bad Gateway</html>", 5, NewApiReply::legacy_fields);
    auto body = json::parse(answer.body);
    CHECK(body.at("results") == json::array());
    CHECK(body.contains("error_message"));
    CHECK_FALSE(answer.problem.empty());
  }
  auto deep = std::string(100'000, '[') + std::string(100'000, ']');
  auto answer = shape_search_nearby(200, deep, 5, NewApiReply::legacy_fields);
  CHECK(json::parse(answer.body).at("status") == "UNKNOWN_ERROR");
}

TEST_CASE("a legacy REQUEST_DENIED for a new key tells the log to use the New API's URL") {
  // Google's words, with its typographic apostrophe.
  json denied = {{"error_message",
                  "You\u2019re calling a legacy API, which is not enabled for your project. To get "
                  "newer features and more functionality, switch to the Places API (New) or "
                  "Routes API. Learn more: "
                  "https://developers.google.com/maps/legacy#LegacyApiNotActivatedMapError"},
                 {"html_attributions", json::array()},
                 {"results", json::array()},
                 {"status", "REQUEST_DENIED"}};
  auto answer = shape_legacy_answer(denied.dump(), 5);
  CHECK(json::parse(answer.body) == denied);  // the reply keeps Google's own error
  CHECK(answer.problem.find("cannot call the legacy API") != std::string::npos);
  CHECK(answer.problem.find(google_places_new_url) != std::string::npos);
  json quota = {{"html_attributions", json::array()},
                {"results", json::array()},
                {"status", "OVER_QUERY_LIMIT"}};
  CHECK(shape_legacy_answer(quota.dump(), 5).problem.find("quota") != std::string::npos);
  json fine = {
      {"html_attributions", json::array()}, {"results", json::array()}, {"status", "ZERO_RESULTS"}};
  CHECK(shape_legacy_answer(fine.dump(), 5).problem.empty());
}

TEST_CASE("the URL chooses the API unless a setting forces one") {
  PlacesSettings settings;
  CHECK(uses_new_api(settings));  // Google's New endpoint is the default
  settings.url = google_places_legacy_url;
  CHECK_FALSE(uses_new_api(settings));
  settings.url = "http://127.0.0.1:8090/v1/places:searchNearby";
  CHECK(uses_new_api(settings));
  settings.api = PlacesApi::legacy;
  CHECK_FALSE(uses_new_api(settings));
  settings.url = "http://proxy.example/places";
  settings.api = PlacesApi::new_api;
  CHECK(uses_new_api(settings));
  CHECK(std::string(default_places_field_mask).find(' ') == std::string::npos);
  CHECK(std::string(default_places_field_mask).find('*') == std::string::npos);
}

}  // namespace
}  // namespace herd
