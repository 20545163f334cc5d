#include "sim/report/report.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "sim/report/svg_text.hpp"
#include "sim/workload/client_work.hpp"

namespace herd {
namespace {

using nlohmann::json;

std::vector<std::string> finding_texts(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) out.push_back(f.text);
  return out;
}

}  // namespace

std::string verdict_word(const RunResult& run) {
  return run.passed ? "PASS" : run.inconclusive ? "INCONCLUSIVE" : "FAIL";
}

std::string first_finding(const RunResult& run) {
  if (!run.skipped.empty()) return "skipped: " + run.skipped;
  if (!run.setup_error.empty()) return "could not start: " + run.setup_error;
  // A failed step before an inconclusive one: the definite finding first.
  for (bool want_inconclusive : {false, true})
    for (const auto& s : run.steps)
      if (!s.ok && s.inconclusive == want_inconclusive)
        return "steps[" + std::to_string(s.index) + "] " + s.description + ": " + s.message;
  return {};
}

std::string run_table(const std::vector<RunRow>& rows, const std::vector<Finding>& conformance) {
  std::size_t width = 8;
  for (const auto& r : rows) width = std::max(width, r.scenario.size());
  auto pad = [](std::string text, std::size_t n) {
    if (text.size() < n) text.append(n - text.size(), ' ');
    return text;
  };
  std::string out = pad("scenario", width) + "  " + pad("checks", 16) + "  " + pad("verdict", 12) +
                    "  first finding\n";
  for (const auto& r : rows) {
    // A reply's bytes come from the herd: escaped, so no control byte reaches the terminal.
    auto finding = printable(r.first_finding.substr(0, r.first_finding.find('\n')));
    if (finding.size() > 140) finding = finding.substr(0, 137) + "...";
    out += pad(r.scenario, width) + "  " +
           pad(r.beyond_course ? "beyond course" : "course minimum", 16) + "  " +
           pad(r.verdict, 12) + "  " + finding + "\n";
  }
  if (!conformance.empty()) {
    out +=
        "conformance findings (how the replies differ from SPEC.md; no verdict rests on them):\n";
    for (const auto& c : conformance) out += "  - " + printable(c.text) + "\n";
  }
  return out;
}

std::string summary_text(const RunResult& run) {
  const auto& m = run.metrics;
  std::string out;
  if (!run.skipped.empty()) return "  skipped: " + run.skipped + "\n";
  if (!run.setup_error.empty()) return "  could not start: " + run.setup_error + "\n";
  std::size_t failed =
      std::count_if(run.steps.begin(), run.steps.end(), [](auto& s) { return !s.ok; });
  bool on_virtual = run.network == NetworkKind::virtual_;
  out += "  " + verdict_word(run) + " in " + fixed(run.duration_s, 2) + " s" +
         (on_virtual ? " (" + fixed(run.simulated_s, 3) + " s simulated on the virtual network)"
                     : std::string()) +
         ", " + std::to_string(run.steps.size() - failed) + "/" + std::to_string(run.steps.size()) +
         " steps ok (" + (run.scenario.classic ? "classic" : "anti-entropy") + ", seed " +
         std::to_string(run.scenario.seed) + ")\n";
  for (const auto& finding : run.findings) out += "  conformance: " + finding.text + "\n";
  if (run.black_box) {
    out += "  seen from outside: " + std::to_string(m.updates) + " updates accepted, " +
           std::to_string(m.at_messages) + " AT messages through the link proxies, " +
           fixed(m.messages_per_update, 2) + " per update" +
           (m.at_messages == 0
                ? std::string(
                      " (none seen: with --herd-ports and --herd-net shared there are no proxies)")
                : std::string()) +
           "\n";
    return out;
  }
  out += "  updates: " + std::to_string(m.updates) + " accepted, " +
         std::to_string(m.fully_spread) + " reached all " + std::to_string(run.servers.size()) +
         " servers; accept to last server p50 " + fixed(m.converge_p50_ms, 2) + " ms, p99 " +
         fixed(m.converge_p99_ms, 2) + " ms, max " + fixed(m.converge_max_ms, 2) + " ms\n";
  out += "  cost: " + std::to_string(m.at_messages) + " AT messages on links (" +
         std::to_string(m.at_bytes) + " bytes), " + fixed(m.messages_per_update, 2) +
         " per update" +
         (m.sync_messages == 0 ? std::string()
                               : "; reconciliation " + std::to_string(m.sync_messages) +
                                     " messages, " + std::to_string(m.sync_bytes) + " bytes") +
         "; " + std::to_string(m.stale_dropped) + " stale dropped; peak link queue " +
         std::to_string(m.peak_queue_bytes) + " bytes; links up " + std::to_string(m.link_ups) +
         ", down " + std::to_string(m.link_downs) + "\n";
  return out;
}

