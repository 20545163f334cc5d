#include "tools/bench/closed_loop.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "sim/net/line_client.hpp"
#include "sim/report/metrics.hpp"

namespace herd::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct Connection {
  int fd = -1;
  std::uint64_t sent = 0;
  std::string pending;  // the reply read so far
  SteadyClock::time_point asked;
};

// "IAMAT c3-17 +34.068930-118.445127 1700000000.123456789\n"
std::size_t make_request(char* out, std::size_t size, const ClosedLoop& load, int connection,
                         std::uint64_t n) {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  auto id = load.clients == Clients::reused ? n % 64 : n;
  int len = std::snprintf(out, size, "IAMAT %s%d-%llu +34.068930-118.445127 %lld.%09ld\n",
                          load.tag.c_str(), connection, static_cast<unsigned long long>(id),
                          static_cast<long long>(now.tv_sec), now.tv_nsec);
  return len > 0 ? static_cast<std::size_t>(len) : 0;
}

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    auto n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

LoadResult run_closed_loop(const ClosedLoop& load) {
  LoadResult result;
  std::vector<Connection> connections(static_cast<std::size_t>(load.connections));
  int epoll = ::epoll_create1(0);
  char request[160];
  std::vector<double> latencies_us;
  latencies_us.reserve(1 << 20);
  auto start = SteadyClock::now();
  auto end = start + load.duration;
  for (int c = 0; c < load.connections; ++c) {
    auto& conn = connections[static_cast<std::size_t>(c)];
    conn.fd = connect_loopback(load.port);
    if (conn.fd < 0) {
      result.error = "cannot connect to port " + std::to_string(load.port);
      break;
    }
    epoll_event interest{};
    interest.events = EPOLLIN;
    interest.data.u32 = static_cast<std::uint32_t>(c);
    ::epoll_ctl(epoll, EPOLL_CTL_ADD, conn.fd, &interest);
    conn.asked = SteadyClock::now();
    if (!send_all(conn.fd, request, make_request(request, sizeof request, load, c, conn.sent++)))
      result.error = "cannot send";
  }
  std::size_t open = result.error.empty() ? connections.size() : 0;
  epoll_event events[256];
  char buffer[65536];
  while (open > 0) {
    int ready = ::epoll_wait(epoll, events, 256, 1000);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      result.error = "no reply within 1 s";
      break;
    }
    auto now = SteadyClock::now();
    for (int i = 0; i < ready; ++i) {
      auto c = static_cast<int>(events[i].data.u32);
      auto& conn = connections[static_cast<std::size_t>(c)];
      auto n = ::recv(conn.fd, buffer, sizeof buffer, 0);
      if (n <= 0) {
        result.error = "the server closed a connection";
        ::epoll_ctl(epoll, EPOLL_CTL_DEL, conn.fd, nullptr);
        --open;
        continue;
      }
      conn.pending.append(buffer, static_cast<std::size_t>(n));
      if (conn.pending.find('\n') == std::string::npos) continue;
      conn.pending.clear();
      latencies_us.push_back(std::chrono::duration<double, std::micro>(now - conn.asked).count());
      if (now >= end) {
        ::epoll_ctl(epoll, EPOLL_CTL_DEL, conn.fd, nullptr);
        --open;
        continue;
      }
      conn.asked = SteadyClock::now();
      if (!send_all(conn.fd, request,
                    make_request(request, sizeof request, load, c, conn.sent++))) {
        result.error = "cannot send";
        ::epoll_ctl(epoll, EPOLL_CTL_DEL, conn.fd, nullptr);
        --open;
      }
    }
  }
  double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
  for (auto& conn : connections)
    if (conn.fd >= 0) ::close(conn.fd);
  ::close(epoll);
  std::sort(latencies_us.begin(), latencies_us.end());
  result.requests = latencies_us.size();
  result.per_second = static_cast<double>(latencies_us.size()) / elapsed;
  result.p50_us = quantile(latencies_us, 0.5);
  result.p99_us = quantile(latencies_us, 0.99);
  return result;
}

}  // namespace herd::bench
