#include "sim/scenario/scenario.hpp"

#include <doctest/doctest.h>

#include <set>

#include "sim/campaign/random_scenario.hpp"
#include "sim/checker/checker.hpp"
#include "sim/report/metrics.hpp"
#include "sim/report/text_interner.hpp"

using namespace herd;

namespace {

std::string error_of(std::string_view text) {
  auto result = parse_scenario(text, "s.json");
  REQUIRE_FALSE(result);
  return result.error();
}

Scenario parsed(std::string_view text) {
  auto result = parse_scenario(text, "s.json");
  if (!result) FAIL(result.error());
  return *result;
}

std::string with_steps(std::string_view steps) {
  return std::string(R"({"name": "t", "steps": [)") + std::string(steps) + "]}";
}

}  // namespace

TEST_CASE("a scenario without topology or mode runs the default five in anti-entropy mode") {
  auto s = parsed(with_steps(R"({"do": "wait", "ms": 5})"));
  CHECK(s.name == "t");
  CHECK(s.topology.servers.size() == 5);
  CHECK(s.topology.find("Clark")->port == 0);
  CHECK_FALSE(s.classic);
  CHECK(s.seed == 1);
  REQUIRE(s.steps.size() == 1);
  CHECK(s.steps[0].kind == StepKind::wait);
  CHECK(s.steps[0].ms == 5);
}

TEST_CASE("every step kind parses with its fields") {
  auto s = parsed(R"({"name": "all", "mode": "classic", "seed": 42, "steps": [
    {"do": "send", "node": "Clark", "line": "IAMAT a +1+1 {now}", "expect": "at"},
    {"do": "send", "node": "Clark", "line": "x", "expect": {"pattern": "\\? x"}, "background": true},
    {"do": "traffic", "clients": 3, "rate": 10.5, "duration_ms": 100, "nodes": ["Bona"]},
    {"do": "cut", "from": "Clark", "to": "Bona", "one_way": true},
    {"do": "restore", "from": "Clark", "to": "Bona"},
    {"do": "partition", "groups": [["Clark"], ["Bona", "Bailey"]]},
    {"do": "heal"},
    {"do": "latency", "ms": 10, "jitter_ms": 3},
    {"do": "reset"},
    {"do": "bandwidth", "bytes_per_s": 1000},
    {"do": "slice", "bytes": 2},
    {"do": "hold"}, {"do": "release"},
    {"do": "crash", "node": "Jaquez"}, {"do": "restart", "node": "Jaquez"},
    {"do": "pause", "node": "Bona"}, {"do": "resume", "node": "Bona"},
    {"do": "places", "latency_ms": 10, "http_status": 503, "malformed": true, "silent": true},
    {"do": "wait", "ms": 1},
    {"do": "expect_converged", "within_ms": 100},
    {"do": "expect_diverged"},
    {"do": "expect_record", "node": "Bona", "client": "a", "origin": "Clark", "time": "5", "note": "why"}
  ]})");
  CHECK(s.classic);
  CHECK(s.seed == 42);
  REQUIRE(s.steps.size() == 22);
  CHECK(s.steps[0].expect == ReplyKind::at);
  CHECK(s.steps[1].expect == ReplyKind::pattern);
  CHECK(s.steps[1].background);
  CHECK(s.steps[2].rate == 10.5);
  CHECK(s.steps[2].nodes == std::vector<std::string>{"Bona"});
  CHECK(s.steps[3].one_way);
  CHECK(s.steps[5].groups.size() == 2);
  CHECK(s.steps[7].jitter_ms == 3);
  CHECK(s.steps[17].places == PlacesFaults{10, 503, true, true});
  CHECK(s.steps[20].ms == 1000);  // expect_diverged's default
  CHECK(s.steps[21].origin == "Clark");
}

TEST_CASE("a scenario round-trips through its JSON form") {
  auto original = random_scenario(3, true);
  auto again = parsed(scenario_to_json(original));
  CHECK(scenario_to_json(again) == scenario_to_json(original));
  CHECK(again.classic);
}

