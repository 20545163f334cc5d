#include "core/places_new.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "core/json_limits.hpp"
#include "core/places_client.hpp"
#include "core/places_format.hpp"

namespace herd {

using nlohmann::json;

namespace {

double number_of(std::string_view text) {
  if (text.starts_with('+')) text.remove_prefix(1);
  double value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// A member of `object` when it has the wanted type; nullptr otherwise (absent, or a hostile type).
const json* member(const json& object, const char* key, json::value_t type) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end()) return nullptr;
  bool fits = it->type() == type || (type == json::value_t::number_float && it->is_number()) ||
              (type == json::value_t::number_integer && it->is_number_integer());
  return fits ? &*it : nullptr;
}
const json* text_member(const json& o, const char* key) {
  return member(o, key, json::value_t::string);
}
const json* number_member(const json& o, const char* key) {
  return member(o, key, json::value_t::number_float);
}

// {"latitude", "longitude"} as legacy's {"lat", "lng"}; nullopt when either is missing.
std::optional<json> lat_lng(const json& point) {
  auto lat = number_member(point, "latitude");
  auto lng = number_member(point, "longitude");
  if (!lat || !lng) return std::nullopt;
  return json{{"lat", *lat}, {"lng", *lng}};
}

int price_level(std::string_view level) {
  if (level == "PRICE_LEVEL_FREE") return 0;
  if (level == "PRICE_LEVEL_INEXPENSIVE") return 1;
  if (level == "PRICE_LEVEL_MODERATE") return 2;
  if (level == "PRICE_LEVEL_EXPENSIVE") return 3;
  if (level == "PRICE_LEVEL_VERY_EXPENSIVE") return 4;
  return -1;
}

// One Place of the New API as a legacy Nearby Search result, following Google's migration table
// ("Migrate the Places API response"): displayName.text is the name (the New `name` is a
// resource path), id the place_id, shortFormattedAddress the vicinity, and so on.
json legacy_result(const json& place) {
  json result = json::object();
  if (auto status = text_member(place, "businessStatus");
      status && *status != "BUSINESS_STATUS_UNSPECIFIED")
    result["business_status"] = *status;
  if (auto location = member(place, "location", json::value_t::object)) {
    if (auto where = lat_lng(*location)) {
      json geometry = {{"location", *where}};
      if (auto viewport = member(place, "viewport", json::value_t::object)) {
        auto high = member(*viewport, "high", json::value_t::object);
        auto low = member(*viewport, "low", json::value_t::object);
        auto northeast = high ? lat_lng(*high) : std::nullopt;
        auto southwest = low ? lat_lng(*low) : std::nullopt;
        if (northeast && southwest)
          geometry["viewport"] = {{"northeast", *northeast}, {"southwest", *southwest}};
      }
      result["geometry"] = std::move(geometry);
    }
  }
  if (auto color = text_member(place, "iconBackgroundColor"))
    result["icon_background_color"] = *color;
  if (auto mask = text_member(place, "iconMaskBaseUri")) result["icon_mask_base_uri"] = *mask;
  if (auto display = member(place, "displayName", json::value_t::object))
    if (auto text = text_member(*display, "text")) result["name"] = *text;
  for (const char* hours : {"currentOpeningHours", "regularOpeningHours"}) {
    auto opening = member(place, hours, json::value_t::object);
    auto open_now = opening ? member(*opening, "openNow", json::value_t::boolean) : nullptr;
    if (open_now) {
      result["opening_hours"] = {{"open_now", *open_now}};
      break;
    }
  }
  if (auto id = text_member(place, "id")) {
    result["place_id"] = *id;
  } else if (auto name = text_member(place, "name")) {
    auto path = name->get<std::string>();
    if (path.starts_with("places/")) result["place_id"] = path.substr(7);
  }
  if (auto plus = member(place, "plusCode", json::value_t::object)) {
    json code = json::object();
    if (auto compound = text_member(*plus, "compoundCode")) code["compound_code"] = *compound;
    if (auto global = text_member(*plus, "globalCode")) code["global_code"] = *global;
    if (!code.empty()) result["plus_code"] = std::move(code);
  }
  if (auto level = text_member(place, "priceLevel"))
    if (int legacy = price_level(level->get<std::string>()); legacy >= 0)
      result["price_level"] = legacy;
  if (auto rating = number_member(place, "rating")) result["rating"] = *rating;
  if (auto types = member(place, "types", json::value_t::array)) {
    json strings = json::array();
    for (const auto& type : *types)
      if (type.is_string()) strings.push_back(type);
    result["types"] = std::move(strings);
  }
  if (auto count = member(place, "userRatingCount", json::value_t::number_integer))
    result["user_ratings_total"] = *count;
  if (auto vicinity = text_member(place, "shortFormattedAddress"))
    result["vicinity"] = *vicinity;
  else if (auto address = text_member(place, "formattedAddress"))
    result["vicinity"] = *address;
  return result;
}

struct Refusal {
  std::string legacy_status;  // the legacy API's word for it
  std::string advice;         // what the person running the node can do
};

// What a New-API error means for the one running the node. Google's guide: key on the HTTP status,
// `error.status` and `details[].reason`, not on the message.
Refusal refusal_of(int http, std::string_view status, std::string_view reason,
                   std::string_view message) {
  auto says = [&](std::string_view word) { return message.find(word) != std::string_view::npos; };
  if (reason == "API_KEY_INVALID" || says("API key not valid"))
    return {"REQUEST_DENIED", "the key is not valid: check --places-key or GOOGLE_PLACES_API_KEY"};
  if (reason == "SERVICE_DISABLED" || says("has not been used in project") || says("is disabled"))
    return {"REQUEST_DENIED",
            "enable Places API (New) (places.googleapis.com) for this key's Google Cloud project"};
  if (reason == "API_KEY_SERVICE_BLOCKED" || says("are blocked"))
    return {"REQUEST_DENIED",
            "this key's API restrictions block Places API (New): allow it for the key"};
  if (reason == "BILLING_DISABLED" || says("billing"))
    return {"REQUEST_DENIED", "enable billing for this key's Google Cloud project"};
  if (http == 401 || http == 403 || status == "UNAUTHENTICATED" || status == "PERMISSION_DENIED")
    return {"REQUEST_DENIED",
            "Google refused the key: set --places-key or GOOGLE_PLACES_API_KEY to a key with "
            "Places API (New) enabled"};
  if (http == 429 || status == "RESOURCE_EXHAUSTED")
    return {"OVER_QUERY_LIMIT", "quota exhausted: wait, or raise the key's Places API (New) quota"};
  if (http == 404 || status == "NOT_FOUND")
    return {"UNKNOWN_ERROR", "no Places API (New) at this URL: check --places-url (Google's is " +
                                 std::string(google_places_new_url) + ")"};
  if (http == 400 || status == "INVALID_ARGUMENT")
    return {"INVALID_REQUEST", says("ield")
                                   ? "Google refused the field mask: check --places-field-mask"
                                   : "Google refused the request as malformed"};
  return {"UNKNOWN_ERROR", "Places failed on its side; WHATSAT answers an error until it recovers"};
}

std::string legacy_error_body(std::string_view status, std::string_view message) {
  json error = json::object();
  error["html_attributions"] = json::array();
  error["results"] = json::array();
  error["status"] = std::string(status);
  error["error_message"] = std::string(message);
  return collapse_newlines(to_google_style(error));
}

PlacesAnswer new_api_error(int http, const json& parsed, std::string_view body, NewApiReply reply) {
  std::string status, reason, message;
  if (auto error = member(parsed, "error", json::value_t::object)) {
    if (auto s = text_member(*error, "status")) status = s->get<std::string>();
    if (auto m = text_member(*error, "message")) message = m->get<std::string>();
    if (auto details = member(*error, "details", json::value_t::array))
      for (const auto& detail : *details)
        if (auto r = text_member(detail, "reason")) reason = r->get<std::string>();
  }
  if (message.empty()) message = "Places answered HTTP " + std::to_string(http);
  auto refusal = refusal_of(http, status, reason, message);
  PlacesAnswer answer;
  answer.problem = "Places API (New) answered HTTP " + std::to_string(http) +
                   (status.empty() ? "" : " " + status) + ": " + message + " (" + refusal.advice +
                   ")";
  // Google's own error object, as it came, when the user asked for Google's JSON.
  if (reply == NewApiReply::as_google_sent && parsed.is_object())
    answer.body = shape_places_body(body, 20);
  else
    answer.body = legacy_error_body(refusal.legacy_status, message);
  return answer;
}

}  // namespace

