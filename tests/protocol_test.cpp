#include "core/protocol.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/seeded_random.hpp"

using namespace herd;

namespace {

// Up to `longest` bytes, each from `usual`, or one time in `rare_one_in` from `rare`.
std::string random_text(SeededRandom& random, std::size_t longest, std::string_view usual,
                        std::string_view rare, std::size_t rare_one_in) {
  std::string text;
  auto length = random.next() % longest;
  for (std::size_t i = 0; i < length; ++i) {
    const auto& from = random.next() % rare_one_in == 0 ? rare : usual;
    text.push_back(from[random.next() % from.size()]);
  }
  return text;
}

bool is_invalid(std::string_view line) {
  return std::holds_alternative<InvalidCommand>(parse_command(line));
}

IamatCommand iamat(std::string_view line) {
  auto command = parse_command(line);
  REQUIRE(std::holds_alternative<IamatCommand>(command));
  return std::get<IamatCommand>(command);
}

constexpr std::int64_t ns(std::int64_t seconds, std::int64_t nanos) {
  return seconds * 1'000'000'000 + nanos;
}

}  // namespace

TEST_CASE("a valid IAMAT keeps its three fields exactly as sent") {
  auto cmd = iamat("IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503");
  CHECK(cmd.client == "kiwi.cs.ucla.edu");
  CHECK(cmd.location_text == "+34.068930-118.445127");
  CHECK(cmd.time_text == "1621464827.959498503");
  CHECK(cmd.location.latitude_text == "+34.068930");
  CHECK(cmd.location.longitude_text == "-118.445127");
  CHECK(degrees(cmd.location.latitude_text) == doctest::Approx(34.06893));
  CHECK(degrees(cmd.location.longitude_text) == doctest::Approx(-118.445127));
  CHECK(cmd.time == Timestamp{1621464827, 959498503});
}

TEST_CASE("any run of the six whitespace bytes separates fields") {
  auto cmd = iamat(" \t IAMAT\f\vkiwi \t\r +1-2\t\t 5 \r");
  CHECK(cmd.client == "kiwi");
  CHECK(cmd.location_text == "+1-2");
  CHECK(cmd.time_text == "5");
}

TEST_CASE("client ids are copied byte for byte, UTF-8 included") {
  auto cmd = iamat("IAMAT k\xc3\xa9vin\xe2\x9c\x93 +1-2 5");
  CHECK(cmd.client == "k\xc3\xa9vin\xe2\x9c\x93");
}

TEST_CASE("latitude and longitude may sit exactly on their bounds") {
  CHECK_FALSE(is_invalid("IAMAT a +90-180 1"));
  CHECK_FALSE(is_invalid("IAMAT a -90.000+180.0 1"));
  CHECK_FALSE(is_invalid("IAMAT a +0-0 1"));
}

TEST_CASE("timestamps take 0 to 9 fractional digits and more are ignored for ordering") {
  CHECK(iamat("IAMAT a +1+1 1621464827").time == Timestamp{1621464827, 0});
  CHECK(iamat("IAMAT a +1+1 1621464827.").time == Timestamp{1621464827, 0});
  CHECK(iamat("IAMAT a +1+1 1621464827.5").time == Timestamp{1621464827, 500000000});
  CHECK(iamat("IAMAT a +1+1 1621464827.959498").time == Timestamp{1621464827, 959498000});
  CHECK(iamat("IAMAT a +1+1 1621464827.9594985031").time == Timestamp{1621464827, 959498503});
  CHECK(iamat("IAMAT a +1+1 .25").time == Timestamp{0, 250000000});
}

