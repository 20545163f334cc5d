// Reading the replies of herds that are not Herd's: which update a line carries whatever its form,
// and the conformance finding each difference of form becomes. The examples are what real student
// herds answered (tests/student_herd/README.md lists where each was seen).
#include <doctest/doctest.h>

#include "sim/checker/checker.hpp"
#include "sim/report/findings.hpp"
#include "sim/workload/at_reading.hpp"

namespace herd {
namespace {

const std::string iamat = "IAMAT kiwi +34.068930-118.445127 1796533815.123456789";

std::vector<std::string> kinds(const std::vector<FormDeviation>& deviations) {
  std::vector<std::string> out;
  for (const auto& d : deviations) out.push_back(d.kind);
  return out;
}

TEST_CASE("an IAMAT reply in the spec's form is the reply, with nothing to say about it") {
  auto r = read_iamat_reply("AT Clark +0.263873386 kiwi +34.068930-118.445127 1796533815.123456789",
                            "Clark", iamat);
  CHECK(r.is_the_reply);
  CHECK(r.deviations.empty());
}

TEST_CASE(
    "a time difference printed with str(float) is the reply, and the finding counts its digits") {
  auto r = read_iamat_reply(
      "AT Clark +0.0004956722259521484 kiwi +34.068930-118.445127 1796533815.123456789", "Clark",
      iamat);
  REQUIRE(r.is_the_reply);
  REQUIRE(r.deviations.size() == 1);
  CHECK(r.deviations[0].kind == "reply-skew");
  CHECK(r.deviations[0].text ==
        "time difference has 19 fractional digits (\"+0.0004956722259521484\"); the spec's "
        "example has 9");
}

TEST_CASE("two signs, no sign and no number are each named") {
  CHECK(skew_deviation("+-0.07985329627990723") ==
        "time difference \"+-0.07985329627990723\" has two signs");
  CHECK(skew_deviation("--0.5") == "time difference \"--0.5\" has two signs");
  CHECK(skew_deviation("0.0") == "time difference \"0.0\" has no sign; the spec's has + or -");
  CHECK(skew_deviation("abc") == "time difference \"abc\" is not a number");
  CHECK(skew_deviation("+0.263873386").empty());
  CHECK(skew_deviation("-12.000000001").empty());
}

TEST_CASE("a timestamp echoed through a float is the same update, and the finding says so") {
  auto r = read_iamat_reply("AT Clark +0.783623934 kiwi +34.068930-118.445127 1796533815.1234567",
                            "Clark", iamat);
  REQUIRE(r.is_the_reply);
  CHECK(kinds(r.deviations) == std::vector<std::string>{"reply-time"});
  CHECK(r.deviations[0].text ==
        "client timestamp came back changed: sent 1796533815.123456789, got 1796533815.1234567 "
        "(read as a float?)");
}

TEST_CASE("a reply for another client, time or place is not the reply, and says why") {
  auto other = read_iamat_reply("AT Clark +0.1 lime +34.068930-118.445127 1796533815.123456789",
                                "Clark", iamat);
  CHECK_FALSE(other.is_the_reply);
  CHECK(other.why_not == "it is for client \"lime\", not \"kiwi\"");
  auto later = read_iamat_reply("AT Clark +0.1 kiwi +34.068930-118.445127 1796533816.123456789",
                                "Clark", iamat);
  CHECK_FALSE(later.is_the_reply);
  auto elsewhere = read_iamat_reply("AT Clark +0.1 kiwi +34.068931-118.445127 1796533815.123456789",
                                    "Clark", iamat);
  CHECK_FALSE(elsewhere.is_the_reply);
  CHECK_FALSE(read_iamat_reply("? IAMAT kiwi", "Clark", iamat).is_the_reply);
}

TEST_CASE("same_time tells a float's rounding from a different instant") {
  CHECK(same_time("1796533815.123456789", "1796533815.1234567"));
  CHECK(same_time("1700000000.5", "1700000000.500000000"));
  CHECK_FALSE(same_time("1796533815.123456789", "1796533815.123458"));
  CHECK_FALSE(same_time("1796533815", "1e9"));
}

TEST_CASE("a location re-printed from floats, or with a comma, is the same place") {
  CHECK(same_location("+34.068930-118.445127", "+34.06893-118.445127"));
  CHECK(same_location("+1+1", "+1.0+1.0"));
  CHECK(same_location("+34.068930-118.445127", "+34.068930,-118.445127"));
  CHECK_FALSE(same_location("+34.068930-118.445127", "+34.068930+118.445127"));
}

TEST_CASE("a WHATSAT answer that names the local server is the origin's update, with a finding") {
  const std::string origin =
      "AT Clark +0.263873386 kiwi +34.068930-118.445127 1796533815.123456789";
  auto same = whatsat_line_deviations(origin, origin, "Bona");
  REQUIRE(same);
  CHECK(same->empty());
  auto local = whatsat_line_deviations(
      "AT Bona +3.062954902648926 kiwi +34.068930-118.445127 1796533815.123456789", origin, "Bona");
  REQUIRE(local);
  CHECK(kinds(*local) == std::vector<std::string>{"whatsat-server"});
  auto recomputed = whatsat_line_deviations(
      "AT Clark +4.258623289 kiwi +34.06893-118.445127 1796533815.123456789", origin, "Bona");
  REQUIRE(recomputed);
  CHECK(kinds(*recomputed) == std::vector<std::string>{"whatsat-skew", "whatsat-location"});
  CHECK_FALSE(whatsat_line_deviations(
      "AT Clark +0.263873386 kiwi +34.068930-118.445127 1796533800.000000000", origin, "Bona"));
}

TEST_CASE("findings keep one sentence per kind, the first") {
  Findings findings;
  findings.add("reply-newline", "Clark's reply has no newline");
  findings.add("reply-newline", "Bona's reply has no newline");
  findings.add("reply-skew", "time difference has 19 fractional digits");
  auto list = findings.list();
  REQUIRE(list.size() == 2);
  CHECK(list[0].text == "Clark's reply has no newline");
  CHECK(list[1].kind == "reply-skew");
}

TEST_CASE("a WHATSAT body is whole when its JSON closes, strings and escapes respected") {
  CHECK(holds_whole_json("{\n    \"results\": []\n}\n"));
  CHECK(holds_whole_json("  [1, 2]"));
  CHECK_FALSE(holds_whole_json("{\n    \"results\": [\n"));
  CHECK_FALSE(holds_whole_json("{\"name\": \"a } inside\""));
  CHECK(holds_whole_json("{\"name\": \"a \\\" quote }\"}"));
  CHECK_FALSE(holds_whole_json("AT Clark ..."));
}

TEST_CASE("the history takes the AT line a herd said even when its form is off") {
  History history;
  history.accept("AT Clark +-0.07985329627990723 kiwi +34.068930-118.445127 1796533767.1234567");
  REQUIRE(history.expected().count("kiwi") == 1);
  CHECK(history.expected().at("kiwi").line ==
        "AT Clark +-0.07985329627990723 kiwi +34.068930-118.445127 1796533767.1234567");
}

TEST_CASE("a pair that could not be read is neither held nor lacking: the check cannot pass") {
  History history;
  const std::string line = "AT Clark +0.1 kiwi +1+1 1796533767.123456789";
  history.accept(line);
  Holdings holdings = {{"Clark", {{"kiwi", line}}}, {"Bona", {}}};
  Unreadable unreadable = {{"Bona", {{"kiwi", "Bona closed the connection without a reply"}}}};
  auto verdict = check_convergence(history, holdings, 8, unreadable);
  CHECK(verdict.converged);  // nothing seen was wrong ...
  CHECK(verdict.missing == 0);
  CHECK(verdict.unreadable == 1);  // ... and one pair was not seen
  CHECK(verdict.unreadable_reasons.at(0) ==
        "cannot read Bona about kiwi: Bona closed the connection without a reply");
  // Without the reason, Bona simply lacks it.
  auto plain = check_convergence(history, holdings);
  CHECK_FALSE(plain.converged);
  CHECK(plain.missing == 1);
}

TEST_CASE("an update nobody could be read about is not called lost") {
  History history;
  history.accept("AT Clark +0.1 kiwi +1+1 1796533767.123456789");
  Holdings holdings = {{"Bona", {}}};
  Unreadable unreadable = {{"Bona", {{"kiwi", "timed out"}}}};
  auto verdict = check_convergence(history, holdings, 8, unreadable);
  CHECK(verdict.lost_updates == 0);
  CHECK(verdict.unreadable == 1);
}

}  // namespace
}  // namespace herd