bool uses_new_api(const PlacesSettings& settings) {
  if (settings.api != PlacesApi::from_url) return settings.api == PlacesApi::new_api;
  std::string_view url = settings.url;
  url = url.substr(0, url.find_first_of("?#"));
  return url.ends_with("places:searchNearby");
}

std::string search_nearby_request(const NearbyQuery& query) {
  json request = {
      {"maxResultCount", query.bound},
      {"locationRestriction",
       {{"circle",
         {{"center",
           {{"latitude", number_of(query.latitude)}, {"longitude", number_of(query.longitude)}}},
          {"radius", number_of(query.radius_metres)}}}}}};
  return request.dump();
}

PlacesAnswer shape_search_nearby(int http_status, std::string_view body, int bound,
                                 NewApiReply reply) {
  if (!check_json_nesting(body))
    return {places_error_body("Places answered with JSON nested too deep"),
            "Places API (New) answered with JSON nested too deep"};
  auto parsed = json::parse(body, nullptr, false);
  if (http_status != 200) return new_api_error(http_status, parsed, body, reply);
  if (parsed.is_discarded() || !parsed.is_object())
    return {places_error_body("Places answered with invalid JSON"),
            "Places API (New) answered HTTP 200 with a body that is not a JSON object"};
  // No "places" at all is Google's answer when nothing is near (proto3 leaves out empty lists).
  const json* places = member(parsed, "places", json::value_t::array);
  auto wanted = static_cast<std::size_t>(std::max(bound, 0));
  if (reply == NewApiReply::as_google_sent) {
    if (places && places->size() > wanted) {
      auto& list = parsed["places"];
      list.erase(list.begin() + static_cast<std::ptrdiff_t>(wanted), list.end());
    }
    return {collapse_newlines(to_google_style(parsed)), ""};
  }
  json legacy = json::object();
  legacy["html_attributions"] = json::array();
  json results = json::array();
  if (places)
    for (const auto& place : *places) {
      if (results.size() == wanted) break;
      if (place.is_object()) results.push_back(legacy_result(place));
    }
  legacy["status"] = results.empty() ? "ZERO_RESULTS" : "OK";
  legacy["results"] = std::move(results);
  return {collapse_newlines(to_google_style(legacy)), ""};
}

