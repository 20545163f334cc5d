// Shards, explore logs and their merge, and the grade table: a campaign split any way merges to
// the unsplit one's summary, and what a herd wrote cannot break the files course staff open.

#include "sim/campaign/campaign_merge.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "sim/campaign/grade_table.hpp"
#include "sim/campaign/shard.hpp"
#include "sim/scenario/scenario.hpp"
#include "tests/temp_dir.hpp"

using namespace herd;

namespace {

GetEnvironment environment(std::map<std::string, std::string> values) {
  auto kept = std::make_shared<std::map<std::string, std::string>>(std::move(values));
  return [kept](const char* name) -> const char* {
    auto it = kept->find(name);
    return it == kept->end() ? nullptr : it->second.c_str();
  };
}

Shard shard_of(std::map<std::string, std::string> values) {
  auto found = shard_from_environment(environment(std::move(values)));
  REQUIRE(found);
  REQUIRE(found->has_value());
  return (*found)->shard;
}

std::string environment_error(std::map<std::string, std::string> values) {
  auto found = shard_from_environment(environment(std::move(values)));
  REQUIRE_FALSE(found);
  return found.error();
}

// A campaign of `runs` seeds from 1 where seed s fails when s % 7 == 0, with one of three
// signatures, and the shrunk file of a seed has 20 - s % 13 steps.
std::vector<SeedRecord> campaign(std::uint64_t runs, Shard shard_count_of = {}) {
  std::vector<SeedRecord> records;
  CampaignPlan plan{1, runs, "classic, virtual network, swarm"};
  for (std::uint64_t seed = 1; seed <= runs; ++seed) {
    SeedRecord r;
    r.campaign = plan;
    r.seed = seed;
    r.shard = {static_cast<int>((seed - 1) % static_cast<std::uint64_t>(shard_count_of.count)),
               shard_count_of.count};
    if (seed % 7 == 0) {
      r.outcome = SeedOutcome::failed;
      r.signature = "expect_converged: " + std::string(seed % 3 == 0 ? "Bona" : "Clark") + " lacks";
      r.message = "steps[4] expect converged: seed " + std::to_string(seed);
      r.scenario = "explore-" + std::to_string(seed) + ".json";
      r.steps = 30;
      r.shrunk = "explore-" + std::to_string(seed) + ".shrunk.json";
      r.shrunk_steps = 20 - seed % 13;
    } else if (seed % 11 == 0) {
      r.outcome = SeedOutcome::inconclusive;
      r.message = "could not read Bona";
    }
    records.push_back(r);
  }
  return records;
}

std::string comparable(const CampaignSummary& s) {
  return campaign_summary_json(s, false);
}

}  // namespace

TEST_CASE("a shard is I/N with I below N, counting from 0") {
  auto shard = parse_shard("2/4");
  REQUIRE(shard);
  CHECK(shard->index == 2);
  CHECK(shard->count == 4);
  CHECK(shard->owns(2));
  CHECK(shard->owns(6));
  CHECK_FALSE(shard->owns(3));
  for (const char* bad : {"4/4", "-1/4", "1/0", "x/4", "1", "1/4/5", "", "1/100001", "1 /4"})
    CHECK_FALSE(parse_shard(bad));
  CHECK(parse_shard("4/4").error().find("below N=4") != std::string::npos);
}

TEST_CASE("every offset belongs to exactly one shard") {
  for (int count : {1, 2, 3, 4, 7})
    for (std::uint64_t offset = 0; offset < 50; ++offset) {
      int owners = 0;
      for (int i = 0; i < count; ++i) owners += Shard{i, count}.owns(offset) ? 1 : 0;
      CHECK(owners == 1);
    }
}

TEST_CASE("the shard comes from a Slurm array's variables, any range and step") {
  Shard s = shard_of({{"SLURM_ARRAY_TASK_ID", "2"},
                      {"SLURM_ARRAY_TASK_MIN", "0"},
                      {"SLURM_ARRAY_TASK_COUNT", "4"}});
  CHECK(s.text() == "2/4");
  // --array=1-8:2 gives tasks 1, 3, 5, 7: task 5 is the third.
  s = shard_of({{"SLURM_ARRAY_TASK_ID", "5"},
                {"SLURM_ARRAY_TASK_MIN", "1"},
                {"SLURM_ARRAY_TASK_COUNT", "4"},
                {"SLURM_ARRAY_TASK_STEP", "2"}});
  CHECK(s.text() == "2/4");
  // --array=0,3,9 is no range: the task's place cannot be told from its id.
  CHECK(environment_error({{"SLURM_ARRAY_TASK_ID", "9"},
                           {"SLURM_ARRAY_TASK_MIN", "0"},
                           {"SLURM_ARRAY_TASK_COUNT", "3"}})
            .find("--shard I/N") != std::string::npos);
  CHECK(environment_error({{"SLURM_ARRAY_TASK_ID", "2"}}).find("SLURM_ARRAY_TASK_COUNT=(unset)") !=
        std::string::npos);
}

