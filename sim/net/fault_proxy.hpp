#pragma once
// An in-process TCP proxy for one directed peer link (from -> to). The simulator points `from`'s
// link at it, so nodes talk real TCP and cannot tell; faults are switched on and off from any
// thread while traffic flows.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "sim/faults/link_faults.hpp"

namespace herd {

class Runtime;

// What the proxy sees pass, for a trace: each proxied connection is numbered from 1, and its
// bytes are reported as they are read from one side (sent) and written to the other
// (delivered); `forward` is from the link's owner to the target. Called on the proxy's strand.
struct ProxyObserver {
  std::function<void(std::uint64_t connection, bool forward, std::string_view bytes)> sent;
  std::function<void(std::uint64_t connection, bool forward, std::string_view bytes)> delivered;
  // The connection ended: what it carried and did not deliver is lost, for `why` (cut, reset,
  // crash, closed).
  std::function<void(std::uint64_t connection, const char* why)> ended;
};

// Where a proxy's sockets are made: in this process's network namespace (the default), or in a
// server's own (net_namespace.hpp), where the proxy takes the port a neighbour has in the code.
struct ProxySockets {
  std::function<int()> listening;  // a new TCP socket for the proxy's side; empty: an ordinary one
  std::function<int()> outbound;   // a new TCP socket to reach the target with; empty: ordinary
  std::uint16_t port = 0;          // the loopback port to listen on; 0: any free one
};

class FaultProxy {
 public:
  // Listens on a loopback port and forwards to 127.0.0.1:target_port.
  FaultProxy(Runtime& runtime, std::string from, std::string to, std::uint16_t target_port,
             std::uint64_t seed, ProxySockets sockets = {});
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // Call before start().
  void set_observer(ProxyObserver observer);
  [[nodiscard]] std::error_code start();
  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] const std::string& from() const;
  [[nodiscard]] const std::string& to() const;

  // Thread-safe; each change has taken effect when it returns (it runs on the proxy's strand), so
  // the next step of a scenario meets the link as the last one left it.
  void set_faults(const LinkFaults& faults);
  [[nodiscard]] LinkFaults faults() const;
  // Aborts the current connections with a reset; new ones are accepted as before.
  void reset_connections();
  // Whether the server behind the link runs. While it does not (crashed), connects are refused
  // and current connections closed, as they would be without the proxy in between.
  void set_target_up(bool up);
  // Closes everything; blocks until closed, or for at most 5 s if the io_context does not run.
  // Never call it from the io_context's threads.
  void stop();

  struct Impl;  // defined in fault_proxy.cpp

 private:
  void run_and_wait(std::function<void(Impl&)> change);
  std::shared_ptr<Impl> impl_;
};

}  // namespace herd
