// WHATSAT through Places API (New) and the legacy API on real sockets: the request as the mock
// receives it, the reply the node sends, refusals in the node's log, and https against a local
// certificate authority, trusted and not.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/places_client.hpp"
#include "sim/places/places_mock.hpp"
#include "tests/test_herd.hpp"
#include "tests/test_pki.hpp"

namespace herd::test {
namespace {

using nlohmann::json;

const NearbyQuery ucla{"+34.068930", "-118.445127", "10000", 3};

// A folder of its own for the test's files, removed after.
struct TempDir {
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "herd-places-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

std::string read_all(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// WHATSAT's reply: the AT line, then the JSON up to the blank line that ends it.
json ask_whatsat(std::uint16_t port, const std::string& at, int bound) {
  LineClient client(port);
  client.send("WHATSAT kiwi 10 " + std::to_string(bound) + "\n");
  auto first = client.read_line();
  REQUIRE(first.has_value());
  CHECK(*first == at);
  std::string body;
  while (auto line = client.read_line()) {
    if (line->empty()) break;
    body += *line + "\n";
  }
  return json::parse(body);
}

TEST_CASE("a New-API call is a POST with the key and field mask in headers, never in the URL") {
  PlacesMock mock;
  REQUIRE_FALSE(mock.start());
  PlacesSettings settings;
  settings.url = mock.search_nearby_url();
  settings.key = "secret-key-123";
  PlacesClient places(settings);
  auto answer = places.fetch(ucla);
  CHECK(answer.problem.empty());
  auto seen = mock.last_request();
  REQUIRE(seen.has_value());
  CHECK(seen->method == "POST");
  CHECK(seen->target == "/v1/places:searchNearby");
  CHECK(seen->target.find("secret") == std::string::npos);
  CHECK(seen->api_key == "secret-key-123");
  CHECK(seen->field_mask == default_places_field_mask);
  CHECK(seen->content_type == "application/json");
  auto request = json::parse(seen->body);
  CHECK(request.at("maxResultCount") == 3);
  CHECK(request.at("locationRestriction").at("circle").at("radius") == doctest::Approx(10000));
  auto body = json::parse(answer.body);
  CHECK(body.at("status") == "OK");
  CHECK(body.at("results").size() == 3);
  CHECK(body.at("results").at(0).at("name").is_string());
  CHECK(body.at("results").at(0).at("geometry").at("location").contains("lat"));
}

TEST_CASE("a legacy call is still a GET with location, radius and key in the query") {
  PlacesMock mock;
  REQUIRE_FALSE(mock.start());
  PlacesSettings settings;
  settings.url = mock.url();
  settings.key = "k";
  PlacesClient places(settings);
  auto body = json::parse(places.fetch(ucla).body);
  CHECK(body.at("status") == "OK");
  CHECK(body.at("results").size() == 3);
  auto seen = mock.last_request();
  REQUIRE(seen.has_value());
  CHECK(seen->method == "GET");
  CAPTURE(seen->target);
  CHECK(seen->target.starts_with("/maps/api/place/nearbysearch/json?location=34.068930"));
  CHECK(seen->target.find("-118.445127&radius=10000&key=k") != std::string::npos);
  CHECK(seen->target.find("radius=10000") != std::string::npos);
  CHECK(seen->target.find("key=k") != std::string::npos);
}

TEST_CASE("the New API's refusal of a missing key reaches the reply and the node's log") {
  TempDir logs;
  TestHerd h({.log_dir = logs.path, .places_new_api = true, .places_key = ""});
  std::string at = h.ask("Bona", "IAMAT kiwi +34.068930-118.445127 1700000000");
  auto body = ask_whatsat(h.port("Bona"), at, 5);
  CHECK(body.at("status") == "REQUEST_DENIED");
  CHECK(body.at("results") == json::array());
  CHECK_FALSE(body.at("error_message").get<std::string>().empty());
  h.herd->node("Bona")->stop_and_wait();  // flushes the log
  auto log = read_all(logs.path + "/Bona.log");
  CAPTURE(log);
  CHECK(log.find("PLACES Places API (New) answered HTTP 403") != std::string::npos);
  CHECK(log.find("GOOGLE_PLACES_API_KEY") != std::string::npos);
}

TEST_CASE(
    "a node answers WHATSAT through the New API in the spec's shape, and Google's on request") {
  TestHerd h({.places_new_api = true});
  std::string at = h.ask("Clark", "IAMAT kiwi +34.068930-118.445127 1700000000");
  auto body = ask_whatsat(h.port("Clark"), at, 4);
  CHECK(body.at("status") == "OK");
  CHECK(body.at("html_attributions") == json::array());
  CHECK(body.at("results").size() == 4);
  CHECK(json::parse(h.mock.last_request()->body).at("maxResultCount") == 4);

  TestHerd google({.places_new_api = true, .places_reply = NewApiReply::as_google_sent});
  at = google.ask("Clark", "IAMAT kiwi +34.068930-118.445127 1700000000");
  auto raw = ask_whatsat(google.port("Clark"), at, 2);
  CHECK(raw.at("places").size() == 2);
  CHECK(raw.at("places").at(0).at("displayName").contains("text"));
  CHECK_FALSE(raw.contains("status"));
}

TEST_CASE("https to Places: a node trusts the CA it is given and refuses a certificate it cannot") {
  TempDir dir;
  auto pki = make_test_pki(dir.path);
  MockTls tls{pki.cert_file, pki.key_file};

  SUBCASE("trusted through the CA file: the node's WHATSAT is answered over https") {
    TestHerd h({.places_new_api = true, .mock_tls = tls, .places_ca_file = pki.ca_file});
    REQUIRE(h.mock.search_nearby_url().starts_with("https://"));
    std::string at = h.ask("Jaquez", "IAMAT kiwi +34.068930-118.445127 1700000000");
    auto body = ask_whatsat(h.port("Jaquez"), at, 2);
    CHECK(body.at("status") == "OK");
    CHECK(body.at("results").size() == 2);
    CHECK(h.mock.requests() == 1);
  }
  SUBCASE("signed by another CA: refused, with a reason and the setting to use") {
    PlacesMock mock("127.0.0.1", 0, tls);
    REQUIRE_FALSE(mock.start());
    PlacesSettings settings;
    settings.url = mock.search_nearby_url();
    settings.key = "k";
    settings.ca_file = pki.other_ca_file;
    auto answer = PlacesClient(settings).fetch(ucla);
    auto body = json::parse(answer.body);
    CHECK(body.at("status") == "UNKNOWN_ERROR");
    auto message = body.at("error_message").get<std::string>();
    CHECK(message.find("refused the certificate of https://127.0.0.1:") != std::string::npos);
    CHECK(message.find(pki.other_ca_file) != std::string::npos);
    CHECK(message.find("--places-ca-file") != std::string::npos);
    CHECK(answer.problem == message);
    CHECK(mock.requests() == 0);  // nothing was sent to a server it could not trust
  }
  SUBCASE("the system's CAs do not know a private CA: refused") {
    PlacesMock mock("127.0.0.1", 0, tls);
    REQUIRE_FALSE(mock.start());
    PlacesSettings settings;
    settings.url = mock.search_nearby_url();
    settings.key = "k";
    auto message = json::parse(PlacesClient(settings).fetch(ucla).body).at("error_message");
    CHECK(message.get<std::string>().find("refused the certificate") != std::string::npos);
    CHECK(message.get<std::string>().find("the system's certificate authorities") !=
          std::string::npos);
    CHECK(mock.requests() == 0);
  }
  SUBCASE("a certificate for another name: refused even from the trusted CA") {
    // The certificate names 127.0.0.1 and localhost; Linux routes all of 127/8 to loopback.
    PlacesMock mock("127.0.0.2", 0, tls);
    REQUIRE_FALSE(mock.start());
    PlacesSettings settings;
    settings.url = mock.search_nearby_url();
    settings.key = "k";
    settings.ca_file = pki.ca_file;
    auto message = json::parse(PlacesClient(settings).fetch(ucla).body).at("error_message");
    CHECK(message.get<std::string>().find("refused the certificate") != std::string::npos);
    CHECK(mock.requests() == 0);
  }
}

}  // namespace
}  // namespace herd::test