TEST_CASE("the shard comes from a Kubernetes Indexed Job with HERD_SHARDS, or HERD_SHARD") {
  CHECK(shard_of({{"JOB_COMPLETION_INDEX", "3"}, {"HERD_SHARDS", "5"}}).text() == "3/5");
  CHECK(environment_error({{"JOB_COMPLETION_INDEX", "3"}}).find("HERD_SHARDS") !=
        std::string::npos);
  CHECK(
      environment_error({{"JOB_COMPLETION_INDEX", "5"}, {"HERD_SHARDS", "5"}}).find("below N=5") !=
      std::string::npos);
  // HERD_SHARD first: a user's own choice beats the engine's.
  CHECK(shard_of({{"HERD_SHARD", "1/2"}, {"SLURM_ARRAY_TASK_ID", "0"}}).text() == "1/2");
  auto none = shard_from_environment(environment({}));
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
}

TEST_CASE("a seed's log line reads back as written") {
  auto records = campaign(14, {0, 2});
  for (const auto& r : records) {
    auto line = seed_record_line(r);
    CHECK(line.back() == '\n');
    CHECK(std::count(line.begin(), line.end(), '\n') == 1);
    auto back = parse_seed_record(line);
    REQUIRE(back);
    CHECK(back->seed == r.seed);
    CHECK(back->outcome == r.outcome);
    CHECK(back->campaign == r.campaign);
    CHECK(back->shard.text() == r.shard.text());
    CHECK(back->signature == r.signature);
    CHECK(back->shrunk_steps == r.shrunk_steps);
    CHECK(back->scenario == r.scenario);
  }
  // A herd's bytes in a message, newline and invalid UTF-8 included, stay on one line.
  SeedRecord hostile = records.front();
  hostile.message = "reply \"\n\xff\x01 end";
  auto line = seed_record_line(hostile);
  CHECK(std::count(line.begin(), line.end(), '\n') == 1);
  CHECK(parse_seed_record(line));
}

TEST_CASE("a log line that is not a seed's record says what is wrong") {
  CHECK(parse_seed_record("{\"seed\": 3").error().find("not JSON") != std::string::npos);
  CHECK(parse_seed_record("[]").error().find("object") != std::string::npos);
  auto good = nlohmann::json::parse(seed_record_line(campaign(3).front()));
  auto with = [&](const char* key, nlohmann::json value) {
    auto changed = good;
    changed[key] = std::move(value);
    auto parsed = parse_seed_record(changed.dump());
    REQUIRE_FALSE(parsed);
    return parsed.error();
  };
  CHECK(with("seed", 99).find("outside") != std::string::npos);
  CHECK(with("seed", -1).find("seed") != std::string::npos);
  CHECK(with("outcome", "great").find("outcome") != std::string::npos);
  CHECK(with("shard", "5/4").find("shard") != std::string::npos);
  CHECK(with("campaign", 1).find("campaign") != std::string::npos);
}

TEST_CASE("a campaign split into shards merges to the unsplit campaign's summary") {
  auto whole = merge_seed_records(campaign(200));
  REQUIRE(whole);
  CHECK(whole->ran == 200);
  CHECK(whole->failed == 28);  // 7, 14, ..., 196
  CHECK(whole->inconclusive == 16);
  CHECK(whole->passed == 200 - 28 - 16);
  CHECK(whole->missing_seeds == 0);
  REQUIRE(whole->failures.size() == 2);
  std::size_t seeds_in_groups = 0;
  for (const auto& g : whole->failures) {
    seeds_in_groups += g.seeds.size();
    CHECK(std::is_sorted(g.seeds.begin(), g.seeds.end()));
    // The smallest reproduction has the fewest shrunk steps of its group.
    for (auto seed : g.seeds) CHECK(g.reproduction_steps <= 20 - seed % 13);
    CHECK(g.reproduction == "explore-" + std::to_string(g.smallest_seed) + ".shrunk.json");
  }
  CHECK(seeds_in_groups == 28);
  CHECK(campaign_exit_status(*whole) == 1);
  std::mt19937 shuffle(7);
  for (int count : {2, 3, 4, 7}) {
    auto split = campaign(200, {0, count});
    std::shuffle(split.begin(), split.end(), shuffle);  // shards finish in any order
    auto merged = merge_seed_records(split);
    REQUIRE(merged);
    CHECK(comparable(*merged) == comparable(*whole));
    CHECK(merged->shards.size() == static_cast<std::size_t>(count));
  }
}

