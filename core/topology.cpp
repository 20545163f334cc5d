#include "core/topology.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "core/protocol.hpp"
#include "core/seeded_random.hpp"

namespace herd {

const ServerSpec* Topology::find(std::string_view name) const {
  for (const auto& s : servers)
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<std::string> Topology::neighbours(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [a, b] : links) {
    if (a == name) out.push_back(b);
    if (b == name) out.push_back(a);
  }
  return out;
}

std::vector<std::vector<std::size_t>> Topology::adjacency() const {
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < servers.size(); ++i) index.emplace(servers[i].name, i);
  std::vector<std::vector<std::size_t>> out(servers.size());
  for (const auto& [a, b] : links) {
    auto from = index.find(a), to = index.find(b);
    if (from == index.end() || to == index.end()) continue;
    out[from->second].push_back(to->second);
    out[to->second].push_back(from->second);
  }
  return out;
}

bool Topology::shift_ports(std::uint16_t base_port) {
  if (servers.empty()) return true;
  auto [low, high] = std::minmax_element(servers.begin(), servers.end(),
                                         [](auto& a, auto& b) { return a.port < b.port; });
  auto lowest = low->port;
  if (int{high->port} - lowest + base_port > 65535) return false;
  for (auto& s : servers) s.port = static_cast<std::uint16_t>(s.port - lowest + base_port);
  return true;
}

bool is_server_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

namespace {

// A rejected name as it may be shown: control bytes as \xNN, at most 64 characters.
std::string printable_name(std::string_view name) {
  std::string out;
  for (unsigned char c : name.substr(0, 64)) {
    if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return name.size() > 64 ? out + "..." : out;
}

}  // namespace

Expected<void> Topology::validate() const {
  if (servers.empty()) return fail("no servers");
  std::set<std::string_view> names;
  std::set<std::pair<std::string_view, std::uint16_t>> endpoints;
  for (const auto& s : servers) {
    if (s.name.empty()) return fail("a server has an empty name");
    if (!is_server_name(s.name))
      return fail("server name \"" + printable_name(s.name) +
                  "\" is not 1 to 64 letters, digits, '-', '_' or '.'");
    if (!names.insert(s.name).second) return fail("server name \"" + s.name + "\" appears twice");
    if (s.port != 0 && !endpoints.insert({s.host, s.port}).second)
      return fail("port " + std::to_string(s.port) + " on " + s.host + " is used twice");
  }
  std::set<std::pair<std::string_view, std::string_view>> seen;
  for (const auto& [a, b] : links) {
    if (!names.count(a)) return fail("link names unknown server \"" + a + "\"");
    if (!names.count(b)) return fail("link names unknown server \"" + b + "\"");
    if (a == b) return fail("link from \"" + a + "\" to itself");
    std::string_view x = a, y = b;
    if (y < x) std::swap(x, y);
    if (!seen.insert({x, y}).second) return fail("link " + a + " - " + b + " appears twice");
  }
  return {};
}

Topology default_topology(std::uint16_t base_port) {
  Topology t;
  const char* names[] = {"Bailey", "Bona", "Campbell", "Clark", "Jaquez"};
  for (int i = 0; i < 5; ++i)
    t.servers.push_back(
        {names[i], "127.0.0.1",
         base_port == 0 ? std::uint16_t{0} : static_cast<std::uint16_t>(base_port + i)});
  t.links = {{"Clark", "Jaquez"},  {"Clark", "Bona"},      {"Campbell", "Bailey"},
             {"Campbell", "Bona"}, {"Campbell", "Jaquez"}, {"Bona", "Bailey"}};
  return t;
}

Topology ring_topology(int servers, std::uint16_t base_port) {
  Topology t;
  for (int i = 0; i < servers; ++i) {
    auto port = base_port == 0 ? std::uint16_t{0} : static_cast<std::uint16_t>(base_port + i);
    t.servers.push_back({"N" + std::to_string(i), "127.0.0.1", port});
  }
  for (int i = 0; servers > 2 && i < servers; ++i)
    t.links.emplace_back("N" + std::to_string(i), "N" + std::to_string((i + 1) % servers));
  if (servers == 2) t.links.emplace_back("N0", "N1");
  return t;
}

}  // namespace herd

namespace herd {

Topology random_topology(int servers, int degree, std::uint64_t seed) {
  Topology t = ring_topology(servers);
  std::set<std::pair<int, int>> present;
  for (int i = 0; i < servers; ++i) present.insert(std::minmax(i, (i + 1) % servers));
  // SeededRandom, not <random>'s distributions: the same seed must draw the same graph on every
  // standard library, or a virtual run would not replay on another machine.
  SeededRandom random(seed);
  auto pick = [&random, servers] { return static_cast<int>(random.between(0, servers - 1)); };
  const auto wanted = static_cast<std::size_t>(servers) * static_cast<std::size_t>(degree) / 2;
  // Bounded tries: a tiny herd may have fewer possible links than asked for.
  for (int tries = 0; present.size() < wanted && tries < servers * degree * 20; ++tries) {
    int a = pick(), b = pick();
    if (a == b || !present.insert(std::minmax(a, b)).second) continue;
    t.links.emplace_back("N" + std::to_string(a), "N" + std::to_string(b));
  }
  return t;
}

}  // namespace herd
