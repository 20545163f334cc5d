#pragma once
// A scenario client's connection over real loopback TCP, for the worlds on real sockets.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sim/net/line_client.hpp"
#include "sim/world/world.hpp"

namespace herd {

class LineConnection final : public ClientConnection {
 public:
  explicit LineConnection(std::unique_ptr<LineClient> client) : client_(std::move(client)) {}
  bool send(const std::string& bytes) override { return client_->try_send(bytes); }
  std::optional<std::string> read_through(std::string_view end, int timeout_ms) override {
    return client_->read_through(end, timeout_ms);
  }

 private:
  std::unique_ptr<LineClient> client_;
};

}  // namespace herd
