#include "sim/net/line_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <utility>

namespace herd {

int connect_loopback(std::uint16_t port) {
  return connect_loopback(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port);
}

int connect_loopback(int fd, std::uint16_t port) {
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

LineClient::LineClient(std::uint16_t port) : fd_(connect_loopback(port)) {
  if (fd_ < 0) throw std::runtime_error("cannot connect to port " + std::to_string(port));
}

std::unique_ptr<LineClient> LineClient::try_connect(std::uint16_t port) {
  int fd = connect_loopback(port);
  if (fd < 0) return nullptr;
  std::unique_ptr<LineClient> client(new LineClient());
  client->fd_ = fd;
  return client;
}

std::unique_ptr<LineClient> LineClient::adopt(int fd) {
  if (fd < 0) return nullptr;
  std::unique_ptr<LineClient> client(new LineClient());
  client->fd_ = fd;
  return client;
}

LineClient::~LineClient() {
  if (fd_ >= 0) ::close(fd_);
}

void LineClient::send(std::string_view bytes) {
  if (!try_send(bytes)) throw std::runtime_error("send failed");
}

bool LineClient::try_send(std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void LineClient::shutdown_write() {
  ::shutdown(fd_, SHUT_WR);
}

bool LineClient::fill(int timeout_ms) {
  if (eof_) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return false;
  char chunk[65536];
  auto n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::optional<std::string> LineClient::read_through(std::string_view terminator, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    auto end = buffer_.find(terminator);
    if (end != std::string::npos) {
      auto out = buffer_.substr(0, end + terminator.size());
      buffer_.erase(0, end + terminator.size());
      return out;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !fill(static_cast<int>(left.count()))) return std::nullopt;
  }
}

std::optional<std::string> LineClient::read_line(int timeout_ms) {
  auto line = read_through("\n", timeout_ms);
  if (line) line->pop_back();
  return line;
}

std::optional<std::string> LineClient::read_to_eof(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!eof_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (!fill(static_cast<int>(left.count())) && !eof_) return std::nullopt;
  }
  return std::exchange(buffer_, {});
}

LineClient::Partial LineClient::read_until(std::string_view terminator, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  Partial out;
  while (true) {
    auto end = buffer_.find(terminator);
    if (end != std::string::npos) {
      out.text = buffer_.substr(0, end + terminator.size());
      buffer_.erase(0, end + terminator.size());
      return out;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !fill(static_cast<int>(left.count()))) {
      out.end = eof_ ? Partial::End::closed : Partial::End::timed_out;
      out.text = std::exchange(buffer_, {});
      return out;
    }
  }
}

bool LineClient::wait_for_more(int timeout_ms) {
  return fill(timeout_ms);
}

bool LineClient::has_data_now() {
  if (!buffer_.empty()) return true;
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

}  // namespace herd
