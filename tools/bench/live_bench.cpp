#include "tools/bench/live_bench.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "sim/net/line_client.hpp"
#include "tools/bench/child_process.hpp"
#include "tools/bench/closed_loop.hpp"

namespace herd::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Follows /api/events on its own thread, as fast as the herd sends, counting the event lines.
class EventReader {
 public:
  EventReader(std::uint16_t control_port, const std::string& token)
      : fd_(connect_loopback(control_port)) {
    if (fd_ < 0) return;
    timeval tick{0, 100'000};  // wakes to see whether it should stop
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
    std::string request = "GET /api/events?token=" + token +
                          " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(control_port) +
                          "\r\n\r\n";
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) < 0) return;
    thread_ = std::thread([this] { read(); });
  }
  ~EventReader() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  [[nodiscard]] bool connected() const { return thread_.joinable(); }
  [[nodiscard]] std::size_t lines() const { return lines_.load(); }

 private:
  void read() {
    char buffer[65536];
    std::string tail;  // an unfinished "data: " prefix across two reads
    while (!stop_) {
      auto n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n == 0) return;
      if (n < 0) continue;  // the tick, or an interrupted read
      tail.append(buffer, static_cast<std::size_t>(n));
      std::size_t counted = 0, at = 0;
      while ((at = tail.find("\ndata: ", at)) != std::string::npos) {
        ++counted;
        at += 7;
      }
      lines_ += counted;
      tail.erase(0, tail.size() > 7 ? tail.size() - 7 : 0);
    }
  }

  int fd_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> lines_{0};
};

bool on_path(const std::string& program) {
  if (program.empty()) return false;
  std::istringstream path(std::getenv("PATH") ? std::getenv("PATH") : "");
  std::string dir;
  while (std::getline(path, dir, ':'))
    if (::access((std::filesystem::path(dir) / program).c_str(), X_OK) == 0) return true;
  return false;
}

// `herd up --control` says how many follow its events in /api/state ("watchers": N).
int watchers(std::uint16_t control_port, const std::string& token) {
  auto fd = connect_loopback(control_port);
  if (fd < 0) return -1;
  std::string request = "GET /api/state?store_limit=0&token=" + token +
                        " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(control_port) +
                        "\r\nConnection: close\r\n\r\n";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  timeval limit{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  std::string reply;
  char buffer[65536];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
    reply.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  auto at = reply.find("\"watchers\":");
  return at == std::string::npos ? -1 : std::atoi(reply.c_str() + at + 11);
}

// Polls until `done` or the deadline: a process starting up gives no event to wait on.
bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

bool log_says(const std::string& log, const std::string& text) {
  std::ifstream in(log);
  std::stringstream all;
  all << in.rdbuf();
  return all.str().find(text) != std::string::npos;
}

// The control API's token, from the address `herd up --control` printed.
std::string printed_token(const std::string& log) {
  std::ifstream in(log);
  std::stringstream all;
  all << in.rdbuf();
  auto text = all.str();
  auto at = text.find("?token=");
  if (at == std::string::npos) return {};
  auto end = text.find_first_not_of("0123456789abcdef", at + 7);
  return text.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7);
}

WatchedLoad median(std::vector<WatchedLoad> runs) {
  if (runs.empty()) return {};
  std::sort(runs.begin(), runs.end(),
            [](const WatchedLoad& a, const WatchedLoad& b) { return a.per_second < b.per_second; });
  return runs[runs.size() / 2];
}

}  // namespace

