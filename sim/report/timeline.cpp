// The swim-lane timeline: one lane per server in the topology's order, each update's messages in
// a colour of their own from send to arrival, and every mark explained in a legend.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <map>
#include <numbers>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/location_store.hpp"
#include "core/stable_hash.hpp"
#include "sim/report/report.hpp"
#include "sim/report/svg_text.hpp"

namespace herd {
namespace {

// A line as one server received it, for telling which arrival stored it.
struct ServerLine {
  std::string_view server, line;
  bool operator==(const ServerLine&) const = default;
};
struct ServerLineHash {
  std::size_t operator()(const ServerLine& key) const {
    std::hash<std::string_view> hash;
    return hash(key.server) * 31 + hash(key.line);
  }
};

// Servers in the order a walk of the topology meets them (breadth first from the first), so that
// neighbours sit near each other and a ring reads as a ring.
std::vector<std::string> lane_order(const RunResult& run) {
  const auto& topology = run.scenario.topology;
  std::vector<std::string> order;
  std::set<std::string> seen;
  for (const auto& start : run.servers) {
    if (seen.count(start)) continue;
    std::deque<std::string> queue{start};
    seen.insert(start);
    while (!queue.empty()) {
      auto name = queue.front();
      queue.pop_front();
      order.push_back(name);
      for (const auto& next : topology.neighbours(name))
        if (seen.insert(next).second) queue.push_back(next);
    }
  }
  return order;
}

// One colour per update, the same in every picture of it: a hue from the update's client and
// its client time, which name it.
std::string update_colour(std::string_view at_line) {
  std::uint64_t key = stable_hash(at_line);
  RecordView record;
  if (record_from_at_line(at_line, record)) {
    auto time = at_line.substr(at_line.rfind(' ') + 1);
    key = stable_hash(std::string(record.client()) + " " + std::string(time));
  }
  return "hsl(" + std::to_string(key % 360) + ",70%,42%)";
}

// A tick step of 1, 2 or 5 times a power of ten that gives about `wanted` ticks.
double tick_step(double span_s, int wanted) {
  double raw = span_s / wanted;
  double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) return m * power;
  return 10 * power;
}

std::string time_label(double seconds, double step) {
  if (step < 1) return fixed(seconds * 1000, step < 0.001 ? 2 : 0) + " ms";
  return fixed(seconds, step < 10 ? 1 : 0) + " s";
}

// Where a moment goes on the axis: stretches with something happening at full scale, and idle
// stretches longer than a twentieth of the run squeezed to a short break, so that a flood in the
// first milliseconds of a ten-second run is not one pixel wide.
class TimeAxis {
 public:
  struct Segment {
    double t0, t1, x0, x1;
    bool idle;
  };

  TimeAxis(std::vector<double> moments, double end_s, double left, double plot) {
    moments.push_back(0);
    moments.push_back(end_s);
    std::sort(moments.begin(), moments.end());
    const double gap = end_s / 20, pad = gap / 5;
    std::vector<std::pair<double, double>> busy;  // stretches with something happening
    for (double t : moments) {
      t = std::clamp(t, 0.0, end_s);
      if (!busy.empty() && t - busy.back().second <= gap)
        busy.back().second = t;
      else
        busy.emplace_back(t, t);
    }
    for (auto& [a, b] : busy) {
      a = std::max(0.0, a - pad);
      b = std::min(end_s, b + pad);
    }
    double busy_s = 0;
    std::size_t idle = 0;
    for (std::size_t i = 0; i < busy.size(); ++i) {
      busy_s += busy[i].second - busy[i].first;
      if (i + 1 < busy.size() && busy[i + 1].first > busy[i].second) ++idle;
    }
    const double idle_px = std::min(30.0, plot * 0.04);
    const double busy_px = plot - idle_px * static_cast<double>(idle);
    double x = left;
    for (std::size_t i = 0; i < busy.size(); ++i) {
      double width = busy_s > 0 ? busy_px * (busy[i].second - busy[i].first) / busy_s : 0;
      segments_.push_back({busy[i].first, busy[i].second, x, x + width, false});
      x += width;
      if (i + 1 < busy.size() && busy[i + 1].first > busy[i].second) {
        segments_.push_back({busy[i].second, busy[i + 1].first, x, x + idle_px, true});
        x += idle_px;
      }
    }
  }

