#include "sim/campaign/random_scenario.hpp"

#include <algorithm>
#include <cstdio>

#include "core/seeded_random.hpp"

namespace herd {
namespace {

Step traffic(int clients, double rate, int duration_ms) {
  Step s;
  s.kind = StepKind::traffic;
  s.clients = clients;
  s.rate = rate;
  s.duration_ms = duration_ms;
  return s;
}

Step on_node(StepKind kind, const std::string& node) {
  Step s;
  s.kind = kind;
  s.node = node;
  return s;
}

Step on_link(StepKind kind, const std::pair<std::string, std::string>& link) {
  Step s;
  s.kind = kind;
  s.from = link.first;
  s.to = link.second;
  return s;
}

Step simple(StepKind kind, int ms = 0) {
  Step s;
  s.kind = kind;
  s.ms = ms;
  return s;
}

}  // namespace

const char* to_string(ExploreFault kind) {
  switch (kind) {
    case ExploreFault::crash:
      return "crash";
    case ExploreFault::partition:
      return "partition";
    case ExploreFault::cut:
      return "cut";
    case ExploreFault::latency:
      return "latency";
    case ExploreFault::flap:
      return "flap";
    case ExploreFault::drop:
      return "drop";
    case ExploreFault::hold:
      return "hold";
    case ExploreFault::pause:
      return "pause";
    case ExploreFault::reset:
      return "reset";
    case ExploreFault::count:
      break;
  }
  return "?";
}

std::string Swarm::describe() const {
  std::string out;
  for (auto kind : kinds) out += (out.empty() ? "" : "+") + std::string(to_string(kind));
  char tail[64];
  std::snprintf(tail, sizeof tail, ", %d episodes, traffic x%.2g", episodes, traffic_scale);
  return out + tail;
}

Swarm draw_swarm(std::uint64_t seed, bool swarm) {
  // Its own stream, so the scenario's draws after it do not shift when the swarm's change.
  SeededRandom random(seed ^ 0x5eed5a4a4d00ULL);
  Swarm out;
  constexpr int kinds = static_cast<int>(ExploreFault::count);
  if (!swarm) {
    // The five kinds explore has always drawn from.
    out.kinds = {ExploreFault::crash, ExploreFault::partition, ExploreFault::cut,
                 ExploreFault::latency, ExploreFault::flap};
    out.episodes = 2 + static_cast<int>(random.between(0, 2));
    return out;
  }
  for (int k = 0; k < kinds; ++k)
    if (random.between(0, 1) == 1) out.kinds.push_back(static_cast<ExploreFault>(k));
  if (out.kinds.empty())
    out.kinds.push_back(static_cast<ExploreFault>(random.between(0, kinds - 1)));
  out.episodes = 1 + static_cast<int>(random.between(0, 5));
  out.traffic_scale = 0.5 * static_cast<double>(1 + random.between(0, 3));
  return out;
}

Scenario random_scenario(std::uint64_t seed, bool classic, bool swarm) {
  // Each episode is a fault, traffic while it lasts, and its repair, one after the other, so a
  // node is never crashed while cut off: that would lose updates in any mode and prove nothing.
  SeededRandom random(seed);
  auto pick = [&](std::size_t n) {
    return static_cast<std::size_t>(random.between(0, static_cast<std::int64_t>(n) - 1));
  };
  const Swarm drawn = draw_swarm(seed, swarm);
  auto rate = [&drawn](double base) { return base * drawn.traffic_scale; };
  Scenario scenario;
  scenario.name = "explore-" + std::to_string(seed);
  scenario.description = "random faults and traffic, generated from seed " + std::to_string(seed) +
                         (swarm ? " (swarm: " + drawn.describe() + ")" : "");
  scenario.topology = default_topology(0);
  scenario.classic = classic;
  scenario.seed = seed;
  const auto& servers = scenario.topology.servers;
  const auto& links = scenario.topology.links;
  // More clients than updates per episode, so some client is not updated after a fault and what
  // the fault lost stays visible.
  const int clients = 12 + static_cast<int>(pick(12));
  scenario.steps.push_back(traffic(clients, rate(200), 150));
  bool links_disturbed = false;  // since the last crash: a link fault that may still be healing
  for (int e = 0; e < drawn.episodes; ++e) {
    const ExploreFault kind = drawn.kinds[pick(drawn.kinds.size())];
    if (kind != ExploreFault::crash && kind != ExploreFault::pause) links_disturbed = true;
    switch (kind) {
      case ExploreFault::crash:
      case ExploreFault::pause: {
        // A paused server is frozen, not gone: its updates wait, and the others go on.
        auto node = servers[pick(servers.size())].name;
        bool crash = kind == ExploreFault::crash;
        // An update the server answered a moment ago may not have left it yet, and after a link
        // fault its links may still be reconnecting (backoff up to 250 ms in the simulator); a
        // crash then loses what only it held, in any herd, which proves nothing. So the herd
        // gets time to settle first.
        if (crash) scenario.steps.push_back(simple(StepKind::wait, links_disturbed ? 400 : 10));
        links_disturbed = false;
        scenario.steps.push_back(on_node(crash ? StepKind::crash : StepKind::pause, node));
        Step t = traffic(clients, rate(100), 50 + static_cast<int>(pick(100)));
        for (const auto& s : servers)
          if (s.name != node) t.nodes.push_back(s.name);
        scenario.steps.push_back(t);
        scenario.steps.push_back(on_node(crash ? StepKind::restart : StepKind::resume, node));
        break;
      }
      case ExploreFault::partition: {
        std::vector<std::string> names;
        for (const auto& s : servers) names.push_back(s.name);
        for (std::size_t i = names.size() - 1; i > 0; --i) std::swap(names[i], names[pick(i + 1)]);
        auto cut = 1 + pick(names.size() - 1);
        Step p;
        p.kind = StepKind::partition;
        p.groups = {std::vector<std::string>(names.begin(), names.begin() + static_cast<long>(cut)),
                    std::vector<std::string>(names.begin() + static_cast<long>(cut), names.end())};
        scenario.steps.push_back(p);
        scenario.steps.push_back(simple(StepKind::wait, 20));
        scenario.steps.push_back(traffic(clients, rate(100), 50 + static_cast<int>(pick(100))));
        scenario.steps.push_back(simple(StepKind::heal));
        break;
      }
      case ExploreFault::cut:
      case ExploreFault::drop:
      case ExploreFault::hold: {
        auto link = links[pick(links.size())];
        auto fault = kind == ExploreFault::cut    ? StepKind::cut
                     : kind == ExploreFault::drop ? StepKind::drop
                                                  : StepKind::hold;
        scenario.steps.push_back(on_link(fault, link));
        scenario.steps.push_back(simple(StepKind::wait, 20));
        scenario.steps.push_back(traffic(clients, rate(100), 50 + static_cast<int>(pick(100))));
        scenario.steps.push_back(
            on_link(kind == ExploreFault::hold ? StepKind::release : StepKind::restore, link));
        break;
      }
      case ExploreFault::latency: {
        Step latency = simple(StepKind::latency);
        latency.ms = 2 + static_cast<int>(pick(20));
        latency.jitter_ms = static_cast<int>(pick(static_cast<std::size_t>(latency.ms)));
        scenario.steps.push_back(latency);
        scenario.steps.push_back(traffic(clients, rate(200), 100));
        scenario.steps.push_back(simple(StepKind::heal));
        break;
      }
      case ExploreFault::reset: {
        auto link = links[pick(links.size())];
        for (int again = 0; again < 3; ++again) {
          scenario.steps.push_back(traffic(clients, rate(100), 30));
          scenario.steps.push_back(on_link(StepKind::reset, link));
        }
        break;
      }
      case ExploreFault::flap:
      case ExploreFault::count: {
        auto link = links[pick(links.size())];
        for (int flap = 0; flap < 3; ++flap) {
          scenario.steps.push_back(on_link(StepKind::cut, link));
          scenario.steps.push_back(traffic(clients, rate(100), 30));
          scenario.steps.push_back(on_link(StepKind::restore, link));
          scenario.steps.push_back(simple(StepKind::wait, 10 + static_cast<int>(pick(40))));
        }
        break;
      }
    }
  }
  scenario.steps.push_back(simple(StepKind::heal));
  scenario.steps.push_back(simple(StepKind::expect_converged, 4000));
  return scenario;
}

}  // namespace herd