TEST_CASE("an empty line is invalid") {
  CHECK(is_invalid(""));
}
TEST_CASE("a line of only whitespace is invalid") {
  CHECK(is_invalid(" \t "));
}
TEST_CASE("an unknown command is invalid") {
  CHECK(is_invalid("HELLO a b c"));
}
TEST_CASE("a lowercase command name is invalid") {
  CHECK(is_invalid("iamat a +1+1 1"));
  CHECK(is_invalid("whatsat a 10 5"));
  CHECK(is_invalid("at Clark +0.1 a +1+1 1"));
}
TEST_CASE("IAMAT with too few fields is invalid") {
  CHECK(is_invalid("IAMAT a +1+1"));
}
TEST_CASE("IAMAT with too many fields is invalid") {
  CHECK(is_invalid("IAMAT a +1+1 1 extra"));
}
TEST_CASE("a location without explicit signs is invalid") {
  CHECK(is_invalid("IAMAT a 34.06-118.44 1"));
  CHECK(is_invalid("IAMAT a +34.06118.44 1"));
}
TEST_CASE("a location with three numbers is invalid") {
  CHECK(is_invalid("IAMAT a +1+2+3 1"));
}
TEST_CASE("a location with a doubled sign is invalid") {
  CHECK(is_invalid("IAMAT a ++1+2 1"));
}
TEST_CASE("a location with non-digits is invalid") {
  CHECK(is_invalid("IAMAT a +1x-2 1"));
  CHECK(is_invalid("IAMAT a +1e5-2 1"));
  CHECK(is_invalid("IAMAT a +-2 1"));
  CHECK(is_invalid("IAMAT a +1.2.3-2 1"));
}
TEST_CASE("a latitude out of range is invalid") {
  CHECK(is_invalid("IAMAT a +90.0000001+0 1"));
  CHECK(is_invalid("IAMAT a -91+0 1"));
}
TEST_CASE("a longitude out of range is invalid") {
  CHECK(is_invalid("IAMAT a +0+180.5 1"));
  CHECK(is_invalid("IAMAT a +0+181 1"));
  CHECK(is_invalid("IAMAT a +0+1000 1"));
  CHECK(is_invalid("IAMAT a -91+0 1"));
  CHECK_FALSE(is_invalid("IAMAT a +00090.000-0179.999999 1"));
  CHECK_FALSE(is_invalid("IAMAT a -89.99999999999999999999+.5 1"));
  CHECK(is_invalid("IAMAT a +0-181 1"));
}
TEST_CASE("a time that is not a plain decimal is invalid") {
  CHECK(is_invalid("IAMAT a +1+1 abc"));
  CHECK(is_invalid("IAMAT a +1+1 -5"));
  CHECK(is_invalid("IAMAT a +1+1 +5"));
  CHECK(is_invalid("IAMAT a +1+1 1e9"));
  CHECK(is_invalid("IAMAT a +1+1 ."));
  CHECK(is_invalid("IAMAT a +1+1 1.2.3"));
}

TEST_CASE("a valid WHATSAT reads its radius and bound") {
  auto command = parse_command("WHATSAT kiwi 10 5");
  REQUIRE(std::holds_alternative<WhatsatCommand>(command));
  auto w = std::get<WhatsatCommand>(command);
  CHECK(w.client == "kiwi");
  CHECK(w.radius_km == 10);
  CHECK(w.bound == 5);
  CHECK_FALSE(is_invalid("WHATSAT kiwi 50 20"));
  CHECK_FALSE(is_invalid("WHATSAT kiwi 0.001 1"));
}
TEST_CASE("WHATSAT with the wrong field count is invalid") {
  CHECK(is_invalid("WHATSAT kiwi 10"));
  CHECK(is_invalid("WHATSAT kiwi 10 5 5"));
}
TEST_CASE("a zero radius is invalid") {
  CHECK(is_invalid("WHATSAT kiwi 0 5"));
}
TEST_CASE("a negative radius is invalid") {
  CHECK(is_invalid("WHATSAT kiwi -1 5"));
}
TEST_CASE("a radius over 50 km is invalid") {
  CHECK(is_invalid("WHATSAT kiwi 50.1 5"));
}
TEST_CASE("a radius that is not a number is invalid") {
  CHECK(is_invalid("WHATSAT kiwi ten 5"));
}
TEST_CASE("a zero bound is invalid") {
  CHECK(is_invalid("WHATSAT kiwi 10 0"));
}
TEST_CASE("a negative bound is invalid") {
  CHECK(is_invalid("WHATSAT kiwi 10 -3"));
}
TEST_CASE("a fractional bound is invalid") {
  CHECK(is_invalid("WHATSAT kiwi 10 2.5"));
}
TEST_CASE("a bound over 20 is invalid") {
  CHECK(is_invalid("WHATSAT kiwi 10 21"));
  CHECK(is_invalid("WHATSAT kiwi 10 99999999999999999999"));
}

