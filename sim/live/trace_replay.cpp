#include "sim/live/trace_replay.hpp"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <sstream>
#include <unordered_map>

#include "core/topology.hpp"
#include "sim/live/json_text.hpp"
#include "sim/live/link_faults_json.hpp"
#include "sim/live/live_session.hpp"
#include "sim/report/trace.hpp"
#include "sim/world/clock_request.hpp"

namespace herd {
namespace {

// "1.234567" -> nanoseconds; false when it is not a trace time.
bool read_time(const std::string& text, std::int64_t& ns) {
  auto dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || text.size() - dot - 1 != 6) return false;
  if (!std::all_of(text.begin(), text.begin() + static_cast<long>(dot), ::isdigit) ||
      !std::all_of(text.begin() + static_cast<long>(dot) + 1, text.end(), ::isdigit))
    return false;
  ns = std::stoll(text.substr(0, dot)) * 1'000'000'000 + std::stoll(text.substr(dot + 1)) * 1000;
  return true;
}

std::string seconds_text(std::int64_t ns) {
  std::string text;
  append_trace_seconds(text, ns);
  return text;
}

}  // namespace

Expected<ReplayedTrace> read_trace(const std::string& text) {
  ReplayedTrace out;
  std::set<std::string> servers;
  std::set<std::pair<std::string, std::string>> links;
  std::string bad_name;
  auto server = [&](const std::string& name) {
    if (!is_server_name(name)) {
      if (bad_name.empty()) bad_name = name.substr(0, 64);
      return;
    }
    if (servers.insert(name).second) out.servers.push_back(name);
  };
  // "A>B" or "A>B#12.3": a link between two servers.
  auto link = [&](const std::string& id) {
    auto arrow = id.find('>');
    if (arrow == std::string::npos) return;
    auto a = id.substr(0, arrow), b = id.substr(arrow + 1, id.find('#') - arrow - 1);
    server(a);
    server(b);
    if (links.insert(std::minmax(a, b)).second) out.links.emplace_back(a, b);
  };
  std::istringstream in(text);
  std::string line;
  std::size_t number = 0;
  std::int64_t offset = 0, last = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    if (line[0] == '#') {
      // A trace of several runs plays them one after the other, each from where the last ended.
      if (out.run_starts.empty() || out.run_starts.back() != out.lines.size()) {
        out.run_starts.push_back(out.lines.size());
        out.run_names.push_back(line.substr(1, 80));
      } else {
        out.run_names.back() = line.substr(1, 80);
      }
      offset = last;
      continue;
    }
    std::istringstream fields(line);
    std::string time, kind, first;
    fields >> time >> kind >> first;
    std::int64_t ns = 0;
    if (!read_time(time, ns) || kind.empty())
      return fail("line " + std::to_string(number) + " is not a trace line: " + line.substr(0, 80));
    if (kind == "sent" || kind == "link-up" || kind == "link-down" || kind == "not-sent")
      link(first);
    else if (kind == "stored" || kind == "stale" || kind == "refused" || kind == "crash" ||
             kind == "restart")
      server(first);
    if (!bad_name.empty())
      // The page shows every name it is given: a trace is read as data, never as markup.
      return fail("line " + std::to_string(number) + " names a server \"" + bad_name +
                  "\", which is not 1 to 64 letters, digits, '-', '_' or '.'");
    last = offset + ns;
    // Later runs' lines say their time from where the earlier ones ended, so the page's clock
    // and slider run on through them.
    out.lines.emplace_back(last,
                           offset == 0 ? line : seconds_text(last) + line.substr(line.find(' ')));
  }
  if (out.lines.empty()) return fail("no trace lines in it");
  // One run, or a trace without headers: nothing to separate.
  if (out.run_starts.size() < 2) {
    out.run_starts.clear();
    out.run_names.clear();
  } else {
    for (auto& name : out.run_names) name.erase(0, name.find_first_not_of(' '));
  }
  return out;
}

