// The mock's Places API (New): Google's request and response shapes, its error shape, and the
// same places as the legacy answer for the same circle.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "sim/places/places_body.hpp"

namespace herd {
namespace {

using nlohmann::json;

const std::string ucla =
    R"({"maxResultCount": 3, "locationRestriction": {"circle": {"center": {"latitude": 34.068930,
        "longitude": -118.445127}, "radius": 10000.0}}})";

json error_of(const MockAnswer& answer) {
  return json::parse(answer.body).at("error");
}

TEST_CASE("searchNearby answers Google's shape, the field mask choosing the fields") {
  auto answer = mock_search_nearby_answer(ucla, "key", "places.displayName,places.location", {});
  REQUIRE(answer.status == 200);
  auto body = json::parse(answer.body);
  REQUIRE(body.at("places").size() == 3);
  const auto& place = body.at("places").at(0);
  CHECK(place.size() == 2);
  CHECK(place.at("displayName").at("languageCode") == "en");
  CHECK(place.at("location").contains("latitude"));
  // The same places the legacy Nearby Search gives for the same circle.
  auto legacy = json::parse(mock_nearby_body(34.068930, -118.445127, 10000));
  CHECK(place.at("displayName").at("text") == legacy.at("results").at(0).at("name"));
}

TEST_CASE("a wildcard mask gives every field the mock knows") {
  auto answer = mock_search_nearby_answer(ucla, "key", "*", {});
  auto place = json::parse(answer.body).at("places").at(0);
  for (const char* field :
       {"id", "name", "displayName", "formattedAddress", "shortFormattedAddress", "location",
        "viewport", "types", "rating", "userRatingCount", "businessStatus", "currentOpeningHours"})
    CHECK_MESSAGE(place.contains(field), field);
  CHECK(place.at("name") == "places/" + place.at("id").get<std::string>());
}

TEST_CASE("no field mask is Google's INVALID_ARGUMENT, no key its PERMISSION_DENIED") {
  auto no_mask = mock_search_nearby_answer(ucla, "key", std::nullopt, {});
  CHECK(no_mask.status == 400);
  CHECK(error_of(no_mask).at("status") == "INVALID_ARGUMENT");
  CHECK(error_of(no_mask).at("message").get<std::string>().starts_with(
      "FieldMask is a required parameter."));
  auto no_key = mock_search_nearby_answer(ucla, std::nullopt, "*", {});
  CHECK(no_key.status == 403);
  CHECK(error_of(no_key).at("status") == "PERMISSION_DENIED");
  CHECK(error_of(no_key).at("code") == 403);
}

TEST_CASE("out-of-range radius and result counts, unknown fields and bad JSON are refused") {
  auto with = [](const std::string& body) { return mock_search_nearby_answer(body, "k", "*", {}); };
  CHECK(with(R"({"locationRestriction": {"circle": {"center": {"latitude": 1, "longitude": 1},
             "radius": 50001}}})")
            .status == 400);
  CHECK(with(R"({"locationRestriction": {"circle": {"center": {"latitude": 1, "longitude": 1},
             "radius": 0}}})")
            .status == 400);
  CHECK(with(R"({"maxResultCount": 21, "locationRestriction": {"circle": {"center":
             {"latitude": 1, "longitude": 1}, "radius": 10}}})")
            .status == 400);
  CHECK(with(R"({"location": "1,1", "radius": 10})").status == 400);
  CHECK(with("not json").status == 400);
  CHECK(with(R"({"maxResultCount": 1})").status == 400);  // no locationRestriction
  auto unknown = mock_search_nearby_answer(ucla, "k", "places.bogus", {});
  CHECK(unknown.status == 400);
  CHECK(mock_search_nearby_answer(ucla, "k", "places.displayName, places.id", {}).status == 400);
}

TEST_CASE("a Places fault answers in Google's error shape on the new API too") {
  PlacesFaults faults;
  faults.http_status = 503;
  auto answer = mock_search_nearby_answer(ucla, "k", "*", faults);
  CHECK(answer.status == 503);
  CHECK(error_of(answer).at("status") == "UNAVAILABLE");
  faults = {};
  faults.malformed = true;
  CHECK(json::parse(mock_search_nearby_answer(ucla, "k", "*", faults).body, nullptr, false)
            .is_discarded());
}

}  // namespace
}  // namespace herd