TEST_CASE("a peer AT line parses into its five fields") {
  auto command =
      parse_command("AT Clark +0.263873386 kiwi +34.068930-118.445127 1621464827.959498503");
  REQUIRE(std::holds_alternative<AtMessage>(command));
  auto at = std::get<AtMessage>(command);
  CHECK(at.server == "Clark");
  CHECK(at.skew == "+0.263873386");
  CHECK(at.client == "kiwi");
  CHECK(at.time == Timestamp{1621464827, 959498503});
}
TEST_CASE("an AT with fields after the time (another herd's relay path) keeps its six fields") {
  auto command = parse_command("  AT Bailey +0.1 c +1+1 1700000000 Bailey Bona\t");
  REQUIRE(std::holds_alternative<AtMessage>(command));
  auto at = std::get<AtMessage>(command);
  CHECK(at.had_extra_fields);
  CHECK(at.text == "AT Bailey +0.1 c +1+1 1700000000");
  CHECK(at.time == Timestamp{1700000000, 0});
  auto plain = std::get<AtMessage>(parse_command("AT Bailey +0.1 c +1+1 1700000000"));
  CHECK_FALSE(plain.had_extra_fields);
  CHECK(plain.text == "AT Bailey +0.1 c +1+1 1700000000");
}
TEST_CASE("a malformed AT line is invalid") {
  CHECK(is_invalid("AT Clark +0.1 kiwi +1+1"));
  CHECK(is_invalid("AT Clark 0.1 kiwi +1+1 5"));
  CHECK(is_invalid("AT Clark +0.1 kiwi 1+1 5"));
  CHECK(is_invalid("AT Clark +0.1 kiwi +1+1 x"));
}

TEST_CASE("the line end is a newline and a carriage return before it") {
  CHECK(strip_line_end("IAMAT\r\n") == "IAMAT");
  CHECK(strip_line_end("IAMAT\n") == "IAMAT");
  CHECK(strip_line_end("IAMAT") == "IAMAT");
  CHECK(strip_line_end("IAMAT \n") == "IAMAT ");
}

TEST_CASE("an invalid command is answered with a question mark and the line as received") {
  CHECK(format_invalid("foo  bar ") == "? foo  bar ");
  CHECK(format_invalid("") == "? ");
}

