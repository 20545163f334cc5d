#include "core/places_format.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

using namespace herd;
using nlohmann::json;

TEST_CASE("runs of newlines collapse to one and trailing newlines go") {
  CHECK(collapse_newlines("a\n\n\nb\n\nc\n\n") == "a\nb\nc");
  CHECK(collapse_newlines("a\nb") == "a\nb");
  CHECK(collapse_newlines("\n\n") == "");
}

TEST_CASE("JSON is printed in Google's style") {
  json value = {{"a", json::array()}, {"b", {{"c", 1}}}, {"d", json::array({1, "x"})}};
  CHECK(to_google_style(value) ==
        "{\n   \"a\" : [],\n   \"b\" : {\n      \"c\" : 1\n   },\n   \"d\" : [\n      1,\n      "
        "\"x\"\n   ]\n}");
}

TEST_CASE("Google's style leaves colons and quotes inside strings alone") {
  // An escaped quote does not end a string: the colon after it is still inside.
  json value = {{"a:b", "x\"y: z"}, {"e", json::object()}, {"u", "\\"}};
  auto text = to_google_style(value);
  CHECK(text == R"({
   "a:b" : "x\"y: z",
   "e" : {},
   "u" : "\\"
})");
  CHECK(json::parse(text) == value);
}

TEST_CASE("results past the bound are dropped whatever they hold, and nothing else is") {
  std::string body = R"({"results": [{"n": 1}, [2], "three", 4, {"n": 5}], "other": [1, 2, 3],
                        "nested": {"results": [1, 2, 3]}, "status": "OK"})";
  for (int bound = 1; bound <= 6; ++bound) {
    auto shaped = json::parse(shape_places_body(body, bound));
    CAPTURE(bound);
    auto all = json::parse(body)["results"];
    auto expected = json(std::vector<json>(all.begin(), all.begin() + std::min(bound, 5)));
    CHECK(shaped["results"] == expected);
    CHECK(shaped["other"] == json::array({1, 2, 3}));
    CHECK(shaped["nested"]["results"] == json::array({1, 2, 3}));
    CHECK(shaped["status"] == "OK");
  }
}

TEST_CASE("a results field that is not an array is kept as it is") {
  auto shaped = json::parse(shape_places_body(R"({"results": 7, "later": [1, 2]})", 1));
  CHECK(shaped["results"] == 7);
  CHECK(shaped["later"] == json::array({1, 2}));
}

TEST_CASE("results are cut to the bound and the rest of the body kept") {
  std::string body =
      R"({"html_attributions": [], "results": [{"n": 1}, {"n": 2}, {"n": 3}], "status": "OK"})";
  auto shaped = json::parse(shape_places_body(body, 2));
  CHECK(shaped["results"].size() == 2);
  CHECK(shaped["results"][1]["n"] == 2);
  CHECK(shaped["status"] == "OK");
  CHECK(json::parse(shape_places_body(body, 20))["results"].size() == 3);
}

TEST_CASE("newlines inside the body collapse, so the reply's blank line stays its end") {
  std::string body = "{\"results\": [], \"status\": \"OK\", \"note\": \"x\\n\\ny\"}\n\n\n";
  auto shaped = shape_places_body(body, 5);
  CHECK(shaped.find("\n\n") == std::string::npos);
  CHECK(shaped.back() == '}');
}

TEST_CASE("a body that is not JSON becomes Google's error shape") {
  auto shaped = json::parse(shape_places_body("{\"results\": [", 5));
  CHECK(shaped["status"] == "UNKNOWN_ERROR");
  CHECK(shaped["results"] == json::array());
  CHECK(shaped["html_attributions"] == json::array());
  CHECK(shaped["error_message"].get<std::string>().find("invalid JSON") != std::string::npos);
}

TEST_CASE("a JSON body that is not an object becomes Google's error shape") {
  CHECK(json::parse(shape_places_body("[1, 2]", 5))["status"] == "UNKNOWN_ERROR");
}

TEST_CASE("the error body has no blank line in it") {
  auto body = places_error_body("timeout");
  CHECK(body.find("\n\n") == std::string::npos);
  CHECK(json::parse(body)["error_message"] == "timeout");
}