PlacesAnswer shape_legacy_answer(std::string_view body, int bound) {
  PlacesAnswer answer{shape_places_body(body, bound), ""};
  // The shaped body starts {"html_attributions"..., so a status is found without parsing again
  // in the usual case; only a refusal is read in full for its message.
  if (answer.body.find("\"status\" : \"OK\"") != std::string::npos ||
      answer.body.find("\"status\" : \"ZERO_RESULTS\"") != std::string::npos)
    return answer;
  auto parsed = json::parse(answer.body, nullptr, false);
  std::string status, message;
  if (auto s = text_member(parsed, "status")) status = s->get<std::string>();
  if (auto m = text_member(parsed, "error_message")) message = m->get<std::string>();
  std::string advice;
  if (message.find("legacy API") != std::string::npos ||
      message.find("LegacyApiNotActivated") != std::string::npos)
    advice = "this key cannot call the legacy API: use the Places API (New) URL " +
             std::string(google_places_new_url) + " (--places-url)";
  else if (status == "REQUEST_DENIED")
    advice =
        "check the key (--places-key or GOOGLE_PLACES_API_KEY) and that its project may "
        "call the Places API";
  else if (status == "OVER_QUERY_LIMIT")
    advice = "quota exhausted, or billing is not enabled for the key's project";
  else if (status == "INVALID_REQUEST")
    advice = "Places refused the request as malformed";
  else
    advice = "Places failed; WHATSAT answers its error until it recovers";
  answer.problem = "Places answered " + (status.empty() ? std::string("no status") : status) +
                   (message.empty() ? "" : ": " + message) + " (" + advice + ")";
  return answer;
}

}  // namespace herd