  [[nodiscard]] double x(double t) const {
    for (const auto& s : segments_)
      if (t <= s.t1 || &s == &segments_.back()) {
        double span = s.t1 - s.t0;
        double within = span > 0 ? std::clamp((t - s.t0) / span, 0.0, 1.0) : 0.0;
        return s.x0 + (s.x1 - s.x0) * within;
      }
    return 0;
  }
  [[nodiscard]] const std::vector<Segment>& segments() const { return segments_; }

 private:
  std::vector<Segment> segments_;
};

// Labels in rows so that none overlaps another: each goes in the first row with room for it.
class LabelRows {
 public:
  // The row for a label spanning [from, to] in pixels.
  std::size_t place(double from, double to) {
    for (std::size_t row = 0; row < ends_.size(); ++row)
      if (ends_[row] + 8 <= from) {
        ends_[row] = to;
        return row;
      }
    ends_.push_back(to);
    return ends_.size() - 1;
  }
  [[nodiscard]] std::size_t rows() const { return ends_.size(); }

 private:
  std::vector<double> ends_;
};

// About how wide a line of text is at font size 11 (sans-serif averages under 0.6 em a letter).
double text_width(std::string_view text) {
  return static_cast<double>(text.size()) * 11 * 0.6;
}

}  // namespace