LiveCost measure_live_cost(const LiveBenchSettings& settings) {
  LiveCost cost;
  std::filesystem::create_directories(settings.dir);
  int tag = 0;
  auto load = [&](const ChildProcess& herd, std::uint16_t port, const EventReader* reader) {
    ClosedLoop loop;
    loop.port = port;
    loop.connections = settings.connections;
    loop.duration = settings.duration;
    loop.tag = "live" + std::to_string(tag++) + "c";
    auto cpu_before = herd.cpu_us();
    auto lines_before = reader ? reader->lines() : 0;
    auto result = run_closed_loop(loop);
    WatchedLoad out;
    if (!result.error.empty()) cost.error = result.error;
    if (result.requests == 0) return out;
    auto requests = static_cast<double>(result.requests);
    out.per_second = result.per_second;
    out.p99_us = result.p99_us;
    out.herd_cpu_us_per_update = (herd.cpu_us() - cpu_before) / requests;
    if (reader)
      out.lines_per_update = static_cast<double>(reader->lines() - lines_before) / requests;
    return out;
  };

  {
    settings.say("live view cost: herd up, no proxies and no live view");
    auto base = free_port_block(6);
    ChildProcess herd({"up", "--base-port", std::to_string(base), "--places-port",
                       std::to_string(base + 5), "--log-dir", settings.dir + "/plain-logs"},
                      settings.dir + "/plain.out");
    if (!herd.wait_for_port(static_cast<std::uint16_t>(base + 3), 10'000)) {
      cost.error = "herd up did not start (see " + settings.dir + "/plain.out)";
      return cost;
    }
    std::vector<WatchedLoad> runs;
    for (int round = 0; round < settings.rounds; ++round)
      runs.push_back(load(herd, static_cast<std::uint16_t>(base + 3), nullptr));
    cost.plain = median(runs);
  }

  auto base = free_port_block(7);
  auto clark = static_cast<std::uint16_t>(base + 3);
  auto control = static_cast<std::uint16_t>(base + 6);
  auto log = settings.dir + "/control.out";
  ChildProcess herd(
      {"up", "--base-port", std::to_string(base), "--places-port", std::to_string(base + 5),
       "--control", std::to_string(control), "--log-dir", settings.dir + "/control-logs"},
      log);
  // It prints the page's address once every link is up through its proxy.
  if (!poll_until([&] { return log_says(log, "live view: "); }, std::chrono::seconds(30))) {
    cost.error = "herd up --control did not come up (see " + log + ")";
    return cost;
  }
  const auto token = printed_token(log);
  const bool browser = on_path(settings.browser);
  if (!browser) cost.no_page = settings.browser + " is not on PATH";
  std::vector<WatchedLoad> unwatched, read, page;
  for (int round = 0; round < settings.rounds && cost.error.empty(); ++round) {
    settings.say("live view cost: herd up --control, round " + std::to_string(round + 1) + " of " +
                 std::to_string(settings.rounds) + ": nobody watching, a reader, the page");
    unwatched.push_back(load(herd, clark, nullptr));
    {
      EventReader reader(control, token);
      if (!reader.connected() ||
          !poll_until([&] { return watchers(control, token) >= 1; }, std::chrono::seconds(10))) {
        cost.error = "the event reader did not connect";
        break;
      }
      read.push_back(load(herd, clark, &reader));
    }
    // The reader's leaving is seen when the herd next writes to it; the page must be alone.
    poll_until([&] { return watchers(control, token) == 0; }, std::chrono::seconds(5));
    if (!browser) continue;
    auto profile = settings.dir + "/browser-profile";
    auto chromium =
        ChildProcess::external(settings.browser,
                               {"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                "--user-data-dir=" + profile,
                                "http://127.0.0.1:" + std::to_string(control) + "/?token=" + token},
                               settings.dir + "/browser.out");
    if (!chromium.running() ||
        !poll_until([&] { return watchers(control, token) >= 1; }, std::chrono::seconds(30))) {
      cost.no_page = "the page did not open in " + settings.browser + " within 30 s (see " +
                     settings.dir + "/browser.out)";
      continue;
    }
    page.push_back(load(herd, clark, nullptr));
    chromium.stop();
    poll_until([&] { return watchers(control, token) == 0; }, std::chrono::seconds(5));
  }
  cost.unwatched = median(unwatched);
  cost.reader = median(read);
  if (!page.empty()) cost.page = median(page);
  return cost;
}

}  // namespace herd::bench
