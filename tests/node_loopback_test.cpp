// Real nodes on loopback, with the mock Places in-process: what a client sees over TCP.

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "core/local_herd.hpp"
#include "core/places_format.hpp"
#include "core/runtime.hpp"
#include "sim/net/line_client.hpp"
#include "sim/places/places_body.hpp"
#include "sim/places/places_mock.hpp"
#include "tests/event_recorder.hpp"
#include "tests/test_herd.hpp"

using namespace herd;
using namespace herd::test;
using nlohmann::json;

TEST_CASE("IAMAT is answered byte for byte with the server's name and the exact difference") {
  TestHerd h({.fixed_clock = true});
  CHECK(h.ask("Clark", "IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503") ==
        "AT Clark +0.263873500 kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503");
  CHECK(h.ask("Bona", "IAMAT \t kiwi   +34.068930-118.445127\t1621464830\r") ==
        "AT Bona -1.776627997 kiwi +34.068930-118.445127 1621464830");
}

TEST_CASE("invalid commands get a question mark and the line as received") {
  TestHerd h;
  LineClient client(h.port("Bailey"));
  client.send(
      "iamat a +1+1 1\n\nIAMAT a 1+1 1\r\nWHATSAT nobody 10 5\nWHATSAT a 10 0\n  HELLO  \n");
  CHECK(client.read_line() == "? iamat a +1+1 1");
  CHECK(client.read_line() == "? ");
  CHECK(client.read_line() == "? IAMAT a 1+1 1");
  CHECK(client.read_line() == "? WHATSAT nobody 10 5");
  CHECK(client.read_line() == "? WHATSAT a 10 0");
  CHECK(client.read_line() == "?   HELLO  ");
}

TEST_CASE("WHATSAT answers the origin's AT line and the Places JSON cut to the bound") {
  TestHerd h({.fixed_clock = true});
  std::string at = h.ask("Clark", "IAMAT kiwi +34.068930-118.445127 1621464827.959498503");
  REQUIRE(h.events.wait_for_all({"Bailey"}, EventKind::update_stored, at));
  LineClient client(h.port("Bailey"));
  client.send("WHATSAT kiwi 10 5\n");
  auto reply = client.read_through("\n\n");
  REQUIRE(reply.has_value());
  std::string expected_json = shape_places_body(mock_nearby_body(34.068930, -118.445127, 10000), 5);
  CHECK(*reply == at + "\n" + expected_json + "\n\n");

  // The same reply, checked without the formatter that built the expectation.
  auto newline = reply->find('\n');
  CHECK(reply->substr(0, newline) ==
        "AT Clark +0.263873500 kiwi +34.068930-118.445127 1621464827.959498503");
  auto body = json::parse(reply->substr(newline + 1));
  CHECK(body["status"] == "OK");
  REQUIRE(body["results"].size() == 5);
  for (const auto& place : body["results"]) {
    double lat = place["geometry"]["location"]["lat"], lng = place["geometry"]["location"]["lng"];
    CHECK(distance_m(34.068930, -118.445127, lat, lng) <= 10000);
  }
  CHECK(reply->substr(newline + 1, reply->size() - newline - 3).find("\n\n") == std::string::npos);
  CHECK(reply->find("\"html_attributions\" : []") != std::string::npos);
}

TEST_CASE("WHATSAT with a bound of 20 returns 20 of the mock's 20 or more results") {
  TestHerd h;
  h.ask("Clark", "IAMAT kiwi -33.8670522+151.1957362 1621464827.5");
  LineClient client(h.port("Clark"));
  client.send("WHATSAT kiwi 50 20\n");
  auto reply = client.read_through("\n\n");
  REQUIRE(reply.has_value());
  CHECK(json::parse(reply->substr(reply->find('\n') + 1))["results"].size() == 20);
  CHECK(mock_result_count(-33.8670522, 151.1957362, 50000) >= 20);
}

