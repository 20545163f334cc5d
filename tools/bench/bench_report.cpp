#include "tools/bench/bench_report.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "tools/bench/bench_context.hpp"

namespace herd::bench {
namespace {

void print_json(const BenchContext& bench, std::ostream& out) {
  nlohmann::json figures = nlohmann::json::array();
  for (const auto& f : bench.figures()) {
    nlohmann::json j = {
        {"section", f.section}, {"name", f.name}, {"unit", f.unit}, {"value", f.value}};
    if (f.baseline != 0)
      j["baseline"] = {
          {"name", f.baseline_name}, {"value", f.baseline}, {"ratio", f.value / f.baseline}};
    if (!f.target.empty()) j["target"] = f.target;
    figures.push_back(j);
  }
  out << nlohmann::json{{"quick", bench.quick()}, {"figures", figures}}.dump(2) << "\n";
}

void print_table(const BenchContext& bench, std::ostream& out) {
  char line[256];
  std::snprintf(line, sizeof line, "%-48s %12s %-6s %12s %-20s %7s  %s\n", "measure", "value",
                "unit", "baseline", "(baseline is)", "ratio", "target");
  out << line;
  for (const auto& f : bench.figures()) {
    char ratio[32] = "";
    if (f.baseline != 0) std::snprintf(ratio, sizeof ratio, "%.2f", f.value / f.baseline);
    char value[32], base[32] = "";
    std::snprintf(value, sizeof value, "%.2f", f.value);
    if (f.baseline != 0) std::snprintf(base, sizeof base, "%.2f", f.baseline);
    std::snprintf(line, sizeof line, "%-48s %12s %-6s %12s %-20s %7s  %s\n", f.name.c_str(), value,
                  f.unit.c_str(), base, f.baseline_name.c_str(), ratio, f.target.c_str());
    out << line;
  }
}

// Latency against load: p50 and p99 of the lone node and of echo, by connection count.
void write_svg(const std::vector<LatencyPoint>& curve, const std::string& path) {
  constexpr double w = 640, h = 360, left = 60, bottom = 40, top = 30, right = 150;
  double max_us = 1;
  for (const auto& c : curve) max_us = std::max({max_us, c.echo.p99_us, c.node.p99_us});
  auto x = [&](std::size_t i) {
    return left +
           (w - left - right) * (curve.size() < 2 ? 0.5 : double(i) / double(curve.size() - 1));
  };
  auto y = [&](double us) { return h - bottom - (h - bottom - top) * us / max_us; };
  std::string svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"360\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"10\" y=\"18\" font-size=\"13\">IAMAT latency against load: lone node vs line "
      "echo</text>\n";
  char buf[256];
  std::snprintf(buf, sizeof buf, "<text x=\"5\" y=\"%.0f\">%.0f us</text>\n", top + 4, max_us);
  svg += buf;
  struct Series {
    const char* name;
    const char* colour;
    bool dashed;
    double (*pick)(const LatencyPoint&);
  };
  const Series series[] = {
      {"node p50", "#3a6ea5", false, [](const LatencyPoint& p) { return p.node.p50_us; }},
      {"node p99", "#3a6ea5", true, [](const LatencyPoint& p) { return p.node.p99_us; }},
      {"echo p50", "#888", false, [](const LatencyPoint& p) { return p.echo.p50_us; }},
      {"echo p99", "#888", true, [](const LatencyPoint& p) { return p.echo.p99_us; }},
  };
  int row = 0;
  for (const auto& s : series) {
    std::string points;
    for (std::size_t i = 0; i < curve.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ", x(i), y(s.pick(curve[i])));
      points += buf;
    }
    svg += std::string("<polyline fill=\"none\" stroke=\"") + s.colour + "\" stroke-width=\"2\"" +
           (s.dashed ? " stroke-dasharray=\"5,3\"" : "") + " points=\"" + points + "\"/>\n";
    std::snprintf(buf, sizeof buf, "<text x=\"%.0f\" y=\"%d\" fill=\"%s\">%s</text>\n",
                  w - right + 10, 50 + 16 * row++, s.colour, s.name);
    svg += buf;
  }
  for (std::size_t i = 0; i < curve.size(); ++i) {
    std::snprintf(buf, sizeof buf,
                  "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%d conn</text>\n", x(i),
                  h - 15, curve[i].connections);
    svg += buf;
  }
  svg += "</svg>\n";
  std::ofstream(path) << svg;
}

}  // namespace

void report(const BenchContext& bench) {
  const auto& options = bench.options();
  if (options.json)
    print_json(bench, *options.out);
  else
    print_table(bench, *options.out);
  if (!options.svg_path.empty() && bench.wanted("iamat"))
    write_svg(bench.latency_curve(), options.svg_path);
}

}  // namespace herd::bench
