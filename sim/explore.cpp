#include "sim/explore.hpp"

#include <algorithm>
#include <random>

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

Scenario random_scenario(std::uint64_t seed, bool classic) {
  // Each episode is a fault, traffic while it lasts, and its repair, one after the other, so a
  // node is never crashed while cut off: that would lose updates in any mode and prove nothing.
  std::mt19937_64 random(seed);
  auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
  };
  Scenario scenario;
  scenario.name = "explore-" + std::to_string(seed);
  scenario.description = "random faults and traffic, generated from seed " + std::to_string(seed);
  scenario.topology = default_topology(0);
  scenario.classic = classic;
  scenario.seed = seed;
  const auto& servers = scenario.topology.servers;
  const auto& links = scenario.topology.links;
  // More clients than updates per episode, so some client is not updated after a fault and what
  // the fault lost stays visible.
  const int clients = 12 + static_cast<int>(pick(12));
  scenario.steps.push_back(traffic(clients, 200, 150));
  const int episodes = 2 + static_cast<int>(pick(3));
  for (int e = 0; e < episodes; ++e) {
    switch (pick(5)) {
      case 0: {
        auto node = servers[pick(servers.size())].name;
        scenario.steps.push_back(on_node(StepKind::crash, node));
        Step t = traffic(clients, 100, 50 + static_cast<int>(pick(100)));
        for (const auto& s : servers)
          if (s.name != node) t.nodes.push_back(s.name);
        scenario.steps.push_back(t);
        scenario.steps.push_back(on_node(StepKind::restart, node));
        break;
      }
      case 1: {
        std::vector<std::string> names;
        for (const auto& s : servers) names.push_back(s.name);
        std::shuffle(names.begin(), names.end(), random);
        auto cut = 1 + pick(names.size() - 1);
        Step p;
        p.kind = StepKind::partition;
        p.groups = {std::vector<std::string>(names.begin(), names.begin() + static_cast<long>(cut)),
                    std::vector<std::string>(names.begin() + static_cast<long>(cut), names.end())};
        scenario.steps.push_back(p);
        scenario.steps.push_back(simple(StepKind::wait, 20));
        scenario.steps.push_back(traffic(clients, 100, 50 + static_cast<int>(pick(100))));
        scenario.steps.push_back(simple(StepKind::heal));
        break;
      }
      case 2: {
        auto link = links[pick(links.size())];
        scenario.steps.push_back(on_link(StepKind::cut, link));
        scenario.steps.push_back(simple(StepKind::wait, 20));
        scenario.steps.push_back(traffic(clients, 100, 50 + static_cast<int>(pick(100))));
        scenario.steps.push_back(on_link(StepKind::restore, link));
        break;
      }
      case 3: {
        Step latency = simple(StepKind::latency);
        latency.ms = 2 + static_cast<int>(pick(20));
        latency.jitter_ms = static_cast<int>(pick(static_cast<std::size_t>(latency.ms)));
        scenario.steps.push_back(latency);
        scenario.steps.push_back(traffic(clients, 200, 100));
        scenario.steps.push_back(simple(StepKind::heal));
        break;
      }
      default: {
        auto link = links[pick(links.size())];
        for (int flap = 0; flap < 3; ++flap) {
          scenario.steps.push_back(on_link(StepKind::cut, link));
          scenario.steps.push_back(traffic(clients, 100, 30));
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
