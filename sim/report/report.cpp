#include "sim/report/report.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

namespace herd {
namespace {

using nlohmann::json;

std::string fixed(double v, int digits = 1) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

bool is_fault(StepKind k) {
  return role_of(k) == StepRole::fault;
}

bool is_repair(StepKind k) {
  return role_of(k) == StepRole::repair;
}

}  // namespace

std::string summary_text(const RunResult& run) {
  const auto& m = run.metrics;
  std::string out;
  if (!run.setup_error.empty()) return "  could not start: " + run.setup_error + "\n";
  std::size_t failed =
      std::count_if(run.steps.begin(), run.steps.end(), [](auto& s) { return !s.ok; });
  bool on_virtual = run.network == NetworkKind::virtual_;
  out += "  " + std::string(run.passed ? "PASS" : "FAIL") + " in " + fixed(run.duration_s, 2) +
         " s" +
         (on_virtual ? " (" + fixed(run.simulated_s, 3) + " s simulated on the virtual network)"
                     : std::string()) +
         ", " + std::to_string(run.steps.size() - failed) + "/" + std::to_string(run.steps.size()) +
         " steps ok (" + (run.scenario.classic ? "classic" : "anti-entropy") + ", seed " +
         std::to_string(run.scenario.seed) + ")\n";
  out += "  updates: " + std::to_string(m.updates) + " accepted, " +
         std::to_string(m.fully_spread) + " reached all " + std::to_string(run.servers.size()) +
         " servers; accept to last server p50 " + fixed(m.converge_p50_ms, 2) + " ms, p99 " +
         fixed(m.converge_p99_ms, 2) + " ms, max " + fixed(m.converge_max_ms, 2) + " ms\n";
  out += "  cost: " + std::to_string(m.at_messages) + " AT messages on links, " +
         fixed(m.messages_per_update, 2) + " per update; " + std::to_string(m.stale_dropped) +
         " stale dropped; peak link queue " + std::to_string(m.peak_queue_bytes) +
         " bytes; links up " + std::to_string(m.link_ups) + ", down " +
         std::to_string(m.link_downs) + "\n";
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
      {"duration_s", run.duration_s},
      {"network", on_virtual ? "virtual" : "real"},
      {"simulated_s", run.simulated_s},
      {"messages_between_servers", run.messages.size()},
      {"steps", steps},
      {"metrics",
       {{"updates", m.updates},
        {"updates_reaching_every_server", m.fully_spread},
        {"converge_ms",
         {{"p50", m.converge_p50_ms}, {"p99", m.converge_p99_ms}, {"max", m.converge_max_ms}}},
        {"at_messages", m.at_messages},
        {"messages_per_update", m.messages_per_update},
        {"stale_dropped", m.stale_dropped},
        {"peak_link_queue_bytes", m.peak_queue_bytes},
        {"link_ups", m.link_ups},
        {"link_downs", m.link_downs}}},
  };
  if (!run.setup_error.empty()) report["setup_error"] = run.setup_error;
  return report.dump(2) + "\n";
}

