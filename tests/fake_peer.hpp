#pragma once
// A neighbour written the way some students write theirs, on plain POSIX sockets in a thread of
// its own: it accepts a connection, reads once, answers "? LINE" to each line if asked to, and
// closes (one connection per flood message). It counts the connections and keeps what it read.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace herd::test {

class FakePeer {
 public:
  explicit FakePeer(bool answer_question_marks = false) : answer_(answer_question_marks) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 64) != 0)
      throw std::runtime_error("fake peer: cannot listen");
    socklen_t size = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakePeer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  FakePeer(const FakePeer&) = delete;
  FakePeer& operator=(const FakePeer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] int connections() const { return connections_; }
  [[nodiscard]] std::string received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd ready{listener_, POLLIN, 0};
      if (::poll(&ready, 1, 20) <= 0) continue;
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      pollfd data{fd, POLLIN, 0};
      char buffer[65536];
      ssize_t n = ::poll(&data, 1, 1000) > 0 ? ::read(fd, buffer, sizeof buffer) : 0;
      if (n > 0) {
        std::string text(buffer, static_cast<std::size_t>(n));
        {
          std::lock_guard lock(mutex_);
          received_ += text;
        }
        if (answer_) {
          std::string answers;
          for (std::size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos;
               start = end + 1)
            answers += "? " + text.substr(start, end - start) + "\n";
          [[maybe_unused]] auto written = ::write(fd, answers.data(), answers.size());
        }
      }
      ::close(fd);
    }
  }

  bool answer_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  std::string received_;
  std::thread thread_;
};

}  // namespace herd::test