TEST_CASE("flooding reaches all five servers from each origin") {
  TestHerd h;
  for (const auto& origin : all_five) {
    CAPTURE(origin);
    std::string at = h.ask(origin, "IAMAT from-" + origin + " +10.5-20.25 1700000000.5");
    REQUIRE(at.starts_with("AT " + origin + " "));
    CHECK(h.events.wait_for_all(all_five, EventKind::update_stored, at));
    for (const auto& name : all_five) CHECK(h.holds(name, at));
  }
}

TEST_CASE("each update crosses each link at most once per direction, never back to its sender") {
  TestHerd h;
  std::string at = h.ask("Clark", "IAMAT counted +10-20 1700000000");
  REQUIRE(h.events.wait_for_all(all_five, EventKind::update_stored, at));
  // Each server hears the update first from one neighbour (its events say which); it then tells
  // every neighbour but that one (the origin too, should the origin's own copy come second: the
  // origin may have restarted without it). The origin tells all of its neighbours. That is
  // 2 x 6 links - (5 - 1) = 8 sends, where echoing to the sender made 10.
  std::map<std::string, std::string> heard_first_from;
  for (const auto& e : h.events.all())
    if (e.kind == EventKind::line_in && e.text == at && e.node != "Clark")
      heard_first_from.try_emplace(e.node, e.peer);
  REQUIRE(heard_first_from.size() == 4);  // every server but the origin, each link named
  std::set<std::pair<std::string, std::string>> expected;
  for (const auto& server : all_five)
    for (const auto& neighbour : h.herd->topology().neighbours(server))
      if (server == "Clark" || neighbour != heard_first_from[server])
        expected.insert({server, neighbour});
  auto sends = [&at](const std::vector<RecordedEvent>& all) {
    std::multiset<std::pair<std::string, std::string>> made;
    for (const auto& e : all)
      if (e.kind == EventKind::line_out && !e.peer.empty() && e.text == at)
        made.insert({e.node, e.peer});
    return made;
  };
  REQUIRE(h.events.wait_for(
      [&](const std::vector<RecordedEvent>& all) { return sends(all).size() >= expected.size(); }));
  // A second update, flooded after it, gives any echo of the first time to show.
  std::string marker = h.ask("Clark", "IAMAT marker +10-20 1700000000");
  REQUIRE(h.events.wait_for_all(all_five, EventKind::update_stored, marker));
  auto made = sends(h.events.all());
  CHECK(std::set<std::pair<std::string, std::string>>(made.begin(), made.end()) == expected);
  CHECK(made.size() == expected.size());  // no link carried it twice
  CHECK(expected.size() <= 8);
  MESSAGE("AT messages for one update: " << made.size());
}

TEST_CASE("a stale update changes nothing anywhere and is not flooded") {
  TestHerd h;
  std::string newer = h.ask("Clark", "IAMAT kiwi +1+1 1700000000.5");
  REQUIRE(h.events.wait_for_all(all_five, EventKind::update_stored, newer));
  // An older IAMAT still gets its AT reply.
  std::string older = h.ask("Bailey", "IAMAT kiwi +2+2 1700000000.25");
  CHECK(older.starts_with("AT Bailey "));
  CHECK(older.ends_with(" kiwi +2+2 1700000000.25"));
  REQUIRE(h.events.wait_for_all({"Bailey"}, EventKind::update_dropped, older));
  // A stale AT from a peer connection is dropped too.
  LineClient peer(h.port("Jaquez"));
  peer.send("AT Bona +0.1 kiwi +3+3 1600000000\n");
  REQUIRE(h.events.wait_for_all({"Jaquez"}, EventKind::update_dropped,
                                "AT Bona +0.1 kiwi +3+3 1600000000"));
  for (const auto& name : all_five) CHECK(h.holds(name, newer));
  CHECK(h.events.count(EventKind::update_stored, "", older) == 0);
}

