#include "core/protocol.hpp"

#include <array>
#include <charconv>
#include <cstdio>

namespace herd {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool all_digits(std::string_view s) {
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

// An unsigned decimal: "12", "12.5", "12.", ".5"; at least one digit, no sign, no exponent.
// Read in one pass, as every AT a server floods is read several times over a herd.
struct PlainDecimal {
  std::string_view whole, fraction;  // the digits before and after the point
};
bool split_plain_decimal(std::string_view s, PlainDecimal& out) {
  std::size_t i = 0;
  while (i < s.size() && is_digit(s[i])) ++i;
  out.whole = s.substr(0, i);
  out.fraction = {};
  if (i == s.size()) return i > 0;
  if (s[i] != '.') return false;
  const std::size_t first = ++i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i != s.size()) return false;
  out.fraction = s.substr(first);
  return !out.whole.empty() || !out.fraction.empty();
}

bool is_plain_decimal(std::string_view s) {
  PlainDecimal ignored;
  return split_plain_decimal(s, ignored);
}

bool to_double(std::string_view s, double& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// A signed coordinate within [-limit, limit]: explicit sign, then a plain decimal. Compared as
// text, digit by digit, so no double is parsed on every IAMAT; read in one pass, as every AT a
// server floods is read at every server it reaches.
bool is_signed_within(std::string_view s, int limit) {
  if (s.size() < 2 || (s[0] != '+' && s[0] != '-')) return false;
  const char* p = s.data() + 1;
  const char* const end = s.data() + s.size();
  int value = 0, significant = 0;  // the whole part, and its digits after leading zeros
  bool any_digit = false;
  for (; p != end && is_digit(*p); ++p) {
    any_digit = true;
    if (significant == 0 && *p == '0') continue;
    if (++significant > 3) return false;  // over 999 whatever follows
    value = value * 10 + (*p - '0');
  }
  bool fraction_zero = true;
  if (p != end) {
    if (*p != '.') return false;
    for (++p; p != end; ++p) {
      if (!is_digit(*p)) return false;
      any_digit = true;
      fraction_zero = fraction_zero && *p == '0';
    }
  }
  if (!any_digit) return false;
  if (value != limit) return value < limit;
  return fraction_zero;
}

}  // namespace

double degrees(std::string_view signed_decimal) {
  double value = 0;
  if (signed_decimal.size() < 2) return 0;
  if (!to_double(signed_decimal.substr(1), value)) return 0;
  return signed_decimal[0] == '-' ? -value : value;
}

std::string_view strip_line_end(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool parse_timestamp(std::string_view text, Timestamp& out) {
  // One pass: the digits are checked and summed together. 18 digits of seconds keep the
  // nanosecond arithmetic inside 128 bits with room to spare.
  const char* p = text.data();
  const char* const end = p + text.size();
  std::int64_t seconds = 0;
  int significant = 0;  // whole digits after leading zeros
  bool any_digit = false;
  for (; p != end && is_digit(*p); ++p) {
    any_digit = true;
    if (significant == 0 && *p == '0') continue;
    if (++significant > 18) return false;
    seconds = seconds * 10 + (*p - '0');
  }
  std::int32_t nanos = 0;
  int fraction_digits = 0;
  if (p != end) {
    if (*p != '.') return false;
    for (++p; p != end; ++p) {
      if (!is_digit(*p)) return false;
      any_digit = true;
      if (fraction_digits < 9) nanos = nanos * 10 + (*p - '0');
      ++fraction_digits;
    }
  }
  if (!any_digit) return false;
  for (int i = fraction_digits; i < 9; ++i) nanos *= 10;
  out = Timestamp{seconds, nanos};
  return true;
}

bool parse_location(std::string_view text, Location& out) {
  if (text.size() < 4 || (text[0] != '+' && text[0] != '-')) return false;
  std::size_t second_sign = 1;
  while (second_sign < text.size() && text[second_sign] != '+' && text[second_sign] != '-')
    ++second_sign;
  if (second_sign == text.size()) return false;
  Location loc;
  loc.latitude_text = text.substr(0, second_sign);
  loc.longitude_text = text.substr(second_sign);
  if (!is_signed_within(loc.latitude_text, 90) || !is_signed_within(loc.longitude_text, 180))
    return false;
  out = loc;
  return true;
}

Command parse_command(std::string_view line) {
  std::array<std::string_view, 6> f;
  std::size_t n = split_fields(line, f);
  if (n == 0) return InvalidCommand{"empty line"};
  if (f[0] == "IAMAT") {
    if (n != 4) return InvalidCommand{"IAMAT takes 3 fields"};
    IamatCommand cmd{f[1], f[2], f[3], {}, {}};
    if (f[2].size() > max_number_field_bytes || f[3].size() > max_number_field_bytes)
      return InvalidCommand{"location or time over 64 bytes"};
    if (!parse_location(f[2], cmd.location)) return InvalidCommand{"bad location"};
    if (!parse_timestamp(f[3], cmd.time)) return InvalidCommand{"bad time"};
    return cmd;
  }
  if (f[0] == "WHATSAT") {
    if (n != 4) return InvalidCommand{"WHATSAT takes 3 fields"};
    WhatsatCommand cmd{f[1], 0, 0};
    if (!is_plain_decimal(f[2]) || !to_double(f[2], cmd.radius_km))
      return InvalidCommand{"bad radius"};
    if (!(cmd.radius_km > 0 && cmd.radius_km <= 50)) return InvalidCommand{"radius out of range"};
    if (f[3].empty() || f[3].size() > 3 || !all_digits(f[3])) return InvalidCommand{"bad bound"};
    std::from_chars(f[3].data(), f[3].data() + f[3].size(), cmd.bound);
    if (cmd.bound < 1 || cmd.bound > 20) return InvalidCommand{"bound out of range"};
    return cmd;
  }
  if (f[0] == "AT") {
    if (n < 6) return InvalidCommand{"AT takes 5 fields"};
    const char* end = f[5].data() + f[5].size();
    AtMessage msg{f[1],  f[2], f[3], f[4], f[5], std::string_view(f[0].data(), end - f[0].data()),
                  n > 6, {},   {}};
    auto skew = f[2];
    if (skew.size() > max_number_field_bytes || f[4].size() > max_number_field_bytes ||
        f[5].size() > max_number_field_bytes)
      return InvalidCommand{"time difference, location or time over 64 bytes"};
    if (skew.size() < 2 || (skew[0] != '+' && skew[0] != '-') || !is_plain_decimal(skew.substr(1)))
      return InvalidCommand{"bad time difference"};
    if (!parse_location(f[4], msg.location)) return InvalidCommand{"bad location"};
    if (!parse_timestamp(f[5], msg.time)) return InvalidCommand{"bad time"};
    return msg;
  }
  return InvalidCommand{"unknown command"};
}

__int128 to_nanos(const Timestamp& t) {
  return static_cast<__int128>(t.seconds) * 1'000'000'000 + t.nanos;
}

void append_skew(std::string& out, __int128 difference_nanos) {
  char sign = difference_nanos < 0 ? '-' : '+';
  unsigned __int128 magnitude =
      difference_nanos < 0 ? -static_cast<unsigned __int128>(difference_nanos) : difference_nanos;
  unsigned __int128 whole = magnitude / 1'000'000'000;
  auto fraction = static_cast<unsigned>(magnitude % 1'000'000'000);
  char digits[48];
  int len = 0;
  do {
    digits[len++] = static_cast<char>('0' + static_cast<int>(whole % 10));
    whole /= 10;
  } while (whole != 0);
  out.push_back(sign);
  while (len > 0) out.push_back(digits[--len]);
  char frac[10] = {'.'};
  for (int i = 9; i >= 1; --i, fraction /= 10) frac[i] = static_cast<char>('0' + fraction % 10);
  out.append(frac, sizeof frac);
}

std::string format_skew(__int128 difference_nanos) {
  std::string out;
  append_skew(out, difference_nanos);
  return out;
}

void append_at(std::string& out, std::string_view server, std::int64_t received_ns,
               const IamatCommand& iamat) {
  out.append("AT ").append(server).append(" ");
  append_skew(out, static_cast<__int128>(received_ns) - to_nanos(iamat.time));
  out.append(" ").append(iamat.client).append(" ").append(iamat.location_text).append(" ");
  out.append(iamat.time_text);
}

std::string format_at(std::string_view server, std::int64_t received_ns,
                      const IamatCommand& iamat) {
  std::string out;
  append_at(out, server, received_ns, iamat);
  return out;
}

std::string format_timestamp(std::int64_t ns) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%lld.%09lld", static_cast<long long>(ns / 1'000'000'000),
                static_cast<long long>(ns % 1'000'000'000));
  return buffer;
}

std::string format_invalid(std::string_view line) {
  std::string out("? ");
  out.append(line);
  return out;
}

std::string format_radius_metres(double radius_km) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", radius_km * 1000.0);
  std::string_view s(buf);
  while (s.back() == '0') s.remove_suffix(1);
  if (s.back() == '.') s.remove_suffix(1);
  return std::string(s);
}

}  // namespace herd
