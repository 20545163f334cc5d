#include "sim/campaign/grade_table.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "sim/campaign/campaign_merge.hpp"
#include "sim/report/svg_text.hpp"

namespace herd {
namespace {

using nlohmann::json;

std::string dump(const json& value, int indent = -1) {
  // A herd's reply may hold any byte: replaced, so the file stays valid UTF-8.
  return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string points_text(double points) {
  if (points == std::floor(points) && std::abs(points) < 1e15)
    return std::to_string(static_cast<long long>(points));
  return fixed(points, 2);
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

std::string csv_cell(std::string text) {
  // A spreadsheet runs a cell that starts with one of these as a formula: a finding is herd-made.
  if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos)
    text.insert(0, "'");
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string html(std::string_view text) {
  std::string out;
  for (char c : xml_escape(text)) {
    if (c == '\'')
      out += "&#39;";
    else
      out += c;
  }
  return out;
}

const GradedScenario* cell(const GradedSubmission& row, const std::string& scenario) {
  for (const auto& s : row.scenarios)
    if (s.scenario == scenario) return &s;
  return nullptr;
}

// A failure before what could not be judged or run: the herd's own finding first.
std::string first_finding(const GradedSubmission& row) {
  for (bool failures : {true, false})
    for (const auto& s : row.scenarios)
      if (s.verdict != "pass" && (s.verdict == "fail") == failures)
        return s.scenario + ": " + first_line(s.finding);
  return "";
}

}  // namespace

double GradedSubmission::score() const {
  double total = 0;
  for (const auto& s : scenarios) total += s.points;
  return total;
}

double GradedSubmission::max_score() const {
  double total = 0;
  for (const auto& s : scenarios) total += s.max_points;
  return total;
}

std::string graded_line(const GradedSubmission& graded, const Shard& shard) {
  json scenarios = json::array();
  for (const auto& s : graded.scenarios)
    scenarios.push_back({{"scenario", s.scenario},
                         {"verdict", s.verdict},
                         {"points", s.points},
                         {"max_points", s.max_points},
                         {"finding", s.finding},
                         {"report", s.report},
                         {"seconds", s.seconds}});
  return dump({{"submission", graded.name},
               {"path", graded.path},
               {"shard", shard.text()},
               {"scenarios", scenarios}}) +
         "\n";
}

Expected<GradedSubmission> parse_graded_line(std::string_view text) {
  json line;
  try {
    line = json::parse(text);
  } catch (const json::exception& e) {
    return fail(std::string("not JSON: ") + e.what());
  }
  if (!line.is_object() || !line.contains("submission") || !line["submission"].is_string() ||
      !line.contains("scenarios") || !line["scenarios"].is_array())
    return fail("expected an object with submission (text) and scenarios (an array)");
  GradedSubmission out;
  out.name = line["submission"].get<std::string>();
  if (line.contains("path") && line["path"].is_string()) out.path = line["path"].get<std::string>();
  for (const auto& s : line["scenarios"]) {
    if (!s.is_object() || !s.contains("scenario") || !s["scenario"].is_string() ||
        !s.contains("verdict") || !s["verdict"].is_string())
      return fail("scenarios: each needs scenario and verdict (text)");
    GradedScenario g;
    g.scenario = s["scenario"].get<std::string>();
    g.verdict = s["verdict"].get<std::string>();
    if (g.verdict != "pass" && g.verdict != "fail" && g.verdict != "inconclusive" &&
        g.verdict != "skipped")
      return fail("verdict: expected pass, fail, inconclusive or skipped, got \"" + g.verdict +
                  "\"");
    for (auto [key, field] :
         {std::pair{"points", &g.points}, {"max_points", &g.max_points}, {"seconds", &g.seconds}})
      if (s.contains(key)) {
        if (!s[key].is_number()) return fail(std::string(key) + ": expected a number");
        *field = s[key].get<double>();
      }
    for (auto [key, field] : {std::pair{"finding", &g.finding}, {"report", &g.report}})
      if (s.contains(key) && s[key].is_string()) *field = s[key].get<std::string>();
    out.scenarios.push_back(std::move(g));
  }
  return out;
}

std::string grade_log_name(const Shard& shard) {
  return std::string(grade_log_prefix) + "shard-" + std::to_string(shard.index) + "-of-" +
         std::to_string(shard.count) + ".jsonl";
}

GradeTable make_grade_table(std::vector<GradedSubmission> rows, std::vector<std::string> notes) {
  GradeTable table;
  table.notes = std::move(notes);
  // A submission graded twice (a shard run again): the later line wins, and a note says so.
  std::map<std::string, GradedSubmission> by_name;
  for (auto& row : rows) {
    if (by_name.count(row.name))
      table.notes.push_back(row.name + " was graded twice; the later grading is kept");
    by_name[row.name] = std::move(row);
  }
  std::map<std::string, bool> columns;
  for (auto& [name, row] : by_name) {
    std::sort(row.scenarios.begin(), row.scenarios.end(),
              [](const auto& a, const auto& b) { return a.scenario < b.scenario; });
    for (const auto& s : row.scenarios) columns[s.scenario] = true;
    table.rows.push_back(std::move(row));
  }
  for (const auto& [name, unused] : columns) table.scenarios.push_back(name);
  return table;
}

Expected<GradeTable> merge_grade_logs(const std::vector<std::string>& paths) {
  std::vector<GradedSubmission> rows;
  std::vector<std::string> notes;
  auto files = visit_jsonl_lines(
      paths, grade_log_prefix,
      [&](const std::string& file, std::size_t number, std::string_view line) {
        auto row = parse_graded_line(line);
        if (row)
          rows.push_back(std::move(*row));
        else
          notes.push_back(file + ":" + std::to_string(number) + ": skipped, " + row.error());
      });
  if (!files) return files.failure();
  if (rows.empty())
    return fail("no grades in the folders given (" + std::to_string(*files) +
                " grades-*.jsonl files); each grading shard writes them into its --report-dir");
  return make_grade_table(std::move(rows), std::move(notes));
}

std::string grades_csv(const GradeTable& table) {
  std::string out = "submission,score,max_score";
  for (const auto& s : table.scenarios) out += "," + csv_cell(s);
  out += ",first finding\n";
  for (const auto& row : table.rows) {
    out += csv_cell(row.name) + "," + points_text(row.score()) + "," + points_text(row.max_score());
    for (const auto& s : table.scenarios) {
      const auto* c = cell(row, s);
      out += "," + std::string(c ? c->verdict : "not run");
    }
    out += "," + csv_cell(first_finding(row)) + "\n";
  }
  return out;
}

std::string grades_html(const GradeTable& table) {
  std::string out =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Herd grades</title>"
      "<style>body{font:16px/1.4 system-ui,sans-serif;margin:1.5em;color:#111}"
      "table{border-collapse:collapse}th,td{border:1px solid #bbb;padding:.3em .6em;"
      "text-align:left;vertical-align:top}th{background:#eee}"
      ".pass{background:#d9f2d9}.fail{background:#f8d0d0}.inconclusive{background:#fbeec2}"
      ".skipped{background:#e4e4e4}td.num{text-align:right}"
      "li{margin:.2em 0}code{white-space:pre-wrap}</style></head><body>\n"
      "<h1>Herd grades</h1>\n<p>" +
      std::to_string(table.rows.size()) + " submissions, " +
      std::to_string(table.scenarios.size()) +
      " scenarios. pass and fail are the herd's; inconclusive means the harness could not "
      "judge (a server it could not read), which is not a finding about the herd.</p>\n"
      "<table>\n<tr><th>submission</th><th>score</th>";
  for (const auto& s : table.scenarios) out += "<th>" + html(s) + "</th>";
  out += "</tr>\n";
  for (const auto& row : table.rows) {
    out += "<tr><th id=\"" + html(row.name) + "\">" + html(row.name) + "</th><td class=\"num\">" +
           points_text(row.score()) + " / " + points_text(row.max_score()) + "</td>";
    for (const auto& s : table.scenarios) {
      const auto* c = cell(row, s);
      auto verdict = c ? c->verdict : std::string("not run");
      out += "<td class=\"" + html(verdict) + "\">" + html(verdict) + "</td>";
    }
    out += "</tr>\n";
  }
  out += "</table>\n";
  bool any = false;
  for (const auto& row : table.rows)
    for (const auto& s : row.scenarios) {
      if (s.verdict == "pass") continue;
      if (!any) out += "<h2>What failed</h2>\n<ul>\n";
      any = true;
      out += "<li><b>" + html(row.name) + "</b>, " + html(s.scenario) + " (" + html(s.verdict) +
             "): <code>" + html(s.finding) + "</code>" +
             (s.report.empty() ? "" : " (report: " + html(s.report) + ")") + "</li>\n";
    }
  if (any) out += "</ul>\n";
  if (!table.notes.empty()) {
    out += "<h2>Notes</h2>\n<ul>\n";
    for (const auto& note : table.notes) out += "<li>" + html(note) + "</li>\n";
    out += "</ul>\n";
  }
  return out + "</body></html>\n";
}

std::string gradescope_results(const GradedSubmission& graded) {
  json tests = json::array();
  double seconds = 0;
  for (const auto& s : graded.scenarios) {
    seconds += s.seconds;
    std::string output = s.verdict == "pass" ? "passed"
                         : s.verdict == "inconclusive"
                             ? "inconclusive: the harness could not judge this run, "
                               "which is not a finding about your herd (ask the course "
                               "staff): " +
                                   s.finding
                             : s.verdict + ": " + s.finding;
    tests.push_back({{"name", s.scenario},
                     {"score", s.points},
                     {"max_score", s.max_points},
                     {"status", s.verdict == "pass" ? "passed" : "failed"},
                     {"output", output},
                     {"visibility", "visible"}});
  }
  json results = {{"score", graded.score()},
                  {"execution_time", static_cast<long long>(std::ceil(seconds))},
                  {"output", "Herd ran " + std::to_string(graded.scenarios.size()) +
                                 " scenarios against your herd's servers."},
                  {"tests", tests}};
  return dump(results, 2) + "\n";
}

Expected<void> write_grade_table(const GradeTable& table, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail("cannot make " + dir + ": " + ec.message());
  for (auto [name, text] :
       {std::pair{"grades.csv", grades_csv(table)}, std::pair{"grades.html", grades_html(table)}}) {
    auto path = (std::filesystem::path(dir) / name).string();
    std::ofstream file(path);
    file << text;
    file.close();
    if (!file) return fail("cannot write " + path);
  }
  return {};
}

}  // namespace herd