TEST_CASE("an AT from a peer is stored and flooded, and gets no reply") {
  TestHerd h;
  std::string at = "AT Elsewhere +0.500000000 visitor +5-5 1700000001.25";
  LineClient peer(h.port("Jaquez"));
  peer.send(at + "\nnot-a-command\n");
  // The first reply on the connection is the one for the second line: the AT got none.
  CHECK(peer.read_line() == "? not-a-command");
  CHECK(h.events.wait_for_all(all_five, EventKind::update_stored, at));
}

TEST_CASE("several commands in one write are answered in order") {
  TestHerd h({.fixed_clock = true});
  LineClient client(h.port("Campbell"));
  client.send(
      "IAMAT a +1+1 1621464828\nIAMAT b +2+2 1621464828.2\nbogus\nWHATSAT a 1 1\nIAMAT c +3+3 "
      "1621464828.223372003\n");
  CHECK(client.read_line() == "AT Campbell +0.223372003 a +1+1 1621464828");
  CHECK(client.read_line() == "AT Campbell +0.023372003 b +2+2 1621464828.2");
  CHECK(client.read_line() == "? bogus");
  CHECK(client.read_line() == "AT Campbell +0.223372003 a +1+1 1621464828");
  auto places = client.read_through("\n\n");
  REQUIRE(places.has_value());
  CHECK(json::parse(*places)["results"].size() == 1);
  CHECK(client.read_line() == "AT Campbell +0.000000000 c +3+3 1621464828.223372003");
}

TEST_CASE("one command split over many writes is answered once it is whole") {
  TestHerd h({.fixed_clock = true});
  LineClient client(h.port("Clark"));
  std::string line = "IAMAT slow +34.068930-118.445127 1621464827.959498503\n";
  for (char c : line) client.send(std::string(1, c));
  CHECK(client.read_line() ==
        "AT Clark +0.263873500 slow +34.068930-118.445127 1621464827.959498503");
}

TEST_CASE("a client that half-closes still gets its replies, the last line included, then EOF") {
  TestHerd h({.fixed_clock = true});
  LineClient client(h.port("Clark"));
  client.send("IAMAT a +1+1 1621464828\nIAMAT b +1+1 1621464828.1");
  client.shutdown_write();
  auto rest = client.read_to_eof();
  REQUIRE(rest.has_value());
  CHECK(*rest ==
        "AT Clark +0.223372003 a +1+1 1621464828\n"
        "AT Clark +0.123372003 b +1+1 1621464828.1\n");
}

TEST_CASE("a slow Places call does not delay other clients") {
  TestHerd h;
  h.ask("Clark", "IAMAT kiwi +1+1 1700000000");
  h.mock.set_faults({.latency_ms = 3000});
  LineClient waiting(h.port("Clark"));
  waiting.send("WHATSAT kiwi 10 3\n");
  REQUIRE(h.events.wait_for_all({"Clark"}, EventKind::line_in, "WHATSAT kiwi 10 3"));
  // While that WHATSAT waits on Places, another client on the same server is served.
  std::string at = h.ask("Clark", "IAMAT other +2+2 1700000000");
  CHECK(at.starts_with("AT Clark "));
  CHECK_FALSE(waiting.has_data_now());
  auto reply = waiting.read_through("\n\n", 10000);
  REQUIRE(reply.has_value());
  CHECK(json::parse(reply->substr(reply->find('\n') + 1))["status"] == "OK");
}

namespace {

struct WhatsatReply {
  std::string text;  // the whole reply, blank line included
  json body;         // its Places JSON
};

// Sends "WHATSAT kiwi 10 3" on `client` and reads the whole reply.
WhatsatReply ask_whatsat_kiwi(LineClient& client) {
  client.send("WHATSAT kiwi 10 3\n");
  auto reply = client.read_through("\n\n");
  REQUIRE(reply.has_value());
  return {*reply, json::parse(reply->substr(reply->find('\n') + 1))};
}

std::string whatsat_status(LineClient& client) {
  return ask_whatsat_kiwi(client).body["status"].get<std::string>();
}

}  // namespace