std::string timeline_svg(const RunResult& run, std::size_t max_messages) {
  const auto lanes = lane_order(run);
  const bool picture = lanes.size() <= 60;  // a topology sketch, while it stays readable
  constexpr double label_width = 110, right = 30, top = 70, width = 1400;
  const double lane = lanes.size() > 20 ? 14 : 46;
  const double left = label_width;
  const double end_s =
      1.05 * std::max(0.001, run.steps.empty() ? run.duration_s : run.steps.back().finished_s);
  const double plot = width - left - right;
  std::map<std::string, double> lane_y;
  for (std::size_t i = 0; i < lanes.size(); ++i)
    lane_y[lanes[i]] = top + lane * (static_cast<double>(i) + 0.5);
  const double lanes_bottom = top + lane * static_cast<double>(lanes.size());
  auto ns = [](std::int64_t t) { return static_cast<double>(t) / 1e9; };

  // Which messages are drawn: AT lines between servers, in the order they were sent, up to the
  // cap; the picture says how many it leaves out.
  std::vector<const TracedMessage*> messages;
  for (const auto& m : run.messages) {
    if (!m.line.starts_with("AT ") || !lane_y.count(m.from) || !lane_y.count(m.to)) continue;
    if (messages.size() < max_messages) messages.push_back(&m);
  }
  std::vector<double> moments;
  for (const auto* m : messages) {
    moments.push_back(ns(m->sent_ns));
    if (m->delivered_ns) moments.push_back(ns(*m->delivered_ns));
  }
  for (const auto& s : run.steps) {
    moments.push_back(s.started_s);
    moments.push_back(s.finished_s);
  }
  for (const auto& e : run.events) moments.push_back(ns(e.time_ns));
  const TimeAxis axis(std::move(moments), end_s, left, plot);
  auto x = [&](double seconds) { return axis.x(seconds); };

  // Fault and repair labels under the axis, in as many rows as it takes for none to overlap.
  struct Label {
    const StepOutcome* step;
    double px;
    bool near_right;
    std::size_t row;
  };
  std::vector<Label> labels;
  LabelRows rows;
  for (const auto& s : run.steps) {
    auto role = role_of(s.kind);
    if (role != StepRole::fault && role != StepRole::repair) continue;
    double px = x(s.started_s);
    bool near_right = px + text_width(s.description) > width - right;
    double from = near_right ? px - 2 - text_width(s.description) : px + 2;
    labels.push_back({&s, px, near_right, rows.place(from, from + text_width(s.description))});
  }
  const double labels_top = lanes_bottom + 32;
  const double legend_top = labels_top + 13 * static_cast<double>(rows.rows()) + 40;
  const double sketch = picture ? 190 : 0;
  const double height = legend_top + std::max(70.0, sketch) + 10;

  // A slide: the picture scales to whatever holds it.
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + fixed(width, 0) +
                    " " + fixed(height, 0) +
                    "\" width=\"100%\" preserveAspectRatio=\"xMidYMin meet\" "
                    "font-family=\"sans-serif\" font-size=\"11\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">" +
         xml_escape(run.scenario.name) + " (" +
         (run.scenario.classic ? "classic" : "anti-entropy") + ", " +
         (run.network == NetworkKind::virtual_ ? "virtual network" : "real sockets") + ", " +
         (run.passed ? "passed" : "FAILED") + ")</text>\n";
  // The failing check, written where the class reads first, and marked at its time.
  for (const auto& s : run.steps) {
    if (s.ok) continue;
    std::string why = "steps[" + std::to_string(s.index) + "] " + s.description + ": " + s.message;
    if (why.size() > 200) why = why.substr(0, 197) + "...";
    svg += "<text class=\"failure\" x=\"10\" y=\"56\" fill=\"#c0392b\" font-weight=\"bold\">" +
           std::string(s.inconclusive ? "INCONCLUSIVE " : "FAILED ") + xml_escape(why) +
           "</text>\n";
    double px = x(s.finished_s);
    svg += "<line class=\"failure\" x1=\"" + fixed(px) + "\" y1=\"" + fixed(top - 6) + "\" x2=\"" +
           fixed(px) + "\" y2=\"" + fixed(lanes_bottom) +
           "\" stroke=\"#c0392b\" stroke-width=\"3\"><title>" + xml_escape(why) +
           "</title></line>\n";
    break;
  }

  // Only the first lines of a long run are kept; every AT line sent was counted.
  std::size_t total = std::max(run.at_lines_sent, messages.size());
  std::string count = total > messages.size()
                          ? "drawing " + std::to_string(messages.size()) + " of " +
                                std::to_string(total) +
                                " messages (herd sim --timeline-max N draws more)"
                          : std::to_string(total) + " messages between servers";
  svg += "<text x=\"10\" y=\"38\" fill=\"#555\">" + xml_escape(count) +
         "; lanes in the topology's order; one colour per update</text>\n";

  // Lanes, then the time axis with ticks.
  for (const auto& name : lanes) {
    double y = lane_y[name];
    svg += "<line x1=\"" + fixed(left) + "\" y1=\"" + fixed(y) + "\" x2=\"" + fixed(width - right) +
           "\" y2=\"" + fixed(y) + "\" stroke=\"#ddd\"/>\n";
    svg += "<text x=\"10\" y=\"" + fixed(y + 4) + "\"" + (lane < 20 ? " font-size=\"9\"" : "") +
           ">" + xml_escape(name) + "</text>\n";
  }
  // Ticks in each busy stretch, labels never closer than 70 px; an idle stretch is a break.
  double last_label = -1e9;
  for (const auto& segment : axis.segments()) {
    if (segment.idle) {
      double mid = (segment.x0 + segment.x1) / 2;
      svg += "<text class=\"idle\" x=\"" + fixed(mid) + "\" y=\"" + fixed(lanes_bottom + 5) +
             "\" text-anchor=\"middle\" font-size=\"16\" fill=\"#555\">&#8776;<title>idle " +
             fixed(segment.t1 - segment.t0, 3) + " s, drawn short</title></text>\n";
      continue;
    }
    double span = segment.t1 - segment.t0;
    if (span <= 0) continue;
    int wanted = std::max(1, static_cast<int>((segment.x1 - segment.x0) / 130));
    const double step = tick_step(span, wanted);
    for (double t = std::ceil(segment.t0 / step) * step; t <= segment.t1 + 1e-12; t += step) {
      double px = axis.x(t);
      svg += "<line x1=\"" + fixed(px) + "\" y1=\"" + fixed(lanes_bottom) + "\" x2=\"" + fixed(px) +
             "\" y2=\"" + fixed(lanes_bottom + 5) + "\" stroke=\"#555\"/>\n";
      if (px - last_label < 70) continue;
      last_label = px;
      svg += "<text x=\"" + fixed(px) + "\" y=\"" + fixed(lanes_bottom + 16) +
             "\" text-anchor=\"middle\" fill=\"#555\">" + time_label(t, step) + "</text>\n";
    }
  }
  svg += "<line x1=\"" + fixed(left) + "\" y1=\"" + fixed(lanes_bottom) + "\" x2=\"" +
         fixed(width - right) + "\" y2=\"" + fixed(lanes_bottom) + "\" stroke=\"#555\"/>\n";

  // Faults and repairs, as dashed lines across every lane, labelled below the axis.
  for (const auto& label : labels) {
    const auto& s = *label.step;
    auto colour = role_of(s.kind) == StepRole::fault ? "#c0392b" : "#27ae60";
    svg += "<line x1=\"" + fixed(label.px) + "\" y1=\"" + fixed(top - 8) + "\" x2=\"" +
           fixed(label.px) + "\" y2=\"" + fixed(lanes_bottom) + "\" stroke=\"" + colour +
           "\" stroke-dasharray=\"4,3\"><title>" + xml_escape(s.description) + "</title></line>\n";
    svg += "<text class=\"step-label\" x=\"" +
           fixed(label.near_right ? label.px - 2 : label.px + 2) + "\" y=\"" +
           fixed(labels_top + 13 * static_cast<double>(label.row)) + "\" fill=\"" + colour + "\"" +
           (label.near_right ? " text-anchor=\"end\"" : "") + ">" + xml_escape(s.description) +
           "</text>\n";
  }

  // Which arrival stored its update: the first copy to reach a server that stored the line.
  // Only the drawn messages' (server, line) pairs are looked up, hashed: a big run has hundreds
  // of thousands of stored events, and drawing is bounded by the messages kept.
  struct Arrival {
    bool stored = false;
    bool claimed = false;
  };
  std::unordered_map<ServerLine, Arrival, ServerLineHash> arrivals;
  std::vector<const TracedMessage*> by_arrival;
  for (const auto* m : messages)
    if (m->delivered_ns) {
      by_arrival.push_back(m);
      arrivals.try_emplace({m->to, m->line});
    }
  for (const auto& e : run.events)
    if (e.kind == EventKind::update_stored)
      if (auto it = arrivals.find({e.node, e.text}); it != arrivals.end()) it->second.stored = true;
  std::stable_sort(by_arrival.begin(), by_arrival.end(),
                   [](auto* a, auto* b) { return *a->delivered_ns < *b->delivered_ns; });
  std::unordered_set<const TracedMessage*> storing;
  for (const auto* m : by_arrival) {
    auto& arrival = arrivals.at({m->to, m->line});
    if (arrival.stored && !arrival.claimed) {
      arrival.claimed = true;
      storing.insert(m);
    }
  }

  for (const auto* m : messages) {
    double sent = ns(m->sent_ns);
    double x1 = x(sent), y1 = lane_y[m->from], y2 = lane_y[m->to];
    auto colour = update_colour(m->line);
    if (m->delivered_ns) {
      bool stores = storing.count(m) != 0;
      double x2 = x(ns(*m->delivered_ns));
      svg += "<g class=\"msg delivered " + std::string(stores ? "stored" : "stale") +
             "\"><line x1=\"" + fixed(x1) + "\" y1=\"" + fixed(y1) + "\" x2=\"" + fixed(x2) +
             "\" y2=\"" + fixed(y2) + "\" stroke=\"" + colour +
             "\" stroke-opacity=\"0.75\"/><circle cx=\"" + fixed(x2) + "\" cy=\"" + fixed(y2) +
             "\" r=\"2.5\" fill=\"" + (stores ? colour : "white") + "\" stroke=\"" + colour +
             "\"/><title>" + xml_escape(m->id) + (stores ? " (stored): " : " (stale): ") +
             xml_escape(m->line) + "</title></g>\n";
    } else {
      bool lost = !m->dropped.empty() && m->dropped != "end of run";
      double x2 = x1 + 6, yy2 = y1 + (y2 - y1) * 0.25;
      svg += "<g class=\"msg " + std::string(lost ? "lost" : "unfinished") + "\"><line x1=\"" +
             fixed(x1) + "\" y1=\"" + fixed(y1) + "\" x2=\"" + fixed(x2) + "\" y2=\"" + fixed(yy2) +
             "\" stroke=\"" + (lost ? "#c0392b" : "#999") + "\" stroke-width=\"2\"/><title>" +
             xml_escape(m->id) +
             (lost ? " (lost: " + xml_escape(m->dropped) + "): "
                   : std::string(" (on its way when the run ended): ")) +
             xml_escape(m->line) + "</title></g>\n";
    }
  }
  // Updates a classic link dropped while it was down: never sent at all.
  for (const auto& e : run.events) {
    if (e.kind != EventKind::update_not_sent || !lane_y.count(e.node)) continue;
    double px = x(ns(e.time_ns)), py = lane_y[e.node];
    svg += "<g class=\"not-sent\"><path d=\"M" + fixed(px - 3) + "," + fixed(py - 3) + " L" +
           fixed(px + 3) + "," + fixed(py + 3) + " M" + fixed(px - 3) + "," + fixed(py + 3) + " L" +
           fixed(px + 3) + "," + fixed(py - 3) +
           "\" stroke=\"#c0392b\" stroke-width=\"1.5\"/><title>" +
           xml_escape(e.node + " -> " + e.peer + " not sent, link down: " + e.text) +
           "</title></g>\n";
  }
  // Updates accepted from clients, on their origin's lane.
  for (const auto& e : run.events)
    if (e.kind == EventKind::update_stored && e.text.find("AT " + e.node + " ") == 0 &&
        lane_y.count(e.node))
      svg += "<circle class=\"accepted\" cx=\"" + fixed(x(ns(e.time_ns))) + "\" cy=\"" +
             fixed(lane_y[e.node]) + "\" r=\"4\" fill=\"" + update_colour(e.text) +
             "\" stroke=\"#222\"><title>accepted: " + xml_escape(e.text) + "</title></circle>\n";
  for (const auto& e : run.events) {
    if ((e.kind != EventKind::link_down && e.kind != EventKind::link_up) || !lane_y.count(e.node))
      continue;
    bool down = e.kind == EventKind::link_down;
    svg += "<text x=\"" + fixed(x(ns(e.time_ns)) - 3) + "\" y=\"" + fixed(lane_y[e.node] - 6) +
           "\" fill=\"" + (down ? "#c0392b" : "#27ae60") + "\">" + (down ? "v" : "^") + "<title>" +
           xml_escape(e.node + (down ? " link down to " : " link up to ") + e.peer) +
           "</title></text>\n";
  }

  // The legend: every mark the picture uses.
  double ly = legend_top;
  auto legend = [&](double lx, const std::string& mark, const std::string& words) {
    svg += "<g transform=\"translate(" + fixed(lx) + "," + fixed(ly) + ")\">" + mark +
           "<text x=\"26\" y=\"4\">" + xml_escape(words) + "</text></g>\n";
  };
  svg += "<text x=\"" + fixed(left) + "\" y=\"" + fixed(ly - 16) +
         "\" font-weight=\"bold\">Legend</text>\n";
  legend(left,
         "<line x1=\"0\" y1=\"0\" x2=\"18\" y2=\"0\" stroke=\"hsl(200,70%,42%)\"/><circle "
         "cx=\"18\" cy=\"0\" r=\"2.5\" fill=\"hsl(200,70%,42%)\" stroke=\"hsl(200,70%,42%)\"/>",
         "message that stored its update (colour: the update)");
  legend(left + 330,
         "<line x1=\"0\" y1=\"0\" x2=\"18\" y2=\"0\" stroke=\"hsl(200,70%,42%)\"/><circle "
         "cx=\"18\" cy=\"0\" r=\"2.5\" fill=\"white\" stroke=\"hsl(200,70%,42%)\"/>",
         "message that arrived stale");
  legend(left + 560,
         "<circle cx=\"9\" cy=\"0\" r=\"4\" fill=\"hsl(200,70%,42%)\" stroke=\"#222\"/>",
         "update accepted from a client");
  ly += 18;
  legend(left, "<line x1=\"0\" y1=\"0\" x2=\"6\" y2=\"4\" stroke=\"#c0392b\" stroke-width=\"2\"/>",
         "message lost to a fault (cut, reset, crash)");
  legend(left + 330,
         "<line x1=\"0\" y1=\"0\" x2=\"6\" y2=\"4\" stroke=\"#999\" stroke-width=\"2\"/>",
         "on its way when the run ended");
  legend(left + 560,
         "<path d=\"M6,-3 L12,3 M6,3 L12,-3\" stroke=\"#c0392b\" stroke-width=\"1.5\"/>",
         "not sent: a classic link was down");
  ly += 18;
  legend(left,
         "<line x1=\"9\" y1=\"-6\" x2=\"9\" y2=\"6\" stroke=\"#c0392b\" stroke-dasharray=\"4,3\"/>",
         "fault step");
  legend(left + 330,
         "<line x1=\"9\" y1=\"-6\" x2=\"9\" y2=\"6\" stroke=\"#27ae60\" stroke-dasharray=\"4,3\"/>",
         "repair step");
  legend(left + 560,
         "<text x=\"4\" y=\"4\" fill=\"#c0392b\">v</text><text x=\"12\" y=\"4\" "
         "fill=\"#27ae60\">^</text>",
         "a server's link to a neighbour went down / came up");

  // A sketch of the topology, its servers in lane order round a circle.
  if (picture) {
    double cx = width - right - 95, cy = legend_top + 80, radius = 70;
    std::map<std::string, std::pair<double, double>> at;
    for (std::size_t i = 0; i < lanes.size(); ++i) {
      double angle =
          2 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(lanes.size()) -
          std::numbers::pi / 2;
      at[lanes[i]] = {cx + radius * std::cos(angle), cy + radius * std::sin(angle)};
    }
    svg += "<g class=\"topology\">";
    for (const auto& [a, b] : run.scenario.topology.links)
      if (at.count(a) && at.count(b))
        svg += "<line x1=\"" + fixed(at[a].first) + "\" y1=\"" + fixed(at[a].second) + "\" x2=\"" +
               fixed(at[b].first) + "\" y2=\"" + fixed(at[b].second) + "\" stroke=\"#888\"/>";
    for (const auto& [name, p] : at) {
      svg += "<circle cx=\"" + fixed(p.first) + "\" cy=\"" + fixed(p.second) +
             "\" r=\"3\" fill=\"#222\"/>";
      if (lanes.size() <= 12)
        svg += "<text x=\"" + fixed(p.first + 5) + "\" y=\"" + fixed(p.second - 4) +
               "\" font-size=\"10\">" + xml_escape(name) + "</text>";
    }
    svg += "</g>\n";
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace herd