TEST_CASE("explore gives the same schedule for the same seed and another for another seed") {
  CHECK(scenario_to_json(random_scenario(7, false)) == scenario_to_json(random_scenario(7, false)));
  CHECK(scenario_to_json(random_scenario(7, false)) != scenario_to_json(random_scenario(8, false)));
  auto s = random_scenario(7, true);
  CHECK(s.classic);
  CHECK(s.steps.back().kind == StepKind::expect_converged);
}

TEST_CASE("a ring topology has the named number of servers") {
  auto s = parsed(R"({"name": "r", "topology": {"ring": 7}, "steps": []})");
  CHECK(s.topology.servers.size() == 7);
  CHECK(s.topology.links.size() == 7);
}

TEST_CASE("scenario errors name the file, the step and the field") {
  CHECK(error_of("{").starts_with("s.json: not valid JSON"));
  CHECK(error_of(R"({"steps": []})") ==
        "s.json: name: expected the scenario's name as a non-empty string");
  CHECK(error_of(R"({"name": "t"})") == "s.json: steps: expected an array of steps");
  // The name makes the report's file names: it cannot lead out of --report-dir or --log-dir.
  for (auto name : {"../escaped", "a/b", ".hidden", "tab\\there"})
    CHECK(error_of(std::string(R"({"name": ")") + name + R"(", "steps": []})")
              .starts_with("s.json: name: expected a name for the run's files"));
  CHECK(error_of(R"({"name": "t", "steps": [], "colour": 1})") ==
        "s.json: colour: expected one of name, description, topology, mode, seed, checks, points, "
        "steps "
        "(unknown "
        "field)");
  CHECK(error_of(R"({"name": "t", "mode": "fast", "steps": []})") ==
        "s.json: mode: expected \"anti-entropy\" or \"classic\", got \"fast\"");
  CHECK(error_of(R"({"name": "t", "seed": -1, "steps": []})") ==
        "s.json: seed: expected a non-negative integer, got -1");
  CHECK(error_of(R"({"name": "t", "topology": {"ring": 1}, "steps": []})") ==
        "s.json: topology.ring: expected an integer from 2 to 10000, got 1");
  CHECK(error_of(with_steps(R"(5)")) == "s.json: steps[0]: expected an object with \"do\", got 5");
  CHECK(error_of(with_steps(R"({"do": "dance"})"))
            .starts_with("s.json: steps[0].do: expected one of send, traffic"));
  CHECK(error_of(with_steps(R"({"do": "wait"})")) ==
        "s.json: steps[0].ms: expected an integer (it is missing)");
  CHECK(error_of(with_steps(R"({"do": "wait", "ms": 1}, {"do": "crash", "node": "Clarke"})")) ==
        "s.json: steps[1].node: expected a server of the topology (Bailey, Bona, Campbell, Clark, "
        "Jaquez), got \"Clarke\"");
  CHECK(error_of(with_steps(R"({"do": "wait", "ms": 1, "node": "Clark"})")) ==
        "s.json: steps[0].node: expected a field of \"wait\" (ms), not \"node\"");
  CHECK(error_of(with_steps(R"({"do": "send", "node": "Clark"})")) ==
        "s.json: steps[0].line: expected a string (it is missing)");
  CHECK(error_of(with_steps(R"({"do": "send", "node": "Clark", "line": "x", "expect": "maybe"})"))
            .starts_with("s.json: steps[0].expect: expected \"none\", \"at\""));
  CHECK(error_of(with_steps(R"({"do": "traffic", "clients": 0, "rate": 1, "duration_ms": 1})")) ==
        "s.json: steps[0].clients: expected an integer from 1 to 100000, got 0");
  CHECK(error_of(with_steps(R"({"do": "cut", "from": "Clark"})")) ==
        "s.json: steps[0]: expected both \"from\" and \"to\", or neither (every link)");
  CHECK(
      error_of(with_steps(R"({"do": "cut", "from": "Clark", "to": "Bailey"})")) ==
      "s.json: steps[0]: expected a link of the topology, but Clark and Bailey are not neighbours");
  CHECK(error_of(with_steps(R"({"do": "partition", "groups": [["Clark"], ["Clark"]]})")) ==
        "s.json: steps[0].groups[1][0]: expected each server in one group only, \"Clark\" is "
        "repeated");
  CHECK(error_of(with_steps(R"({"do": "places", "http_status": 42})")) ==
        "s.json: steps[0].http_status: expected an HTTP status from 100 to 599 (or 0: none)");
  CHECK(
      error_of(with_steps(
          R"({"do": "expect_record", "node": "Bona", "client": "a", "absent": true, "origin": "X"})")) ==
      "s.json: steps[0]: expected \"absent\" alone, or \"time\"/\"origin\" without \"absent\"");
}

TEST_CASE("a missing scenario file is a clear error") {
  auto result = load_scenario("/nonexistent/s.json");
  REQUIRE_FALSE(result);
  CHECK(result.error() == "/nonexistent/s.json: cannot open the file: No such file or directory");
}

TEST_CASE("the checker finds a converged herd converged") {
  History history;
  history.accept("AT Clark +0.1 a +1+1 100");
  history.accept("AT Bona +0.1 a +1+1 200");
  history.accept("AT Bona +0.1 b +1+1 100");
  Holdings holdings;
  for (auto node : {"Clark", "Bona"})
    holdings[node] = holdings_from_lines({"AT Bona +0.1 a +1+1 200", "AT Bona +0.1 b +1+1 100"});
  auto v = check_convergence(history, holdings);
  CHECK(v.converged);
  CHECK(v.problems.empty());
  CHECK(history.accepted() == 3);
}

TEST_CASE("the checker names the update a diverged node lacks") {
  History history;
  history.accept("AT Clark +0.1 a +1+1 100");
  history.accept("AT Clark +0.1 a +1+1 200");
  Holdings holdings;
  holdings["Clark"] = holdings_from_lines({"AT Clark +0.1 a +1+1 200"});
  holdings["Bona"] = holdings_from_lines({"AT Clark +0.1 a +1+1 100"});
  holdings["Jaquez"] = {};
  auto v = check_convergence(history, holdings);
  CHECK_FALSE(v.converged);
  CHECK(v.missing == 2);
  CHECK(v.lost_updates == 0);
  REQUIRE(v.problems.size() == 2);
  CHECK(
      v.problems[0] ==
      "Bona lacks the update \"AT Clark +0.1 a +1+1 200\" (it holds \"AT Clark +0.1 a +1+1 100\")");
  CHECK(v.problems[1] ==
        "Jaquez lacks the update \"AT Clark +0.1 a +1+1 200\" (it holds nothing for a)");
}

TEST_CASE("the checker reports an accepted update that no live node holds as lost") {
  History history;
  history.accept("AT Clark +0.1 a +1+1 100");
  history.accept("AT Bona +0.1 a +1+1 300");  // accepted at Bona, which then crashed
  Holdings holdings;
  holdings["Clark"] = holdings_from_lines({"AT Clark +0.1 a +1+1 100"});
  auto v = check_convergence(history, holdings);
  CHECK_FALSE(v.converged);
  CHECK(v.lost_updates == 1);
  REQUIRE_FALSE(v.problems.empty());
  CHECK(v.problems[0].starts_with("lost update: \"AT Bona +0.1 a +1+1 300\""));
}

TEST_CASE("the checker flags a record no accepted update explains") {
  History history;
  Holdings holdings;
  holdings["Clark"] = holdings_from_lines({"AT Ghost +0.1 g +1+1 1"});
  auto v = check_convergence(history, holdings);
  CHECK_FALSE(v.converged);
  CHECK(v.unexplained == 1);
}

TEST_CASE("metrics measure accept-to-last-server time and messages per update") {
  const std::string at = "AT A +0.1 c +1+1 1";
  std::vector<TimedEvent> events = {
      {EventKind::update_stored, "A", "", at, 1'000'000, 0},
      {EventKind::line_out, "A", "B", at, 1'100'000, 10},
      {EventKind::update_stored, "B", "", at, 3'000'000, 0},
      {EventKind::line_out, "B", "A", at, 3'100'000, 0},
      {EventKind::update_dropped, "A", "", at, 3'200'000, 0},
      {EventKind::link_up, "A", "B", "", 0, 0},
  };
  auto m = compute_metrics(events, 2);
  CHECK(m.updates == 1);
  CHECK(m.fully_spread == 1);
  CHECK(m.converge_max_ms == doctest::Approx(2.0));
  CHECK(m.at_messages == 2);
  CHECK(m.messages_per_update == doctest::Approx(2.0));
  CHECK(m.stale_dropped == 1);
  CHECK(m.peak_queue_bytes == 10);
  CHECK(m.link_ups == 1);
  CHECK(compute_metrics(events, 3).fully_spread == 0);
}

TEST_CASE("quantiles use the nearest rank") {
  std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  CHECK(quantile(v, 0.5) == 5);
  CHECK(quantile(v, 0.99) == 10);
  CHECK(quantile({}, 0.5) == 0);
}

TEST_CASE("a number too large for any type is a clear error, not a crash (found by the fuzzer)") {
  CHECK(
      error_of(
          R"({"name": "x", "seed": 888888888888888888888888888888888888888888e88888888888888888, "steps": []})")
          .starts_with("s.json: not valid JSON: "));
}

TEST_CASE(
    "an invalid regular expression in expect.pattern is a bad file, found before any step runs") {
  auto error = error_of(with_steps(
      R"({"do": "wait", "ms": 1}, {"do": "send", "node": "Clark", "line": "x", "expect": {"pattern": "AT ("}})"));
  CHECK(error.starts_with(
      "s.json: steps[1].expect.pattern: expected a regular expression (RE2 syntax), got \"AT (\""));
}

TEST_CASE("every step kind has one entry: a name, a role, a description, and a JSON round trip") {
  auto last = static_cast<int>(StepKind::expect_record);
  std::set<std::string> names;
  for (int i = 0; i <= last; ++i) {
    auto kind = static_cast<StepKind>(i);
    std::string name = to_string(kind);
    CHECK(names.insert(name).second);
    // A step written with only its required fields reads back as itself.
    std::string step = R"({"do": ")" + name + "\"";
    if (name == "send") step += R"(, "node": "Clark", "line": "IAMAT a +1+1 1")";
    if (name == "traffic") step += R"(, "clients": 2, "rate": 10, "duration_ms": 100)";
    if (name == "partition") step += R"(, "groups": [["Clark"], ["Bona"]])";
    if (name == "latency" || name == "wait") step += R"(, "ms": 5)";
    if (name == "bandwidth") step += R"(, "bytes_per_s": 100)";
    if (name == "slice") step += R"(, "bytes": 3)";
    if (name == "crash" || name == "restart" || name == "pause" || name == "resume")
      step += R"(, "node": "Bona")";
    if (name == "expect_record") step += R"(, "node": "Bona", "client": "kiwi")";
    step += "}";
    auto s = parsed(with_steps(step));
    REQUIRE(s.steps.size() == 1);
    CHECK(s.steps[0].kind == kind);
    CHECK_FALSE(describe(s.steps[0]).empty());
    CHECK(scenario_to_json(parsed(scenario_to_json(s))) == scenario_to_json(s));
  }
  CHECK(role_of(StepKind::cut) == StepRole::fault);
  CHECK(role_of(StepKind::heal) == StepRole::repair);
  CHECK(role_of(StepKind::expect_record) == StepRole::check);
}

TEST_CASE("a pattern RE2 cannot take is a bad file that says why") {
  // A repeat count past RE2's 1000, and a back-reference (which only a backtracking engine has).
  auto error = error_of(with_steps(
      R"({"do": "send", "node": "Clark", "line": "x", "expect": {"pattern": "a{2000}"}})"));
  CHECK(error.starts_with(
      "s.json: steps[0].expect.pattern: expected a regular expression (RE2 syntax)"));
  CHECK(error.find("invalid repetition size") != std::string::npos);
  CHECK(error_of(
            with_steps(
                R"({"do": "send", "node": "Clark", "line": "x", "expect": {"pattern": "(a)\\1"}})"))
            .find("RE2 syntax") != std::string::npos);
  // Long numbers as plain text, an escaped brace, ordinary counts, and a brace whose count no
  // engine could hold (libstdc++ overflowed a long on it; to RE2 it is plain text) are fine.
  for (const char* fine : {"AT Clark \\\\+0\\\\.1 kiwi 1700000000\\\\.123456789",
                           "x\\\\{123456789\\\\}", "a{2,1000}", "a{5555555555002153233}"}) {
    std::string steps = R"({"do": "send", "node": "Clark", "line": "x", "expect": {"pattern": ")" +
                        std::string(fine) + R"("}})";
    CHECK_MESSAGE(parse_scenario(with_steps(steps), "s.json").ok(), fine);
  }
}

