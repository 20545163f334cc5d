#include "core/ephemeral_ports.hpp"

#include <fstream>

namespace herd {

PortRange ephemeral_port_range() {
  PortRange range;
  std::ifstream file("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned low = 0, high = 0;
  if (file >> low >> high && low > 1024 && low <= high && high <= 65535) {
    range.low = static_cast<std::uint16_t>(low);
    range.high = static_cast<std::uint16_t>(high);
  }
  return range;
}

}  // namespace herd
