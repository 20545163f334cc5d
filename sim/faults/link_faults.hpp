#pragma once
// What can be wrong with one directed link (the connections that `from` opens to `to`): the
// vocabulary both networks share, the real one (fault proxies) and the virtual one.

#include <cstdint>

namespace herd {

struct LinkFaults {
  // Refuse new connections (nothing listens, as for a host that is down or a firewall's REJECT)
  // and close the current ones.
  bool cut = false;
  // A blackhole: new connections time out (their SYNs go unanswered) and bytes on the current
  // ones go nowhere until the fault ends, as when a route or a firewall DROPs packets.
  bool drop = false;
  bool hold = false;             // keep bytes from `from` until released
  int latency_ms = 0;            // delay each chunk ...
  int jitter_ms = 0;             // ... by latency +/- up to this much
  std::int64_t bytes_per_s = 0;  // 0: unlimited
  int slice_bytes = 0;           // 0: forward chunks whole
  bool operator==(const LinkFaults&) const = default;
};

}  // namespace herd
