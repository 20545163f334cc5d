// Explore, the determinism check, shrinking and replay, called as the library they are (the CLI
// only parses flags for them), on the virtual network.

#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>
#include <thread>

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
  CHECK(files_in(dir.path) == summary.failed.size());
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
  while (lines < trace->lines.size())
    lines += session.wait_lines(after, std::chrono::seconds(5), "", got);
  session.request_stop();
  player.join();
  std::string want;
  for (const auto& [ns, line] : trace->lines) want += line + "\n";
  CHECK(got == want);
  CHECK(said.str().find("every line played") != std::string::npos);
  auto bad = read_trace("not a trace\n");
  CHECK_FALSE(bad);
  CHECK(bad.error().find("line 1") != std::string::npos);
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