TEST_CASE("WHATSATs in a row share one kept-alive Places connection") {
  TestHerd h;
  h.ask("Clark", "IAMAT kiwi +1+1 1700000000");
  LineClient client(h.port("Clark"));
  for (int i = 0; i < 10; ++i) CHECK(whatsat_status(client) == "OK");
  CHECK(h.mock.requests() == 10);
  CHECK(h.mock.connections() == 1);
}

TEST_CASE("WHATSAT still works after Places dropped the kept-alive connection") {
  TestHerd h;
  h.ask("Clark", "IAMAT kiwi +1+1 1700000000");
  LineClient client(h.port("Clark"));
  CHECK(whatsat_status(client) == "OK");
  // Places goes away and comes back on the same port: the idle connection is dead.
  auto port = h.mock.port();
  h.mock.stop();
  PlacesMock again("127.0.0.1", port);
  REQUIRE_FALSE(again.start());
  CHECK(whatsat_status(client) == "OK");
  CHECK(again.requests() == 1);
}

TEST_CASE("a Places timeout gives the error object in the reply's usual shape") {
  TestHerd h({.places_timeout_ms = 300});
  std::string at = h.ask("Bona", "IAMAT kiwi +1+1 1700000000");
  h.mock.set_faults({.silent = true});
  LineClient client(h.port("Bona"));
  auto [reply, body] = ask_whatsat_kiwi(client);
  CHECK(reply.starts_with(at + "\n{\n"));
  CHECK(body["status"] == "UNKNOWN_ERROR");
  CHECK(body["results"] == json::array());
  CHECK(body["html_attributions"] == json::array());
  CHECK(body["error_message"].is_string());
}

TEST_CASE("a Places HTTP error or malformed body gives the error object") {
  TestHerd h;
  h.ask("Bona", "IAMAT kiwi +1+1 1700000000");
  for (auto faults : {PlacesFaults{.http_status = 500}, PlacesFaults{.malformed = true}}) {
    h.mock.set_faults(faults);
    LineClient client(h.port("Bona"));
    CHECK(whatsat_status(client) == "UNKNOWN_ERROR");
  }
}

TEST_CASE("a node stopped and started again converges through anti-entropy") {
  TestHerd h;
  std::string at = h.ask("Clark", "IAMAT kiwi +1+1 1700000000");
  REQUIRE(h.events.wait_for_all(all_five, EventKind::update_stored, at));
  h.herd->crash("Bona");
  REQUIRE(h.herd->restart("Bona"));
  CHECK(h.events.wait_for([&](const std::vector<RecordedEvent>& all) {
    return std::count_if(all.begin(), all.end(), [&](const RecordedEvent& e) {
             return e.kind == EventKind::update_stored && e.node == "Bona" && e.text == at;
           }) >= 2;
  }));
  CHECK(h.holds("Bona", at));
}

TEST_CASE("in classic mode a restarted node does not get back what it lost") {
  TestHerd h({.classic = true});
  std::string at = h.ask("Clark", "IAMAT kiwi +1+1 1700000000");
  REQUIRE(h.events.wait_for_all(all_five, EventKind::update_stored, at));
  auto ups_before = h.events.count(EventKind::link_up);
  h.herd->crash("Bona");
  REQUIRE(h.herd->restart("Bona"));
  // Bona's three links and its three neighbours' links to it come back up.
  REQUIRE(h.wait_for_links(ups_before + 6));
  // A later update flows from Clark to Bona over the same ordered link: once it arrives,
  // nothing Clark would resend can still be on its way.
  std::string marker = h.ask("Clark", "IAMAT marker +2+2 1700000001");
  REQUIRE(h.events.wait_for_all({"Bona"}, EventKind::update_stored, marker));
  CHECK_FALSE(h.holds("Bona", at));
  CHECK(h.holds("Clark", at));
}