std::string timeline_svg(const RunResult& run) {
  constexpr double left = 110, right = 30, top = 60, lane = 46, width = 1400;
  // A little room after the last step, so its marks and labels stay inside the picture.
  const double end_s =
      1.05 * std::max(0.001, run.steps.empty() ? run.duration_s : run.steps.back().finished_s);
  const double plot = width - left - right;
  std::map<std::string, double> lane_y;
  for (std::size_t i = 0; i < run.servers.size(); ++i)
    lane_y[run.servers[i]] = top + lane * (static_cast<double>(i) + 0.5);
  const double height = top + lane * static_cast<double>(run.servers.size()) + 40;
  auto x = [&](double seconds) { return left + plot * std::clamp(seconds / end_s, 0.0, 1.0); };

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fixed(width, 0) +
                    "\" height=\"" + fixed(height, 0) +
                    "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  svg +=
      "<defs><marker id=\"a\" viewBox=\"0 0 6 6\" refX=\"6\" refY=\"3\" markerWidth=\"5\" "
      "markerHeight=\"5\" "
      "orient=\"auto\"><path d=\"M0,0 L6,3 L0,6 z\" fill=\"#3a6ea5\"/></marker></defs>\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">" +
         xml_escape(run.scenario.name) + " (" +
         (run.scenario.classic ? "classic" : "anti-entropy") + ", " +
         (run.passed ? "passed" : "FAILED") + ")</text>\n";
  svg +=
      "<text x=\"10\" y=\"38\" fill=\"#555\">arrows: AT messages between servers, each from "
      "its own send to its own arrival (red stubs: lost to a fault, grey: on its way at the end); "
      "dots: updates accepted from clients; red lines: faults, green: repairs; x axis: " +
      fixed(end_s, 2) + " s</text>\n";
  for (const auto& [name, y] : lane_y) {
    svg += "<line x1=\"" + fixed(left) + "\" y1=\"" + fixed(y) + "\" x2=\"" + fixed(width - right) +
           "\" y2=\"" + fixed(y) + "\" stroke=\"#ccc\"/>\n";
    svg += "<text x=\"10\" y=\"" + fixed(y + 4) + "\">" + xml_escape(name) + "</text>\n";
  }
  for (const auto& step : run.steps) {
    if (!is_fault(step.kind) && !is_repair(step.kind)) continue;
    auto colour = is_fault(step.kind) ? "#c0392b" : "#27ae60";
    auto px = x(step.started_s);
    svg += "<line x1=\"" + fixed(px) + "\" y1=\"" + fixed(top - 8) + "\" x2=\"" + fixed(px) +
           "\" y2=\"" + fixed(height - 40) + "\" stroke=\"" + colour +
           "\" stroke-dasharray=\"4,3\"/>\n";
    bool near_right = px > width - right - 300;
    svg += "<text x=\"" + fixed(near_right ? px - 2 : px + 2) + "\" y=\"" +
           fixed(height - 26 + 12 * static_cast<double>(step.index % 2)) + "\" fill=\"" + colour +
           "\"" + (near_right ? " text-anchor=\"end\"" : "") + ">" + xml_escape(step.description) +
           "</text>\n";
  }
  for (const auto& e : run.events)
    if (e.kind == EventKind::update_stored && e.text.find("AT " + e.node + " ") == 0 &&
        lane_y.count(e.node))
      svg += "<circle cx=\"" + fixed(x(static_cast<double>(e.time_ns) / 1e9)) + "\" cy=\"" +
             fixed(lane_y[e.node]) + "\" r=\"3\" fill=\"#222\"><title>" + xml_escape(e.text) +
             "</title></circle>\n";
  // Each message is drawn from its own send to its own arrival: the runner matched them by
  // connection and place on it, never by text. One that never arrived gets a short red stub.
  // Capped so that a long run still opens in a browser.
  std::size_t arrows = 0;
  // A stub, not an arrow, for a message that never arrived: red when a fault lost it, grey when
  // it was still on its way as the run ended.
  enum class Fate { delivered, lost, unfinished };
  auto arrow = [&](const std::string& from, double t1, const std::string& to, double t2, Fate fate,
                   const std::string& text) {
    if (arrows++ >= 4000) return;
    bool stub = fate != Fate::delivered;
    double y1 = lane_y[from], y2 = lane_y[to];
    double x2 = stub ? x(t1) + 6 : x(t2), yy2 = stub ? y1 + (y2 - y1) * 0.25 : y2;
    const char* colour = fate == Fate::delivered ? "#3a6ea5"
                         : fate == Fate::lost    ? "#c0392b"
                                                 : "#999999";
    svg += "<line x1=\"" + fixed(x(t1)) + "\" y1=\"" + fixed(y1) + "\" x2=\"" + fixed(x2) +
           "\" y2=\"" + fixed(yy2) + "\" stroke=\"" + colour + "\" stroke-opacity=\"0.6\"" +
           (stub ? "" : " marker-end=\"url(#a)\"") + "><title>" + xml_escape(text) +
           "</title></line>\n";
  };
  for (const auto& m : run.messages) {
    if (!m.line.starts_with("AT ") || !lane_y.count(m.from) || !lane_y.count(m.to)) continue;
    double sent = static_cast<double>(m.sent_ns) / 1e9;
    if (m.delivered_ns)
      arrow(m.from, sent, m.to, static_cast<double>(*m.delivered_ns) / 1e9, Fate::delivered,
            m.id + ": " + m.line);
    else if (m.dropped.empty() || m.dropped == "end of run")
      arrow(m.from, sent, m.to, sent, Fate::unfinished,
            m.id + " (on its way when the run ended): " + m.line);
    else
      arrow(m.from, sent, m.to, sent, Fate::lost, m.id + " (lost: " + m.dropped + "): " + m.line);
  }
  for (const auto& e : run.events) {
    if ((e.kind != EventKind::link_down && e.kind != EventKind::link_up) || !lane_y.count(e.node))
      continue;
    bool down = e.kind == EventKind::link_down;
    svg += "<text x=\"" + fixed(x(static_cast<double>(e.time_ns) / 1e9) - 3) + "\" y=\"" +
           fixed(lane_y[e.node] - 8) + "\" fill=\"" + (down ? "#c0392b" : "#27ae60") + "\">" +
           (down ? "v" : "^") + "<title>" +
           xml_escape(e.node + (down ? " link down to " : " link up to ") + e.peer) +
           "</title></text>\n";
  }
  svg += "</svg>\n";
  return svg;
}

ReportFiles write_reports(const RunResult& run, const std::string& dir) {
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
  svg_file << timeline_svg(run);
  if (!json_file || !svg_file) files.error = "cannot write the report files in " + dir;
  return files;
}

}  // namespace herd
