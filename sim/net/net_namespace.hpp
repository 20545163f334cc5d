#pragma once
// Network namespaces for servers whose ports are written in their code (`herd sim --herd-cmd
// --herd-ports`, as 20 of 21 real student herds are): each server runs with a loopback of its
// own, where its neighbours' ports are Herd's fault proxies and nothing else answers, so link
// faults reach an unmodified herd. Namespaces rather than rewriting the code or intercepting
// connect() with LD_PRELOAD: Python's asyncio, Java or Go all connect through the kernel, and a
// namespace is the kernel's own notion of "this process's view of the network".
//
// Sockets belong to the namespace of the thread that made them, so the harness makes each socket
// inside the namespace it is for (setns, socket, setns back) and then uses it as any other.
// As root the host's namespace is home; otherwise the process first becomes root of a user
// namespace of its own, with a network namespace of its own as home (the host's cannot be
// re-entered from inside it), as `unshare --user --map-root-user --net` would. Linux only.

#include <memory>
#include <string>

#include "core/expected.hpp"

namespace herd {

// Readies this process to make network namespaces. Call it before any thread starts (a process
// with threads cannot enter a user namespace). Without root, the process's own network is a new,
// empty loopback from then on: nothing outside it can reach the live view or a real Places.
// Why not, when it cannot (user namespaces disabled, no /proc).
[[nodiscard]] Expected<void> prepare_net_namespaces();

class NetNamespace {
 public:
  // A new network namespace with its loopback up, or why not.
  [[nodiscard]] static Expected<std::unique_ptr<NetNamespace>> create();
  ~NetNamespace();
  NetNamespace(const NetNamespace&) = delete;
  NetNamespace& operator=(const NetNamespace&) = delete;

  // A TCP/IPv4 socket made inside it (close-on-exec), or -1: binding or connecting it to
  // 127.0.0.1 is this namespace's loopback.
  [[nodiscard]] int tcp_socket() const;
  // Runs `spawn` with the calling thread inside it, so that a process it starts lives there.
  template <typename Spawn>
  auto inside(Spawn&& spawn) const {
    Entered entered(*this);
    return spawn();
  }

 private:
  explicit NetNamespace(int fd) : fd_(fd) {}
  // Enters on construction, returns home on destruction.
  class Entered {
   public:
    explicit Entered(const NetNamespace& ns);
    ~Entered();
    Entered(const Entered&) = delete;
    Entered& operator=(const Entered&) = delete;
  };
  int fd_;
};

}  // namespace herd