TEST_CASE("the mock Places body is deterministic, inside the radius and 20 or more long") {
  auto body = json::parse(mock_nearby_body(34.068930, -118.445127, 2500));
  CHECK(mock_nearby_body(34.068930, -118.445127, 2500) ==
        mock_nearby_body(34.068930, -118.445127, 2500));
  CHECK(body["status"] == "OK");
  CHECK(body["results"].size() >= 20);
  CHECK(body.contains("next_page_token"));
  for (const auto& place : body["results"]) {
    for (auto key :
         {"business_status", "geometry", "icon", "name", "opening_hours", "photos", "place_id",
          "plus_code", "rating", "reference", "scope", "types", "user_ratings_total", "vicinity"})
      CHECK(place.contains(key));
    double lat = place["geometry"]["location"]["lat"], lng = place["geometry"]["location"]["lng"];
    CHECK(distance_m(34.068930, -118.445127, lat, lng) <= 2500);
  }
  // Near a pole and across the antimeridian the points still lie inside the radius.
  for (auto [lat, lng] : {std::pair{89.99, 10.0}, std::pair{0.0, 179.999}}) {
    auto far_body = json::parse(mock_nearby_body(lat, lng, 50000));
    for (const auto& place : far_body["results"])
      CHECK(distance_m(lat, lng, place["geometry"]["location"]["lat"],
                       place["geometry"]["location"]["lng"]) <= 50000);
  }
}

TEST_CASE("the mock Places reads location and radius as Google does") {
  CHECK(parse_lat_lng("34.06,-118.44").has_value());
  CHECK(parse_lat_lng("+34.06,-118.44").has_value());
  // An unencoded '+' reaches the server as a space: Google accepts it, and so does the mock.
  CHECK(parse_lat_lng(" 34.06,-118.44").has_value());
  CHECK(parse_lat_lng("-34.06, 118.44").has_value());
  CHECK(parse_lat_lng(" 34.06, 118.44")->lng == doctest::Approx(118.44));
  CHECK_FALSE(parse_lat_lng("34.06,").has_value());
  CHECK_FALSE(parse_lat_lng("34.06").has_value());
  CHECK_FALSE(parse_lat_lng("91,0").has_value());
  CHECK_FALSE(parse_lat_lng("a,b").has_value());
  CHECK(parse_radius_m("10000") == 10000);
  CHECK_FALSE(parse_radius_m("0").has_value());
  CHECK_FALSE(parse_radius_m("50001").has_value());
}

TEST_CASE("the mock Places answers a bad query with INVALID_REQUEST") {
  PlacesMock mock;
  REQUIRE_FALSE(mock.start());
  PlacesSettings settings;
  settings.url = mock.url();
  // A WHATSAT always sends a valid radius, so ask through the Places client with a bad one.
  PlacesClient places(settings);
  auto body = json::parse(places.fetch(NearbyQuery{"+1", "+1", "0", 5}).body);
  CHECK(body["status"] == "INVALID_REQUEST");
  CHECK(body["results"] == json::array());
}

TEST_CASE("a Places URL that is not http(s) gives the error object without a request") {
  for (const char* url : {"ftp://example.com/x", "maps.googleapis.com/x", "http://"}) {
    PlacesSettings settings;
    settings.url = url;
    PlacesClient places(settings);
    auto body = json::parse(places.fetch(NearbyQuery{"+1", "+1", "1000", 5}).body);
    CAPTURE(url);
    CHECK(body["status"] == "UNKNOWN_ERROR");
    CHECK(body["error_message"] == "the Places URL is not an http(s) URL");
  }
}

TEST_CASE("a Places body over the size cap gives the error object, not a partial reply") {
  TestHerd h({.places_max_bytes = 2000});  // the mock's body for 20 or more results is far larger
  std::string at = h.ask("Bona", "IAMAT kiwi +1+1 1700000000");
  LineClient client(h.port("Bona"));
  auto [reply, body] = ask_whatsat_kiwi(client);
  CHECK(reply.starts_with(at + "\n{\n"));
  CHECK(body["status"] == "UNKNOWN_ERROR");
  CHECK(body["error_message"].get<std::string>().find("size limit") != std::string::npos);
}
