#pragma once
// The wire protocol of SPEC.md: splitting, parsing and formatting lines. Pure: no I/O.

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <variant>

namespace herd {

// A client timestamp. Digits past the ninth fractional one are ignored for ordering; the
// original text is always kept and echoed byte for byte.
struct Timestamp {
  std::int64_t seconds = 0;
  std::int32_t nanos = 0;
  auto operator<=>(const Timestamp&) const = default;
};

// An ISO 6709 location such as "+34.068930-118.445127", split into its two signed numbers.
// Kept as text: the node echoes it and passes it to Places, and never computes with it.
struct Location {
  std::string_view latitude_text;   // "+34.068930"
  std::string_view longitude_text;  // "-118.445127"
};

// The value of a signed decimal such as "-118.445127", for those who compute with it.
[[nodiscard]] double degrees(std::string_view signed_decimal);

struct IamatCommand {
  std::string_view client, location_text, time_text;
  Location location;
  Timestamp time;
};

struct WhatsatCommand {
  std::string_view client;
  double radius_km = 0;
  int bound = 0;
};

// An AT line flooded between servers (or sent by another herd's server).
struct AtMessage {
  std::string_view server, skew, client, location_text, time_text;
  // The six fields as received, from "AT" to the time. Some herds append fields after the time
  // (the relay path); they are not part of the record, which is stored and flooded without them.
  std::string_view text;
  bool had_extra_fields = false;
  Location location;
  Timestamp time;
};

struct InvalidCommand {
  const char* reason;  // for logs; the client only sees "? " and its line
};

using Command = std::variant<IamatCommand, WhatsatCommand, AtMessage, InvalidCommand>;

// True for the six bytes SPEC.md counts as field separators: one bit test per byte, as every byte
// of every line in and out is looked at.
[[nodiscard]] constexpr bool is_field_space(char c) {
  constexpr std::uint64_t spaces = (std::uint64_t{1} << ' ') | (std::uint64_t{1} << '\t') |
                                   (std::uint64_t{1} << '\r') | (std::uint64_t{1} << '\n') |
                                   (std::uint64_t{1} << '\f') | (std::uint64_t{1} << '\v');
  auto byte = static_cast<unsigned char>(c);
  return byte < 64 && ((spaces >> byte) & 1) != 0;
}

// Where the field starting at `i` ends: the first field space at or after `i`, or the end.
[[nodiscard]] inline std::size_t field_end(std::string_view line, std::size_t i) {
  // Every separator is at or below ' ', and field bytes nearly never are: eight bytes at a time
  // are tested for any byte below 0x21 (the lowest flagged byte is exact), and only such a byte
  // is looked at. Every byte of every line a herd floods goes through here.
  if constexpr (std::endian::native == std::endian::little) {
    constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (i + 8 <= line.size()) {
      std::uint64_t word;
      std::memcpy(&word, line.data() + i, 8);
      std::uint64_t low = (word - ones * 0x21) & ~word & highs;
      if (low == 0) {
        i += 8;
        continue;
      }
      std::size_t at = i + static_cast<std::size_t>(std::countr_zero(low)) / 8;
      if (is_field_space(line[at])) return at;
      i = at + 1;  // a control byte inside the field
    }
  }
  while (i < line.size() && !is_field_space(line[i])) ++i;
  return i;
}

// Splits on field whitespace into at most N fields; returns the field count, or N + 1 when there
// are more (so callers can reject extra fields without storing them).
template <std::size_t N>
std::size_t split_fields(std::string_view line, std::array<std::string_view, N>& fields) {
  std::size_t count = 0;
  std::size_t i = 0;
  while (true) {
    while (i < line.size() && is_field_space(line[i])) ++i;
    if (i == line.size()) return count;
    std::size_t start = i;
    i = field_end(line, i);
    if (count == N) return N + 1;
    fields[count++] = line.substr(start, i - start);
  }
}

// "1621464827.959498503": POSIX seconds with nine fractional digits, from nanoseconds.
[[nodiscard]] std::string format_timestamp(std::int64_t ns);

// Removes the line end: a trailing "\n" and a "\r" before it.
[[nodiscard]] std::string_view strip_line_end(std::string_view line);

// A time, location or time difference longer than this is refused like a malformed one: real ones
// are about 20 bytes, and a record made of a 60 KB timestamp would get round the client-ID cap.
inline constexpr std::size_t max_number_field_bytes = 64;

// Parses one line (its line end already stripped). Views point into `line`.
[[nodiscard]] Command parse_command(std::string_view line);

[[nodiscard]] bool parse_timestamp(std::string_view text, Timestamp& out);
[[nodiscard]] bool parse_location(std::string_view text, Location& out);

// Nanoseconds since the epoch of a timestamp's first nine fractional digits.
[[nodiscard]] __int128 to_nanos(const Timestamp& t);

// "+0.263873386": explicit sign, exactly nine fractional digits.
[[nodiscard]] std::string format_skew(__int128 difference_nanos);
void append_skew(std::string& out, __int128 difference_nanos);

// The AT line (no line end) a server produces for an accepted IAMAT received at `received_ns`.
[[nodiscard]] std::string format_at(std::string_view server, std::int64_t received_ns,
                                    const IamatCommand& iamat);
// The same appended to `out`, which a server reuses so that answering allocates nothing.
void append_at(std::string& out, std::string_view server, std::int64_t received_ns,
               const IamatCommand& iamat);

// The reply to anything invalid: "? " and the line as received (no line end).
[[nodiscard]] std::string format_invalid(std::string_view line);

// Metres for the Places query from a WHATSAT radius in km, without trailing zeros ("10000",
// "2500.5").
[[nodiscard]] std::string format_radius_metres(double radius_km);

}  // namespace herd
