#pragma once
// Reading the AT lines other people's servers write, as the spec means them rather than as Herd
// prints them: which update a line is, and how its form differs from SPEC.md's. Student herds
// print the time difference with str(float) (19 fraction digits, "+-0.07"), echo the client's
// timestamp through a float ("...815.1234567"), re-print a location from floats ("+34.06893"),
// add relay fields, or answer WHATSAT with their own name. None of that changes which update a
// line carries, so none of it may hide a verdict on flooding; each difference is a conformance
// finding instead (sim/report/findings.hpp). Pure.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herd {

// The fields of an AT line that say which update it is, read leniently: "AT", then at least five
// whitespace-separated fields; nullopt for anything else.
struct AtFields {
  std::string_view server, skew, client, location, time;
  std::size_t field_count = 0;
};
[[nodiscard]] std::optional<AtFields> read_at_fields(std::string_view line);

// Whether two timestamps are the same instant as far as a float can tell (the text may differ:
// "1796533815.123456789" and "1796533815.1234567" are one update printed twice).
[[nodiscard]] bool same_time(std::string_view a, std::string_view b);
// Whether two ISO 6709 locations are the same numbers ("+34.068930-118.445127" and
// "+34.06893-118.445127"; a comma between the two is tolerated).
[[nodiscard]] bool same_location(std::string_view a, std::string_view b);

// One way a line's form differs from the spec's: a kind (one finding per kind and run) and a
// sentence that names it exactly.
struct FormDeviation {
  std::string kind, text;
};

// What an IAMAT's reply says, judged against the IAMAT `sent` to `server`.
struct IamatReplyReading {
  bool is_the_reply = false;  // an AT line for this IAMAT's update, whatever its form
  std::string why_not;        // when it is not
  std::vector<FormDeviation> deviations;
};
[[nodiscard]] IamatReplyReading read_iamat_reply(std::string_view reply, std::string_view server,
                                                 std::string_view sent);

// How `answer`, a WHATSAT answer's AT line, differs from `origin_line`, the AT line the origin
// server answered for the same update (the spec repeats that line byte for byte). Empty when they
// are the same update with no difference, nullopt when they are different updates.
[[nodiscard]] std::optional<std::vector<FormDeviation>> whatsat_line_deviations(
    std::string_view answer, std::string_view origin_line, std::string_view asked);

// Whether `text` (after leading whitespace) is one whole JSON object or array: its brackets
// close, strings and escapes respected. A server that keeps its connection open and ends a
// WHATSAT reply with one newline is then known to be done.
[[nodiscard]] bool holds_whole_json(std::string_view text);

// Why a time difference is not in the spec's form (sign, digits, point, nine digits); empty if
// it is.
[[nodiscard]] std::string skew_deviation(std::string_view skew);

}  // namespace herd