std::string replay_state_json(const ReplayedTrace& trace, const std::string& name,
                              const ReplayClockState& clock) {
  nlohmann::json servers = nlohmann::json::array(), links = nlohmann::json::array();
  for (const auto& s : trace.servers)
    servers.push_back({{"name", s}, {"state", "up"}, {"store", nlohmann::json::array()}});
  const nlohmann::json none = link_faults_json(LinkFaults{});
  for (const auto& [a, b] : trace.links) {
    links.push_back({{"from", a}, {"to", b}, {"faults", none}});
    links.push_back({{"from", b}, {"to", a}, {"faults", none}});
  }
  const double now_s = static_cast<double>(clock.now_ns) / 1e9;
  nlohmann::json state = {
      {"scenario", name},
      {"network", "replay"},
      {"mode", "replay"},
      {"replay", true},
      {"time_s", now_s},
      {"servers", servers},
      {"links", links},
      {"counters", {{"updates_accepted", 0}, {"clients", 0}}},
      {"clock", {{"now_s", now_s}, {"paused", clock.paused}, {"speed", clock.speed}}},
      {"runs", trace.run_names}};
  return json_text(state);
}

std::vector<std::optional<std::int64_t>> delivery_times(const ReplayedTrace& trace) {
  std::vector<std::optional<std::int64_t>> due(trace.lines.size());
  // Ids start again in each run of a trace of several: a run's first line forgets the others'.
  std::unordered_map<std::string, std::size_t> on_their_way;
  std::size_t run = 0;
  for (std::size_t i = 0; i < trace.lines.size(); ++i) {
    if (run < trace.run_starts.size() && trace.run_starts[run] == i) {
      on_their_way.clear();
      ++run;
    }
    const auto& line = trace.lines[i].second;
    auto kind_at = line.find(' ') + 1, id_at = line.find(' ', kind_at) + 1;
    if (id_at == 0) continue;
    auto kind = std::string_view(line).substr(kind_at, id_at - 1 - kind_at);
    auto id = line.substr(id_at, line.find(' ', id_at) - id_at);
    if (kind == "sent")
      on_their_way[id] = i;
    else if (kind == "delivered")
      if (auto it = on_their_way.find(id); it != on_their_way.end()) {
        due[it->second] = trace.lines[i].first;
        on_their_way.erase(it);
      }
  }
  return due;
}

namespace {

// The replay's own clock: where in the trace it is, paused or at a speed, stepped delivery by
// delivery, as the virtual network's clock is in a live run. Runs on the session's thread.
class ReplayPlayer {
 public:
  ReplayPlayer(LiveSession& session, const ReplayedTrace& trace, const std::string& name,
               std::chrono::milliseconds start_after)
      : session_(session), trace_(trace), name_(name), due_(delivery_times(trace)) {
    anchor_wall_ = Steady::now() + start_after;
  }

  void play(std::ostream& out) {
    session_.set_api(
        {[this](std::size_t) {
           return LiveAnswer{200, state()};
         },
         [](const std::string&) {
           return LiveAnswer{400, "{\"error\": \"a replay shows a trace; it takes no steps\"}\n"};
         },
         [this](const std::string& body) { return clock(body); },
         [](const std::string&) {
           return LiveAnswer{400, "{\"error\": \"a replay has no scenario steps to run\"}\n"};
         },
         [](const std::string&) {
           return LiveAnswer{409,
                             "{\"error\": \"a replay shows a trace; to branch from a moment, "
                             "run its scenario with --net virtual --serve\"}\n"};
         }});
    bool said = false;
    while (!session_.stop_requested()) {
      session_.run_jobs();
      publish_until(target());
      if (next_ == trace_.lines.size() && !said) {
        out << "replay: every line played; the page stays up until Ctrl-C" << std::endl;
        said = true;
      }
      session_.wait_for_job(wait());
    }
  }

 private:
  using Steady = std::chrono::steady_clock;