TEST_CASE("metrics take a node's place in its herd as a hint, checked against its name") {
  const std::string at = "AT A +0.1 c +1+1 1";
  const TextInterner::Id line = 0;
  MetricsTally tally;
  tally.add(EventKind::update_stored, "A", "", at, 1'000'000, 0, 0, line);
  // B given A's place: still a second server, so the update reached both.
  tally.add(EventKind::update_stored, "B", "", at, 2'000'000, 0, 0, line);
  tally.add(EventKind::update_stored, "B", "", at, 3'000'000, 0, 1,
            line);  // B again, its own place
  auto m = tally.result(2);
  CHECK(m.updates == 1);
  CHECK(m.fully_spread == 1);
  CHECK(m.converge_max_ms == doctest::Approx(1.0));  // B counted once, at its first store
  CHECK(tally.result(3).fully_spread == 0);
}

TEST_CASE("metrics count an update's spread by the number its caller gives its line") {
  MetricsTally tally;
  // Line 7 first (numbers need not come in order), stored by a server that is not its origin;
  // then its origin; line 2 only ever away from its origin: not an update accepted here.
  tally.add(EventKind::update_stored, "B", "", "AT A +0.1 c +1+1 1", 1'000'000, 0, no_herd_index,
            7);
  tally.add(EventKind::update_stored, "A", "", "AT A +0.1 c +1+1 1", 2'000'000, 0, no_herd_index,
            7);
  tally.add(EventKind::update_stored, "B", "", "AT Z +0.1 d +1+1 1", 2'000'000, 0, no_herd_index,
            2);
  // Without a number a stored line is no update's spread.
  tally.add(EventKind::update_stored, "A", "", "AT A +0.1 e +1+1 1", 2'000'000, 0);
  auto m = tally.result(2);
  CHECK(m.updates == 1);
  CHECK(m.fully_spread == 1);
  CHECK(m.converge_max_ms == doctest::Approx(1.0));  // from its first store (B) to its last (A)
  // Servers numbered past one row of bits (64) widen every row and keep what they held.
  for (int i = 0; i < 130; ++i)
    tally.add(EventKind::update_stored, "S" + std::to_string(i), "", "AT A +0.1 c +1+1 1",
              6'000'000 + i * 1'000, 0, no_herd_index, 7);
  tally.add(EventKind::update_stored, "B", "", "AT A +0.1 c +1+1 1", 9'000'000, 0, no_herd_index,
            7);  // B again: seen before the rows widened
  m = tally.result(132);
  CHECK(m.fully_spread == 1);
  CHECK(m.converge_max_ms == doctest::Approx(5.129));  // S129 at 6.129 ms, from B's 1 ms
}

TEST_CASE("an interner numbers texts densely, once each, and keeps them") {
  TextInterner texts;
  std::string first = "AT Clark +0.1 kiwi +1+1 1";
  CHECK(texts.find(first) == TextInterner::none);
  CHECK(texts.intern(first) == 0);
  first[3] = 'X';  // the caller's text changes; the interner kept its own copy
  CHECK(texts.text(0) == "AT Clark +0.1 kiwi +1+1 1");
  CHECK(texts.intern("AT Clark +0.1 kiwi +1+1 1") == 0);
  CHECK(texts.intern(first) == 1);
  // Many texts, and one longer than a block: all found again under their numbers.
  std::string huge(300'000, 'h');
  CHECK(texts.intern(huge) == 2);
  for (int i = 0; i < 20'000; ++i) texts.intern("line " + std::to_string(i));
  CHECK(texts.size() == 20'003);
  CHECK(texts.find("line 12345") == 12'348);
  CHECK(texts.text(12'348) == "line 12345");
  CHECK(texts.text(2) == huge);
  CHECK(texts.find("line 20000") == TextInterner::none);
}
