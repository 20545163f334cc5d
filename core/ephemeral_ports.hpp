#pragma once
// The kernel's range of ports for the local ends of outgoing connections
// (net.ipv4.ip_local_port_range). A port in it can be taken at any moment by some process's
// connect, and held for a minute after that connection closes (TIME_WAIT): a server asked to
// listen there may find it in use. Pure apart from reading one /proc file.

#include <cstdint>

namespace herd {

struct PortRange {
  std::uint16_t low = 32768, high = 60999;  // Linux's defaults, when the file cannot be read
  [[nodiscard]] bool contains(std::uint16_t port) const { return port >= low && port <= high; }
};

[[nodiscard]] PortRange ephemeral_port_range();

}  // namespace herd