  // Where the trace should be by now at the clock's speed (where it is while paused).
  std::int64_t target() const {
    if (paused_) return now_;
    auto elapsed = std::max<std::int64_t>(
        0,
        std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now() - anchor_wall_).count());
    return std::max(now_,
                    anchor_ns_ + static_cast<std::int64_t>(speed_ * static_cast<double>(elapsed)));
  }
  std::chrono::milliseconds wait() const {
    if (paused_ || next_ >= trace_.lines.size()) return std::chrono::milliseconds(20);
    auto gap = static_cast<double>(trace_.lines[next_].first - now_) / speed_ / 1e6;
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::clamp(gap, 0.0, 20.0)));
  }
  void publish_until(std::int64_t until) {
    while (next_ < trace_.lines.size() && trace_.lines[next_].first <= until) publish_next();
    now_ = std::max(now_, until);
  }
  void publish_next() {
    if (run_ < trace_.run_starts.size() && trace_.run_starts[run_] == next_) {
      // Runs one after another, each announced: the page starts its model afresh.
      session_.publish(seconds_text(trace_.lines[next_].first) + " run " +
                       std::to_string(run_ + 1) + " of " +
                       std::to_string(trace_.run_starts.size()) + ": " + trace_.run_names[run_]);
      ++run_;
    }
    const auto& [ns, line] = trace_.lines[next_];
    session_.publish(line);
    // A trace says when a message arrived; a page moving dots in the trace's time needs to know
    // it when the message leaves, as the virtual network tells a live page.
    if (due_[next_]) {
      auto id_at = line.find(' ', line.find(' ') + 1) + 1;
      session_.publish(seconds_text(ns) + " due " +
                       line.substr(id_at, line.find(' ', id_at) - id_at) + " " +
                       seconds_text(*due_[next_]));
    }
    if (line.find(" delivered ") != std::string::npos) ++delivered_;
    now_ = std::max(now_, ns);
    ++next_;
  }

  std::string state() const { return replay_state_json(trace_, name_, {now_, paused_, speed_}); }

  LiveAnswer clock(const std::string& body) {
    auto request = parse_clock_request(body);
    if (!request) return {400, json_text({{"error", request.error()}})};
    if (request->deliver)
      return {400, json_text({{"error",
                               "a replay holds nothing to let through: it plays what "
                               "the trace says happened"}})};
    now_ = target();
    if (request->paused) paused_ = *request->paused;
    if (request->speed) speed_ = *request->speed;
    int delivered = 0;
    std::string note;
    if (request->step) {
      // On to the next delivery of the trace, then paused there.
      paused_ = true;
      for (int n = *request->step; n > 0; --n) {
        auto before = delivered_;
        while (next_ < trace_.lines.size() && delivered_ == before) publish_next();
        if (delivered_ == before) {
          note = "the trace has no more deliveries: the replay is at its end";
          break;
        }
        ++delivered;
      }
    }
    anchor_ns_ = now_;
    anchor_wall_ = Steady::now();
    nlohmann::json answer = {{"paused", paused_},
                             {"speed", speed_},
                             {"time_s", static_cast<double>(now_) / 1e9},
                             {"now_s", static_cast<double>(now_) / 1e9},
                             {"delivered", delivered}};
    if (!note.empty()) answer["note"] = note;
    return {200, json_text(answer)};
  }

  LiveSession& session_;
  const ReplayedTrace& trace_;
  std::string name_;
  std::vector<std::optional<std::int64_t>> due_;
  std::size_t next_ = 0, run_ = 0;
  std::uint64_t delivered_ = 0;
  std::int64_t now_ = 0, anchor_ns_ = 0;
  Steady::time_point anchor_wall_;
  bool paused_ = false;
  double speed_ = 1;
};

}  // namespace

void play_trace(LiveSession& session, const ReplayedTrace& trace, const std::string& name,
                std::chrono::milliseconds start_after, std::ostream& out) {
  ReplayPlayer(session, trace, name, start_after).play(out);
}

}  // namespace herd