TEST_CASE("the time difference has an explicit sign and exactly nine fractional digits") {
  CHECK(format_skew(263873386) == "+0.263873386");
  CHECK(format_skew(0) == "+0.000000000");
  CHECK(format_skew(-1) == "-0.000000001");
  CHECK(format_skew(-1'500'000'000) == "-1.500000000");
  CHECK(format_skew(ns(4927, 183040021)) == "+4927.183040021");
}

TEST_CASE("the time difference is exact to the nanosecond on 19-digit timestamps") {
  // A double would round these: 1621464827.959498503 has more digits than it holds.
  auto cmd = iamat("IAMAT kiwi +34.068930-118.445127 1621464827.959498503");
  CHECK(format_at("Clark", ns(1621464828, 223372003), cmd) ==
        "AT Clark +0.263873500 kiwi +34.068930-118.445127 1621464827.959498503");
  CHECK(format_at("Clark", ns(1621464827, 959498504), cmd) ==
        "AT Clark +0.000000001 kiwi +34.068930-118.445127 1621464827.959498503");
}

TEST_CASE("a client time in the future gives a negative difference") {
  auto cmd = iamat("IAMAT kiwi +1+1 1621464830.5");
  CHECK(format_at("Bona", ns(1621464827, 250000000), cmd) ==
        "AT Bona -3.250000000 kiwi +1+1 1621464830.5");
}

TEST_CASE("every count of fractional digits from 0 to 9 gives the exact difference") {
  const char* times[] = {"100",       "100.1",      "100.12",      "100.123",      "100.1234",
                         "100.12345", "100.123456", "100.1234567", "100.12345678", "100.123456789"};
  const char* skews[] = {"+1.000000000", "+0.900000000", "+0.880000000", "+0.877000000",
                         "+0.876600000", "+0.876550000", "+0.876544000", "+0.876543300",
                         "+0.876543220", "+0.876543211"};
  for (int i = 0; i < 10; ++i) {
    CAPTURE(times[i]);
    std::string line = std::string("IAMAT c +1+1 ") + times[i];
    auto cmd = iamat(line);
    CHECK(format_at("S", ns(101, 0), cmd) ==
          std::string("AT S ") + skews[i] + " c +1+1 " + times[i]);
  }
}

TEST_CASE("radius in metres has no trailing zeros") {
  CHECK(format_radius_metres(10) == "10000");
  CHECK(format_radius_metres(0.5) == "500");
  CHECK(format_radius_metres(2.5005) == "2500.5");
}

TEST_CASE("a timestamp formatted from nanoseconds has nine fractional digits and parses back") {
  CHECK(format_timestamp(ns(1621464827, 959498503)) == "1621464827.959498503");
  CHECK(format_timestamp(ns(5, 7)) == "5.000000007");
  Timestamp t;
  REQUIRE(parse_timestamp(format_timestamp(ns(1700000000, 1)), t));
  CHECK(t == Timestamp{1700000000, 1});
}

TEST_CASE("fields split on whitespace, with extra fields reported") {
  std::array<std::string_view, 2> f;
  CHECK(split_fields(" a\tb ", f) == 2);
  CHECK(f[1] == "b");
  CHECK(split_fields("a b c", f) == 3);
  CHECK(split_fields("", f) == 0);
}

TEST_CASE("any text is read as a timestamp as the rule read byte by byte says") {
  // Runs of digits longer than a word, and bytes just outside '0'..'9' (and ones that carry).
  const std::string rare = std::string("./:\x2f\x3a\xfa\xff\x00 5", 10);
  SeededRandom random(777);
  for (int round = 0; round < 20000; ++round) {
    auto text = random_text(random, 30, "0123456789", rare, 8);
    // The rule, byte by byte: digits, at most one point, a digit somewhere, at most 18 digits
    // of whole seconds once leading zeros go; nanoseconds from the first nine after the point.
    bool valid = !text.empty();
    std::size_t dots = 0, digits = 0;
    for (char c : text) {
      if (c == '.')
        ++dots;
      else if (c >= '0' && c <= '9')
        ++digits;
      else
        valid = false;
    }
    valid = valid && dots <= 1 && digits > 0;
    Timestamp expected{};
    if (valid) {
      auto dot = text.find('.');
      std::string whole = text.substr(0, dot);
      std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
      whole.erase(0,
                  std::min(whole.find_first_not_of('0'), whole.size() - (whole.empty() ? 0 : 1)));
      valid = whole.size() <= 18;
      // Only 18 digits fit: a longer whole part is refused, and not computed here either.
      if (valid)
        for (char c : whole) expected.seconds = expected.seconds * 10 + (c - '0');
      for (std::size_t i = 0; i < 9; ++i)
        expected.nanos = expected.nanos * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
    }
    Timestamp parsed{};
    INFO(text);
    REQUIRE(parse_timestamp(text, parsed) == valid);
    if (valid) CHECK(parsed == expected);
  }
}

// SPEC.md's rule for one coordinate, read the slow way: a sign, then digits with at most one
// point and a digit somewhere, and a value within [-limit, limit] (as exact decimal text).
bool coordinate_by_rule(const std::string& text, int limit) {
  if (text.size() < 2 || (text[0] != '+' && text[0] != '-')) return false;
  auto number = text.substr(1);
  std::size_t dots = 0, digits = 0;
  for (char c : number) {
    if (c == '.')
      ++dots;
    else if (c >= '0' && c <= '9')
      ++digits;
    else
      return false;
  }
  if (dots > 1 || digits == 0) return false;
  auto dot = number.find('.');
  std::string whole = number.substr(0, dot);
  std::string fraction = dot == std::string::npos ? "" : number.substr(dot + 1);
  whole.erase(0, std::min(whole.find_first_not_of('0'), whole.size()));
  if (whole.size() > 3) return false;
  int value = whole.empty() ? 0 : std::stoi(whole);
  if (value != limit) return value < limit;
  return fraction.find_first_not_of('0') == std::string::npos;
}

TEST_CASE("any text is read as a location as the rule read byte by byte says") {
  // Numbers near the limits (90, 180, 999, 1000), leading zeros, points, signs, and stray bytes.
  const std::string usual = "0000123456789918.+-";
  const std::string rare = std::string("x/:\x00 \xff", 6);
  SeededRandom random(4242);
  for (int round = 0; round < 40000; ++round) {
    auto text = random_text(random, 16, usual, rare, 12);
    if (round % 3 == 0) text.insert(0, round % 2 ? "+" : "-");  // most have a leading sign
    bool valid = text.size() >= 4 && (text[0] == '+' || text[0] == '-');
    std::size_t second = std::string::npos;
    if (valid) {
      second = text.find_first_of("+-", 1);
      valid = second != std::string::npos && coordinate_by_rule(text.substr(0, second), 90) &&
              coordinate_by_rule(text.substr(second), 180);
    }
    Location parsed;
    INFO(text);
    REQUIRE(parse_location(text, parsed) == valid);
    if (valid) {
      CHECK(parsed.latitude_text == text.substr(0, second));
      CHECK(parsed.longitude_text == text.substr(second));
    }
  }
  // The limits themselves, as text.
  Location l;
  CHECK(parse_location("+90-180", l));
  CHECK(parse_location("-0090.000+0180.", l));
  CHECK(parse_location("+.5-.5", l));
  CHECK_FALSE(parse_location("+90.000001+0", l));
  CHECK_FALSE(parse_location("+0-180.0000000001", l));
  CHECK_FALSE(parse_location("+.-1", l));
  CHECK_FALSE(parse_location("+1000-1", l));
  CHECK_FALSE(parse_location("+00001000.0-1", l));
}

TEST_CASE("fields split eight bytes at a time as byte by byte, whatever bytes they hold") {
  // Long fields, control and high bytes inside them, separators at every offset of a word.
  const std::string rare = std::string("ab\x01\x1f\x20\t\n\r\f\v!\x80\xff\x7f") + '\0';
  SeededRandom random(12345);
  for (int round = 0; round < 20000; ++round) {
    auto line = random_text(random, 40, "x", rare, 3);
    std::vector<std::string_view> expected;
    for (std::size_t i = 0; i < line.size();) {
      if (is_field_space(line[i])) {
        ++i;
        continue;
      }
      std::size_t start = i;
      while (i < line.size() && !is_field_space(line[i])) ++i;
      expected.push_back(std::string_view(line).substr(start, i - start));
    }
    std::array<std::string_view, 40> fields;
    auto count = split_fields(line, fields);
    REQUIRE(count == expected.size());
    for (std::size_t i = 0; i < count; ++i) CHECK(fields[i] == expected[i]);
  }
}

TEST_CASE("exactly six bytes separate fields") {
  std::string separators;
  for (int c = -128; c < 128; ++c)
    if (is_field_space(static_cast<char>(c))) separators.push_back(static_cast<char>(c));
  CHECK(separators == "\t\n\v\f\r ");
}

TEST_CASE("a time, location or time difference over 64 bytes is refused, not stored") {
  // A record made of a 60 KB fraction would get round the client-ID cap.
  CHECK(is_invalid("IAMAT kiwi +1+1 1700000000." + std::string(60'000, '1')));
  CHECK(is_invalid("IAMAT kiwi +1+1 " + std::string(60, '0') + "1700000000"));
  CHECK(is_invalid("IAMAT kiwi +" + std::string(70, '0') + "1+1 1700000000"));
  CHECK(is_invalid("AT Clark +0." + std::string(70, '1') + " kiwi +1+1 1700000000"));
  CHECK(is_invalid("AT Clark +0.1 kiwi +1+1 1700000000." + std::string(60, '5')));
  // Up to 64 is fine: a nine-digit fraction is 20 bytes.
  CHECK_FALSE(is_invalid("IAMAT kiwi +1+1 1700000000." + std::string(53, '1')));
  CHECK_FALSE(is_invalid("AT Clark +0.000050000 kiwi +34.068930-118.445127 1621464827.959498503"));
}
