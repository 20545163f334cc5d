#pragma once
// Which servers exist, where they listen, and who talks to whom. Pure: no I/O.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.hpp"

namespace herd {

struct ServerSpec {
  std::string name;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port (in-process herds only)
};

struct Topology {
  std::vector<ServerSpec> servers;
  std::vector<std::pair<std::string, std::string>> links;  // undirected
  std::string peer_secret;  // from the config's "secret": peer links authenticate with it

  [[nodiscard]] const ServerSpec* find(std::string_view name) const;
  [[nodiscard]] std::vector<std::string> neighbours(std::string_view name) const;
  // Every server's neighbours at once, as numbers in `servers`, each list in neighbours()'s
  // order: one pass over the links, where asking neighbours() of each server is a pass per
  // server. A link naming no server is left out.
  [[nodiscard]] std::vector<std::vector<std::size_t>> adjacency() const;
  // Moves every port by the same amount so that the lowest becomes `base_port`; false (and no
  // change) when the highest would pass 65535.
  [[nodiscard]] bool shift_ports(std::uint16_t base_port);
  // Fails, saying why, when names, ports or links are inconsistent.
  [[nodiscard]] Expected<void> validate() const;
};

inline constexpr std::uint16_t default_base_port = 12000;

// A server name is 1 to 64 letters, digits, '-', '_' or '.': it goes into log lines, file names,
// trace lines and a web page, where NUL, spaces, slashes or markup would each do harm.
[[nodiscard]] bool is_server_name(std::string_view name);

// The five servers and six links of SPEC.md, ports in alphabetical order from `base_port`
// (0: every server on any free port, for in-process herds).
[[nodiscard]] Topology default_topology(std::uint16_t base_port = default_base_port);

// N servers "N0".."N{n-1}" in a ring, ports from `base_port` (0: any free port).
[[nodiscard]] Topology ring_topology(int servers, std::uint16_t base_port = 0);

// N servers on free ports, a ring plus random chords so the average degree is about `degree`
// (connected whatever the chords); the same seed gives the same graph.
[[nodiscard]] Topology random_topology(int servers, int degree, std::uint64_t seed);

}  // namespace herd