std::string report_json(const RunResult& run) {
  json steps = json::array();
  for (const auto& s : run.steps)
    steps.push_back({{"index", s.index},
                     {"do", to_string(s.kind)},
                     {"description", s.description},
                     {"started_s", s.started_s},
                     {"finished_s", s.finished_s},
                     {"ok", s.ok},
                     {"inconclusive", s.inconclusive},
                     {"message", s.message}});
  const auto& m = run.metrics;
  const bool on_virtual = run.network == NetworkKind::virtual_;
  json report = {
      {"scenario", run.scenario.name},
      {"description", run.scenario.description},
      {"source", run.scenario.source},
      {"mode", run.scenario.classic ? "classic" : "anti-entropy"},
      {"seed", run.scenario.seed},
      {"servers", run.servers},
      {"passed", run.passed},
      {"verdict", run.passed         ? "passed"
                  : run.inconclusive ? "inconclusive"
                                     : "failed"},
      {"checks", run.scenario.beyond_course ? "beyond" : "course"},
      {"conformance_findings", finding_texts(run.findings)},
      {"duration_s", run.duration_s},
      {"network", on_virtual ? "virtual" : "real"},
      {"simulated_s", run.simulated_s},
      {"messages_between_servers", std::max(run.messages_sent, run.messages.size())},
      {"steps", steps},
      {"metrics",
       {{"updates", m.updates},
        {"updates_reaching_every_server", m.fully_spread},
        {"converge_ms",
         {{"p50", m.converge_p50_ms}, {"p99", m.converge_p99_ms}, {"max", m.converge_max_ms}}},
        {"at_messages", m.at_messages},
        {"at_bytes", m.at_bytes},
        {"sync_messages", m.sync_messages},
        {"sync_bytes", m.sync_bytes},
        {"messages_per_update", m.messages_per_update},
        {"stale_dropped", m.stale_dropped},
        {"peak_link_queue_bytes", m.peak_queue_bytes},
        {"link_ups", m.link_ups},
        {"link_downs", m.link_downs}}},
  };
  if (!run.setup_error.empty()) report["setup_error"] = run.setup_error;
  return report.dump(2) + "\n";
}

ReportFiles write_reports(const RunResult& run, const std::string& dir, std::size_t timeline_max) {
  ReportFiles files;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    files.error = "cannot create " + dir + ": " + ec.message();
    return files;
  }
  std::string base = (std::filesystem::path(dir) / run.scenario.name).string();
  files.report_path = base + ".report.json";
  files.timeline_path = base + ".timeline.svg";
  if (!run.scenario.source.empty()) {
    for (const auto& path : {files.report_path, files.timeline_path}) {
      if (std::filesystem::equivalent(path, run.scenario.source, ec)) {
        files.error = path + " is the scenario file itself; it is left as it is";
        return files;
      }
    }
  }
  std::ofstream json_file(files.report_path), svg_file(files.timeline_path);
  json_file << report_json(run);
  svg_file << timeline_svg(run, timeline_max);
  if (!json_file || !svg_file) files.error = "cannot write the report files in " + dir;
  return files;
}

}  // namespace herd
