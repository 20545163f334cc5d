#include "sim/live/slow_client_watchdog.hpp"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace herd {
namespace {

using Steady = std::chrono::steady_clock;

struct Established {
  unsigned long inode = 0;
  int remote_port = 0;
};

// "0100007F:1F90" -> 8080.
int port_of(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return -1;
  try {
    return std::stoi(address.substr(colon + 1), nullptr, 16);
  } catch (...) {
    return -1;
  }
}

// The connections established on `port`, from the kernel's tables (IPv4 and IPv6).
std::vector<Established> established_on(std::uint16_t port) {
  std::vector<Established> out;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the heading
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
      unsigned long inode = 0;
      if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
            timeout >> inode))
        continue;
      if (state != "01" || port_of(local) != port || inode == 0) continue;  // 01: ESTABLISHED
      out.push_back({inode, port_of(remote)});
    }
  }
  return out;
}

// This process's descriptor for socket `inode`, checked to be the connection from `remote_port`
// to `port`; -1 when it is gone.
int descriptor_of(unsigned long inode, std::uint16_t port, int remote_port) {
  const std::string want = "socket:[" + std::to_string(inode) + "]";
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int found = -1;
  while (auto* entry = ::readdir(dir)) {
    char target[64];
    std::string path = std::string("/proc/self/fd/") + entry->d_name;
    auto n = ::readlink(path.c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    if (want == target) {
      found = std::atoi(entry->d_name);
      break;
    }
  }
  ::closedir(dir);
  if (found < 0) return -1;
  // The descriptor may have been closed and reused since: it must still be that connection.
  sockaddr_storage local{}, peer{};
  socklen_t local_size = sizeof local, peer_size = sizeof peer;
  if (::getsockname(found, reinterpret_cast<sockaddr*>(&local), &local_size) != 0 ||
      ::getpeername(found, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0)
    return -1;
  auto port_in = [](const sockaddr_storage& a) {
    if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
    if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
    return std::uint16_t{0};
  };
  if (port_in(local) != port || port_in(peer) != remote_port) return -1;
  return found;
}

}  // namespace

SlowClientWatchdog::SlowClientWatchdog(std::uint16_t port, std::chrono::milliseconds limit)
    : port_(port), limit_(limit), thread_([this] { watch(); }) {}

SlowClientWatchdog::~SlowClientWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_.notify_all();
  thread_.join();
}

void SlowClientWatchdog::began(int remote_port) {
  std::lock_guard lock(mutex_);
  ++busy_[remote_port];
}

void SlowClientWatchdog::ended(int remote_port) {
  std::lock_guard lock(mutex_);
  if (auto it = busy_.find(remote_port); it != busy_.end() && --it->second <= 0) busy_.erase(it);
  answered_[remote_port] = Steady::now();
}

std::uint64_t SlowClientWatchdog::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

void SlowClientWatchdog::watch() {
  std::unique_lock lock(mutex_);
  while (!stop_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stopping_; })) {
    lock.unlock();
    sweep();
    lock.lock();
  }
}

void SlowClientWatchdog::sweep() {
  auto now = Steady::now();
  auto connections = established_on(port_);
  std::vector<Established> overdue;
  {
    std::lock_guard lock(mutex_);
    std::set<unsigned long> current;
    std::set<int> ports;
    for (const auto& c : connections) {
      current.insert(c.inode);
      ports.insert(c.remote_port);
      auto [it, fresh] = seen_.try_emplace(c.inode, Seen{now});
      if (busy_.count(c.remote_port) != 0) continue;
      auto since = it->second.since;
      if (auto a = answered_.find(c.remote_port); a != answered_.end() && a->second > since)
        since = a->second;
      if (!fresh && now - since > limit_) {
        overdue.push_back(c);
        it->second.since = now;  // once: it is being shut down
      }
    }
    std::erase_if(seen_, [&](const auto& s) { return current.count(s.first) == 0; });
    std::erase_if(answered_, [&](const auto& a) { return ports.count(a.first) == 0; });
  }
  for (const auto& c : overdue) {
    int fd = descriptor_of(c.inode, port_, c.remote_port);
    if (fd < 0) continue;
    // Shut down, not closed: the library still owns the descriptor and closes it itself once
    // its read fails.
    ::shutdown(fd, SHUT_RDWR);
    std::lock_guard lock(mutex_);
    ++closed_;
  }
}

}  // namespace herd
