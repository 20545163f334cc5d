// Explore, the determinism check, shrinking and replay, called as the library they are (the CLI
// only parses flags for them), on the virtual network.

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/text_file.hpp"
#include "sim/campaign/determinism.hpp"
#include "sim/campaign/explore.hpp"
#include "sim/campaign/random_scenario.hpp"
#include "sim/campaign/shrink_run.hpp"
#include "sim/live/live_session.hpp"
#include "sim/live/trace_replay.hpp"
#include "sim/report/report.hpp"
#include "sim/scenario/shrink.hpp"
#include "tests/temp_dir.hpp"

using namespace herd;
using namespace herd::test;

namespace {

SimOptions virtual_options() {
  SimOptions sim;
  sim.network = NetworkKind::virtual_;
  return sim;
}

std::size_t files_in(const std::filesystem::path& dir) {
  std::size_t n = 0;
  if (std::filesystem::exists(dir))
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("explore finds classic mode's divergence and writes it in its folder and nowhere else") {
  TempDir dir;
  auto cwd_before = files_in(std::filesystem::current_path());
  ExploreSettings settings;
  settings.first_seed = 1;
  settings.runs = 3;
  settings.classic = true;
  settings.shrink_found = false;
  settings.report_dir = dir.path.string();
  std::ostringstream out;
  auto summary = explore(settings, virtual_options(), nullptr, out);
  REQUIRE_FALSE(summary.failed.empty());
  // A scenario file per failure, and the log of every seed's outcome, a line each.
  CHECK(files_in(dir.path) == summary.failed.size() + 1);
  std::string log;
  REQUIRE(read_text_file((dir.path / "explore-shard-0-of-1.jsonl").string(), log));
  CHECK(std::count(log.begin(), log.end(), '\n') == 3);
  CHECK(log.find("\"outcome\":\"failed\"") != std::string::npos);
  CHECK(files_in(std::filesystem::current_path()) == cwd_before);
  CHECK(out.str().find("replay it with: herd sim " + dir.path.string()) != std::string::npos);
  // Without a folder nothing is written at all: the seed is the reproduction.
  settings.report_dir.clear();
  std::ostringstream quiet;
  auto again = explore(settings, virtual_options(), nullptr, quiet);
  CHECK(again.failed == summary.failed);
  CHECK(files_in(std::filesystem::current_path()) == cwd_before);
  CHECK(quiet.str().find("nothing written") != std::string::npos);
}

TEST_CASE("a virtual run traced twice gives the same trace, and a difference is named") {
  auto scenario = random_scenario(7, false, true);
  std::ostringstream trace;
  auto result = run_traced(scenario, virtual_options(), true, &trace);
  CHECK(result.passed);
  REQUIRE_FALSE(result.steps.empty());
  CHECK(result.steps.back().description.starts_with("determinism"));
  CHECK(result.steps.back().ok);
  CHECK(trace.str().starts_with("# scenario "));
  CHECK(first_difference("a\nb\nc\n", "a\nb\nc\n").empty());
  auto said = first_difference("a\nb\nc\n", "a\nx\nc\n");
  CHECK(said.find("line 2") != std::string::npos);
  CHECK(said.find("second run: x") != std::string::npos);
}

TEST_CASE("shrinking a failing explore run keeps it failing the same way, in fewer steps") {
  TempDir dir;
  auto options = virtual_options();
  auto scenario = random_scenario(2, true, true);
  auto failed = run_scenario(scenario, options);
  REQUIRE_FALSE(failed.passed);
  auto path = (dir.path / "explore-2.shrunk.json").string();
  std::filesystem::create_directories(dir.path);
  std::ostringstream out;
  REQUIRE(shrink_and_write(scenario, failed, options, path, out));
  auto small = load_scenario(path);
  REQUIRE(small);
  CHECK(small->steps.size() < scenario.steps.size());
  auto replayed = run_scenario(*small, options);
  CHECK_FALSE(replayed.passed);
  CHECK(failure_signature(replayed.steps) == failure_signature(failed.steps));
}

TEST_CASE("a replayed trace is published line by line, in order, until the page stops it") {
  auto scenario = random_scenario(3, false, true);
  std::ostringstream text;
  (void)run_traced(scenario, virtual_options(), false, &text);
  auto trace = read_trace(text.str());
  REQUIRE(trace);
  REQUIRE(trace->lines.size() > 10);
  LiveSession session;
  std::ostringstream said;
  std::thread player(
      [&] { play_trace(session, *trace, "test", std::chrono::milliseconds(0), said); });
  std::string got;
  std::uint64_t after = 0;
  std::size_t lines = 0;
  auto dues_in_all = delivery_times(*trace);
  const auto all = trace->lines.size() + static_cast<std::size_t>(std::count_if(
                                             dues_in_all.begin(), dues_in_all.end(),
                                             [](const auto& d) { return d.has_value(); }));
  while (lines < all) lines += session.wait_lines(after, std::chrono::seconds(5), "", got);
  session.request_stop();
  player.join();
  // Every trace line in order; after each sent line that arrives, when it arrives.
  std::string want;
  auto due = delivery_times(*trace);
  std::size_t dues = 0;
  for (std::size_t i = 0; i < trace->lines.size(); ++i) {
    const auto& [ns, line] = trace->lines[i];
    want += line + "\n";
    if (!due[i]) continue;
    ++dues;
    auto id_at = line.find(' ', line.find(' ') + 1) + 1;
    auto id = line.substr(id_at, line.find(' ', id_at) - id_at);
    auto delivered =
        std::find_if(trace->lines.begin() + static_cast<long>(i), trace->lines.end(),
                     [&](const auto& l) { return l.second.ends_with(" delivered " + id); });
    REQUIRE(delivered != trace->lines.end());
    CHECK(*due[i] == delivered->first);
    want += line.substr(0, line.find(' ')) + " due " + id + " " +
            delivered->second.substr(0, delivered->second.find(' ')) + "\n";
  }
  CHECK(dues > 0);
  CHECK(got == want);
  CHECK(said.str().find("every line played") != std::string::npos);
  auto bad = read_trace("not a trace\n");
  CHECK_FALSE(bad);
  CHECK(bad.error().find("line 1") != std::string::npos);
}

TEST_CASE("a trace of several runs plays them one after another, each announced, ids apart") {
  auto trace = read_trace(
      "# scenario first\n"
      "0.000000 step-start steps[0] a\n"
      "0.100000 sent Bona>Clark#1.1 AT Bona +0.1 kiwi +1+1 1.0\n"
      "0.100050 delivered Bona>Clark#1.1\n"
      "# scenario second\n"
      "0.000000 step-start steps[0] b\n"
      "0.000100 sent Bona>Clark#1.1 AT Bona +0.1 kiwi +1+1 2.0\n"
      "0.000150 delivered Bona>Clark#1.1\n");
  REQUIRE(trace);
  CHECK(trace->run_starts == std::vector<std::size_t>{0, 3});
  CHECK(trace->run_names == std::vector<std::string>{"scenario first", "scenario second"});
  // The second run's lines go on from where the first ended, in time and in their own text.
  CHECK(trace->lines[3].second == "0.100050 step-start steps[0] b");
  CHECK(trace->lines[5] ==
        std::pair<std::int64_t, std::string>{100'200'000, "0.100200 delivered Bona>Clark#1.1"});
  auto due = delivery_times(*trace);
  CHECK(due[1] == std::optional<std::int64_t>(100'050'000));
  CHECK(due[4] == std::optional<std::int64_t>(100'200'000));  // its own run's delivery
  CHECK_FALSE(due[0]);
}

TEST_CASE("a replay's clock pauses and steps delivery by delivery, as a live virtual run's does") {
  auto trace = read_trace(
      "0.000000 step-start steps[0] a\n"
      "0.100000 sent Bona>Clark#1.1 AT Bona +0.1 kiwi +1+1 1.0\n"
      "0.100000 sent Bona>Jaquez#2.1 AT Bona +0.1 kiwi +1+1 1.0\n"
      "0.100050 delivered Bona>Clark#1.1\n"
      "0.100080 delivered Bona>Jaquez#2.1\n"
      "0.200000 step-end steps[0] ok\n");
  REQUIRE(trace);
  LiveSession session;
  std::ostringstream said;
  // A minute before the first line would go out by itself: only the steps move it.
  std::thread player([&] { play_trace(session, *trace, "test", std::chrono::minutes(1), said); });
  auto clock = [&](const std::string& body) {
    auto answer = session.call([body](const LiveSession::Api& api) { return api.clock(body); },
                               std::chrono::seconds(10));
    REQUIRE(answer);
    return nlohmann::json::parse(answer->body);
  };
  auto first = clock(R"({"step": 1})");
  CHECK(first["paused"] == true);
  CHECK(first["delivered"] == 1);
  CHECK(first["now_s"].get<double>() == doctest::Approx(0.10005));
  std::string got;
  std::uint64_t after = 0;
  while (got.find("delivered Bona>Clark#1.1") == std::string::npos)
    session.wait_lines(after, std::chrono::seconds(5), "", got);
  CHECK(got.find("0.100000 due Bona>Clark#1.1 0.100050\n") != std::string::npos);
  CHECK(got.find("0.100000 due Bona>Jaquez#2.1 0.100080\n") != std::string::npos);
  CHECK(got.find("delivered Bona>Jaquez#2.1") == std::string::npos);  // not yet: one step, one
  auto second = clock(R"({"step": 5})");
  CHECK(second["delivered"] == 1);
  CHECK(second["note"].get<std::string>().find("no more deliveries") != std::string::npos);
  auto state = session.call([](const LiveSession::Api& api) { return api.state(0); },
                            std::chrono::seconds(10));
  REQUIRE(state);
  auto parsed = nlohmann::json::parse(state->body);
  CHECK(parsed["clock"]["paused"] == true);
  CHECK(clock(R"({"deliver": {"from": "Bona", "to": "Clark"}})").contains("error"));
  session.request_stop();
  player.join();
}

namespace herd {
TEST_CASE(
    "the end-of-run table escapes a herd's control bytes: a reply never drives the terminal") {
  std::vector<RunRow> rows = {
      {"hostile-input", false, "FAIL", "steps[1] send: unexpected reply: ?\x1b[2J\x07 garbage"}};
  std::vector<Finding> findings = {{"reply-newline", "Bona sent \"\x1b]0;owned\x07\""}};
  auto table = run_table(rows, findings);
  CHECK(table.find('\x1b') == std::string::npos);
  CHECK(table.find('\x07') == std::string::npos);
  CHECK(table.find("?\\x1b[2J\\x07 garbage") != std::string::npos);
  CHECK(table.find("\\x1b]0;owned\\x07") != std::string::npos);
}
}  // namespace herd
