#include "sim/live/trace_replay.hpp"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <sstream>

#include "core/topology.hpp"
#include "sim/live/json_text.hpp"
#include "sim/live/link_faults_json.hpp"
#include "sim/live/live_session.hpp"

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
      offset = last;  // a trace of several runs plays them one after the other
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
    out.lines.emplace_back(last, line);
  }
  if (out.lines.empty()) return fail("no trace lines in it");
  return out;
}

std::string replay_state_json(const ReplayedTrace& trace, const std::string& name) {
  nlohmann::json servers = nlohmann::json::array(), links = nlohmann::json::array();
  for (const auto& s : trace.servers)
    servers.push_back({{"name", s}, {"state", "up"}, {"store", nlohmann::json::array()}});
  const nlohmann::json none = link_faults_json(LinkFaults{});
  for (const auto& [a, b] : trace.links) {
    links.push_back({{"from", a}, {"to", b}, {"faults", none}});
    links.push_back({{"from", b}, {"to", a}, {"faults", none}});
  }
  nlohmann::json state = {
      {"scenario", name}, {"network", "replay"},
      {"mode", "replay"}, {"replay", true},
      {"time_s", 0},      {"servers", servers},
      {"links", links},   {"counters", {{"updates_accepted", 0}, {"clients", 0}}}};
  return json_text(state);
}

void play_trace(LiveSession& session, const ReplayedTrace& trace, const std::string& name,
                std::chrono::milliseconds start_after, std::ostream& out) {
  const std::string state = replay_state_json(trace, name);
  session.set_api(
      {[&state](std::size_t) {
         return LiveAnswer{200, state};
       },
       [](const std::string&) {
         return LiveAnswer{400, "{\"error\": \"a replay shows a trace; it takes no steps\"}\n"};
       },
       [](const std::string&) {
         return LiveAnswer{400, "{\"error\": \"a replay has no clock to change\"}\n"};
       }});
  using Steady = std::chrono::steady_clock;
  auto start = Steady::now() + start_after;
  for (const auto& [ns, line] : trace.lines) {
    auto due = start + std::chrono::nanoseconds(ns);
    while (!session.stop_requested() && Steady::now() < due) {
      session.run_jobs();
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(due - Steady::now());
      session.wait_for_job(
          std::clamp(left, std::chrono::milliseconds(0), std::chrono::milliseconds(20)));
    }
    if (session.stop_requested()) break;
    session.publish(line);
  }
  out << "replay: every line played; the page stays up until Ctrl-C" << std::endl;
  while (!session.stop_requested()) {
    session.run_jobs();
    session.wait_for_job(std::chrono::milliseconds(50));
  }
}

}  // namespace herd
