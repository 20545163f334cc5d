#include "sim/workload/at_reading.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

namespace herd {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "1796533815.123456789" as seconds and the fraction's digits, exactly; nullopt for anything but
// plain decimal digits with at most one point.
struct Decimal {
  std::string_view whole, fraction;
};
std::optional<Decimal> plain_decimal(std::string_view text) {
  auto point = text.find('.');
  Decimal d{text.substr(0, point), point == std::string_view::npos ? "" : text.substr(point + 1)};
  if (!all_digits(d.whole) || (point != std::string_view::npos && !all_digits(d.fraction)))
    return std::nullopt;
  return d;
}

std::optional<double> number(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

// The two signed numbers of a location; a comma between them is read past.
std::optional<std::pair<double, double>> location_numbers(std::string_view text) {
  if (text.size() < 4 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  auto second = text.find_first_of("+-", 1);
  if (second == std::string_view::npos) return std::nullopt;
  auto latitude = text.substr(0, second);
  if (latitude.ends_with(',')) latitude.remove_suffix(1);
  auto lat = number(latitude), lng = number(text.substr(second));
  if (!lat || !lng) return std::nullopt;
  return std::pair{*lat, *lng};
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i == line.size()) break;
    auto start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

}  // namespace

std::optional<AtFields> read_at_fields(std::string_view line) {
  auto f = words(line);
  if (f.size() < 6 || f[0] != "AT") return std::nullopt;
  return AtFields{f[1], f[2], f[3], f[4], f[5], f.size()};
}

bool same_time(std::string_view a, std::string_view b) {
  if (a == b) return true;
  auto da = plain_decimal(a), db = plain_decimal(b);
  if (!da || !db) return false;
  auto x = number(a), y = number(b);
  if (!x || !y) return false;
  // str(float) keeps 17 significant digits: within a few units in the last place of a double.
  return std::fabs(*x - *y) <= std::max(1e-9, std::fabs(*x) * 4e-16);
}

bool same_location(std::string_view a, std::string_view b) {
  if (a == b) return true;
  auto x = location_numbers(a), y = location_numbers(b);
  return x && y && *x == *y;
}

std::string skew_deviation(std::string_view skew) {
  if (skew.starts_with("+-") || skew.starts_with("--") || skew.starts_with("-+"))
    return "time difference " + quoted(skew) + " has two signs";
  std::string_view digits = skew;
  bool signed_ = !skew.empty() && (skew[0] == '+' || skew[0] == '-');
  if (signed_) digits.remove_prefix(1);
  auto decimal = plain_decimal(digits);
  if (!decimal || decimal->whole.empty()) {
    if (number(skew)) return "time difference " + quoted(skew) + " is not a plain decimal";
    return "time difference " + quoted(skew) + " is not a number";
  }
  if (!signed_) return "time difference " + quoted(skew) + " has no sign; the spec's has + or -";
  if (decimal->fraction.size() != 9)
    return "time difference has " + std::to_string(decimal->fraction.size()) +
           " fractional digits (" + quoted(skew) + "); the spec's example has 9";
  return {};
}

IamatReplyReading read_iamat_reply(std::string_view reply, std::string_view server,
                                   std::string_view sent) {
  IamatReplyReading out;
  auto sent_words = words(sent);
  if (sent_words.size() != 4 || sent_words[0] != "IAMAT") {
    out.why_not = "the line sent was not an IAMAT";
    return out;
  }
  const std::string_view sent_client = sent_words[1], sent_location = sent_words[2],
                         sent_time = sent_words[3];
  auto at = read_at_fields(reply);
  if (!at) {
    out.why_not = "not an AT line";
    return out;
  }
  if (at->client != sent_client) {
    out.why_not = "it is for client " + quoted(at->client) + ", not " + quoted(sent_client);
    return out;
  }
  if (!same_time(at->time, sent_time)) {
    out.why_not =
        "its timestamp " + quoted(at->time) + " is not the one sent, " + quoted(sent_time);
    return out;
  }
  if (!same_location(at->location, sent_location)) {
    out.why_not =
        "its location " + quoted(at->location) + " is not the one sent, " + quoted(sent_location);
    return out;
  }
  out.is_the_reply = true;
  if (at->server != server)
    out.deviations.push_back(
        {"reply-server", "the reply to an IAMAT sent to " + std::string(server) + " names " +
                             quoted(at->server) + ", not " + std::string(server)});
  if (auto why = skew_deviation(at->skew); !why.empty())
    out.deviations.push_back({"reply-skew", why});
  if (at->time != sent_time)
    out.deviations.push_back({"reply-time", "client timestamp came back changed: sent " +
                                                std::string(sent_time) + ", got " +
                                                std::string(at->time) + " (read as a float?)"});
  if (at->location != sent_location)
    out.deviations.push_back(
        {"reply-location", "location came back changed: sent " + std::string(sent_location) +
                               ", got " + std::string(at->location) + " (printed from floats?)"});
  if (at->field_count != 6)
    out.deviations.push_back({"reply-fields", "the IAMAT reply has " +
                                                  std::to_string(at->field_count) +
                                                  " fields; the spec's AT line has 6"});
  return out;
}

std::optional<std::vector<FormDeviation>> whatsat_line_deviations(std::string_view answer,
                                                                  std::string_view origin_line,
                                                                  std::string_view asked) {
  auto a = read_at_fields(answer), o = read_at_fields(origin_line);
  if (!a || !o || a->client != o->client || !same_time(a->time, o->time) ||
      !same_location(a->location, o->location))
    return std::nullopt;
  std::vector<FormDeviation> out;
  if (answer == origin_line) return out;
  const std::string where = "WHATSAT at " + std::string(asked);
  const std::string spec = "; the spec repeats the origin's AT line, " + quoted(origin_line);
  if (a->server != o->server)
    out.push_back(
        {"whatsat-server", where + " names " + quoted(a->server) + " as the origin" + spec});
  else if (a->skew != o->skew)
    out.push_back({"whatsat-skew", where + " gives the time difference " + quoted(a->skew) +
                                       ", not the origin's " + quoted(o->skew) + spec});
  if (a->time != o->time)
    out.push_back({"whatsat-time", where + " prints the timestamp " + quoted(a->time) +
                                       " (read as a float?)" + spec});
  if (a->location != o->location)
    out.push_back({"whatsat-location", where + " prints the location " + quoted(a->location) +
                                           " (printed from floats?)" + spec});
  if (out.empty()) out.push_back({"whatsat-other", where + " answers " + quoted(answer) + spec});
  return out;
}

bool holds_whole_json(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() &&
         (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
    ++i;
  if (i == text.size() || (text[i] != '{' && text[i] != '[')) return false;
  int depth = 0;
  bool in_string = false, escaped = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '{' || c == '[') ++depth;
    if ((c == '}' || c == ']') && --depth == 0) return true;
  }
  return false;
}

}  // namespace herd