TEST_CASE("seeds no shard reported are missing, and the silent shard is named") {
  auto records = campaign(40, {0, 4});
  std::erase_if(records, [](const SeedRecord& r) { return r.shard.index == 2; });
  auto merged = merge_seed_records(records);
  REQUIRE(merged);
  CHECK(merged->missing_seeds == 10);
  CHECK(merged->missing.front() == std::pair<std::uint64_t, std::uint64_t>{3, 3});
  CHECK(campaign_exit_status(*merged) == 2);
  auto text = campaign_summary_text(*merged);
  CHECK(text.find("10 missing") != std::string::npos);
  CHECK(text.find("shards that reported nothing: 2/4") != std::string::npos);
  // The last seeds missing too: a range to the campaign's end.
  records = campaign(40);
  records.resize(30);
  merged = merge_seed_records(records);
  REQUIRE(merged);
  CHECK(merged->missing.back() == std::pair<std::uint64_t, std::uint64_t>{31, 40});
}

TEST_CASE("a seed reported twice counts once, the worse outcome, with a note") {
  auto records = campaign(10);
  auto again = records[2];
  again.outcome = SeedOutcome::failed;
  again.signature = "send Clark";
  records.push_back(again);
  records.push_back(records[4]);  // the same outcome twice: no note
  auto merged = merge_seed_records(records);
  REQUIRE(merged);
  CHECK(merged->ran == 10);
  CHECK(merged->failed == 2);  // seed 7, and seed 3 which failed once
  REQUIRE(merged->notes.size() == 1);
  CHECK(merged->notes.front().find("seed 3 was reported twice") != std::string::npos);
}

TEST_CASE("logs of two campaigns are not merged into one") {
  auto records = campaign(10);
  auto other = campaign(12);
  records.push_back(other.back());
  auto merged = merge_seed_records(records);
  REQUIRE_FALSE(merged);
  CHECK(merged.error().find("two campaigns") != std::string::npos);
  CHECK_FALSE(merge_seed_records({}));
}

TEST_CASE("merging folders reads every shard's log and notes a line cut short") {
  test::TempDir dir;
  auto records = campaign(20, {0, 2});
  for (int i = 0; i < 2; ++i) {
    auto folder = dir.path / ("shard" + std::to_string(i));
    std::filesystem::create_directories(folder);
    std::ofstream log(folder / campaign_log_name({i, 2}));
    for (const auto& r : records)
      if (r.shard.index == i) log << seed_record_line(r);
    if (i == 1) log << "{\"seed\": 2";  // killed mid-line
  }
  std::ofstream(dir.path / "shard0" / "unrelated.jsonl") << "not ours\n";
  auto merged =
      merge_campaign_logs({(dir.path / "shard0").string(), (dir.path / "shard1").string()});
  REQUIRE(merged);
  CHECK(merged->ran == 20);
  CHECK(merged->logs == 2);
  REQUIRE(merged->notes.size() == 1);
  CHECK(merged->notes.front().find("skipped, not JSON") != std::string::npos);
  auto missing = merge_campaign_logs({(dir.path / "nowhere").string()});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("no such folder") != std::string::npos);
  std::filesystem::create_directories(dir.path / "empty");
  auto empty = merge_campaign_logs({(dir.path / "empty").string()});
  REQUIRE_FALSE(empty);
  CHECK(empty.error().find("no explore results") != std::string::npos);
}

namespace {

GradedSubmission submission(std::string name, std::vector<std::string> verdicts) {
  GradedSubmission g;
  g.name = std::move(name);
  g.path = "/class/" + g.name;
  const char* scenarios[] = {"partition-heal", "course-grader", "equal-timestamps"};
  for (std::size_t i = 0; i < verdicts.size(); ++i) {
    GradedScenario s;
    s.scenario = scenarios[i];
    s.verdict = verdicts[i];
    s.max_points = i == 0 ? 2 : 1;
    s.points = s.verdict == "pass" ? s.max_points : 0;
    s.finding = s.verdict == "pass" ? "" : "steps[2] expect converged: Bona lacks \"AT x\"";
    g.scenarios.push_back(s);
  }
  return g;
}

}  // namespace

