#include "sim/net/net_namespace.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>

namespace herd {
namespace {

std::string errno_text() {
  return std::strerror(errno);
}

// The network namespace the harness lives in, opened once: where every thread returns to.
int home_fd = -1;
std::once_flag home_once;

int home() {
  std::call_once(home_once, [] { home_fd = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC); });
  return home_fd;
}

bool write_file(const char* path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

// Brings "lo" up in the calling thread's namespace (a new one has it down).
Expected<void> loopback_up() {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return fail("cannot make a socket: " + errno_text());
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = ::ioctl(s, SIOCGIFFLAGS, &request) == 0;
  if (ok) {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP | IFF_RUNNING);
    ok = ::ioctl(s, SIOCSIFFLAGS, &request) == 0;
  }
  auto why = errno_text();
  ::close(s);
  if (!ok) return fail("cannot bring the loopback up: " + why);
  return {};
}

}  // namespace

Expected<void> prepare_net_namespaces() {
  if (::geteuid() != 0) {
    const auto uid = ::geteuid();
    const auto gid = ::getegid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0)
      return fail("cannot make a user namespace (" + errno_text() +
                  "); the kernel may forbid unprivileged ones (sysctl "
                  "kernel.unprivileged_userns_clone, or an AppArmor rule), and running as root "
                  "would do");
    // Root inside it, as this user outside.
    if (!write_file("/proc/self/setgroups", "deny") ||
        !write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1\n") ||
        !write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1\n"))
      return fail("cannot map this user into its user namespace");
    if (auto up = loopback_up(); !up) return up;
  }
  if (home() < 0) return fail("cannot open /proc/self/ns/net: " + errno_text());
  return {};
}

Expected<std::unique_ptr<NetNamespace>> NetNamespace::create() {
  if (home() < 0) return fail("cannot open /proc/self/ns/net: " + errno_text());
  if (::unshare(CLONE_NEWNET) != 0)
    return fail("cannot make a network namespace (" + errno_text() +
                "): run as root, or where user namespaces are allowed");
  int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  auto up = loopback_up();
  // Home again before anything else can go wrong.
  if (::setns(home(), CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "herd: cannot return to its own network namespace: %s\n",
                 errno_text().c_str());
    std::abort();  // every socket this thread made from now on would be in the wrong place
  }
  if (fd < 0) return fail("cannot open the new network namespace: " + errno_text());
  if (!up) {
    ::close(fd);
    return fail(up.error());
  }
  return std::unique_ptr<NetNamespace>(new NetNamespace(fd));
}

NetNamespace::~NetNamespace() {
  ::close(fd_);
}

NetNamespace::Entered::Entered(const NetNamespace& ns) {
  if (::setns(ns.fd_, CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "herd: cannot enter a server's network namespace: %s\n",
                 errno_text().c_str());
    std::abort();
  }
}

NetNamespace::Entered::~Entered() {
  if (::setns(home(), CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "herd: cannot return to its own network namespace: %s\n",
                 errno_text().c_str());
    std::abort();
  }
}

int NetNamespace::tcp_socket() const {
  return inside([] { return ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); });
}

}  // namespace herd