TEST_CASE("a grade table is the same whatever order its rows come in") {
  auto a = submission("alice", {"pass", "pass", "pass"});
  auto b = submission("bob", {"fail", "pass", "inconclusive"});
  auto c = submission("carol", {"pass", "fail", "skipped"});
  auto one = make_grade_table({a, b, c});
  auto other = make_grade_table({c, a, b});
  CHECK(grades_csv(one) == grades_csv(other));
  CHECK(one.scenarios ==
        std::vector<std::string>{"course-grader", "equal-timestamps", "partition-heal"});
  auto csv = grades_csv(one);
  CHECK(csv.find("submission,score,max_score,course-grader,equal-timestamps,partition-heal,") == 0);
  CHECK(csv.find("\nalice,4,4,pass,pass,pass,\n") != std::string::npos);
  CHECK(csv.find("\nbob,1,4,pass,inconclusive,fail,\"partition-heal: ") != std::string::npos);
  // Through its log line and back, a row is the same row.
  auto back = parse_graded_line(graded_line(b, {1, 3}));
  REQUIRE(back);
  CHECK(grades_csv(make_grade_table({a, *back, c})) == csv);
}

TEST_CASE("a submission graded twice keeps its later grading, with a note") {
  auto first = submission("bob", {"fail", "fail", "fail"});
  auto second = submission("bob", {"pass", "pass", "pass"});
  auto table = make_grade_table({first, second});
  REQUIRE(table.rows.size() == 1);
  CHECK(table.rows.front().score() == 4);
  REQUIRE(table.notes.size() == 1);
}

TEST_CASE("herd-made text cannot become a formula, a column or markup in the grades") {
  auto evil = submission("eve", {"fail", "pass", "pass"});
  evil.scenarios[0].finding = "=HYPERLINK(\"http://x\"),<script>alert(1)</script>'\n";
  evil.name = "eve<b>";
  auto table = make_grade_table({evil});
  auto csv = grades_csv(table);
  CHECK(csv.find("<b>") != std::string::npos);  // a CSV is not HTML; the name stays as it is
  CHECK(csv.find(",\"partition-heal: =HYPERLINK") != std::string::npos);
  evil.scenarios[0].scenario = "-x";  // a finding's line starting with a formula sign
  auto page = grades_html(make_grade_table({evil}));
  CHECK(page.find("<script>") == std::string::npos);
  CHECK(page.find("&lt;script&gt;") != std::string::npos);
  CHECK(page.find("eve<b>") == std::string::npos);
  auto row = evil;
  row.name = "=cmd";
  CHECK(grades_csv(make_grade_table({row})).find("\n'=cmd,") != std::string::npos);
}

TEST_CASE("results.json is Gradescope's shape: score, and a test per scenario") {
  auto graded = submission("bob", {"fail", "pass", "inconclusive"});
  auto results = nlohmann::json::parse(gradescope_results(graded));
  CHECK(results["score"] == 1.0);
  REQUIRE(results["tests"].size() == 3);
  for (const auto& test : results["tests"]) {
    CHECK(test["name"].is_string());
    CHECK(test["score"].is_number());
    CHECK(test["max_score"].is_number());
    CHECK(test["output"].is_string());
    CHECK((test["status"] == "passed" || test["status"] == "failed"));
  }
  CHECK(results["tests"][0]["max_score"] == 2.0);
  CHECK(results["tests"][0]["status"] == "failed");
  CHECK(results["tests"][1]["status"] == "passed");
  CHECK(results["tests"][2]["output"].get<std::string>().find("not a finding about your herd") !=
        std::string::npos);
}

TEST_CASE("a scenario's points are read, checked and written back") {
  auto text = R"({"name": "t", "points": 2.5, "steps": [{"do": "wait", "ms": 1}]})";
  auto parsed = parse_scenario(text, "t.json");
  REQUIRE(parsed);
  CHECK(parsed->points == 2.5);
  auto again = parse_scenario(scenario_to_json(*parsed), "again.json");
  REQUIRE(again);
  CHECK(again->points == 2.5);
  auto bad = parse_scenario(R"({"name": "t", "points": -1, "steps": []})", "t.json");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().find("points") != std::string::npos);
  auto plain = parse_scenario(R"({"name": "t", "steps": []})", "t.json");
  REQUIRE(plain);
  CHECK(plain->points == 1);
  CHECK(scenario_to_json(*plain).find("points") == std::string::npos);
}
