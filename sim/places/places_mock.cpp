#include "sim/places/places_mock.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "core/ephemeral_ports.hpp"
#include "core/places_client.hpp"
#include "sim/net/http_bind.hpp"
#include "sim/places/places_body.hpp"

namespace herd {

inline constexpr const char* nearby_path = "/maps/api/place/nearbysearch/json";
inline constexpr const char* search_nearby_path = "/v1/places:searchNearby";

struct PlacesMock::Impl {
  std::string host;
  std::uint16_t port = 0;
  std::optional<MockTls> tls;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  mutable std::mutex mutex;
  std::condition_variable wake;  // ends latency and silence early when the mock stops
  PlacesFaults faults;
  bool stopping = false;
  std::atomic<std::uint64_t> requests{0};
  std::set<std::pair<std::string, int>> peers;  // guarded by `mutex`
  std::optional<SeenRequest> last;              // guarded by `mutex`

  // Waits out a fault; false if the mock is stopping.
  bool wait_for(std::chrono::milliseconds delay) {
    std::unique_lock lock(mutex);
    return !wake.wait_for(lock, delay, [this] { return stopping; });
  }

  // The faults now, once latency has passed; nullopt when the answer is silence.
  std::optional<PlacesFaults> arrive(const httplib::Request& request) {
    ++requests;
    PlacesFaults now;
    {
      std::lock_guard lock(mutex);
      now = faults;
      peers.emplace(request.remote_addr, request.remote_port);
      auto header = [&](const char* name) {
        return request.has_header(name) ? request.get_header_value(name) : std::string();
      };
      last = SeenRequest{request.method,           request.target,
                         header("X-Goog-Api-Key"), header("X-Goog-FieldMask"),
                         header("Content-Type"),   request.body};
    }
    if (now.latency_ms > 0 && !wait_for(std::chrono::milliseconds(now.latency_ms)))
      return std::nullopt;
    if (now.silent) {
      // Long past any client's timeout; the mock's stop() cuts it short.
      wait_for(std::chrono::minutes(10));
      return std::nullopt;
    }
    return now;
  }

  static std::optional<std::string> param(const httplib::Request& request, const char* name) {
    if (!request.has_param(name)) return std::nullopt;
    return request.get_param_value(name);
  }

  void answer(const httplib::Request& request, httplib::Response& response) {
    auto now = arrive(request);
    if (!now) return;
    auto answer = mock_places_answer(param(request, "location"), param(request, "radius"), *now);
    response.status = answer.status;
    response.set_content(answer.body,
                         answer.status == 200 ? "application/json; charset=UTF-8" : "text/plain");
  }

  // Places API (New): the key and field mask come as headers or as ?key= and ?fields=.
  void answer_search_nearby(const httplib::Request& request, httplib::Response& response) {
    auto now = arrive(request);
    if (!now) return;
    auto header_or = [&](const char* header,
                         std::initializer_list<const char*> params) -> std::optional<std::string> {
      if (request.has_header(header)) return request.get_header_value(header);
      for (const auto* name : params)
        if (auto value = param(request, name)) return value;
      return std::nullopt;
    };
    auto answer =
        mock_search_nearby_answer(request.body, header_or("X-Goog-Api-Key", {"key", "$key"}),
                                  header_or("X-Goog-FieldMask", {"fields", "$fields"}), *now);
    response.status = answer.status;
    response.set_content(answer.body, "application/json; charset=UTF-8");
  }
};

std::string mock_start_error(std::uint16_t port, std::error_code ec) {
  std::string text =
      "cannot start the mock Places on port " + std::to_string(port) + ": " + ec.message();
  const auto range = ephemeral_port_range();
  if (ec == std::errc::address_in_use && range.contains(port))
    text += " (" + std::to_string(port) + " is in the kernel's range for outgoing connections, " +
            std::to_string(range.low) + "-" + std::to_string(range.high) +
            ", where any connection may take it and hold it for a minute after it closes: pick "
            "a port below " +
            std::to_string(range.low) + ")";
  return text;
}

PlacesMock::PlacesMock(std::string host, std::uint16_t port, std::optional<MockTls> tls)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->tls = std::move(tls);
}

PlacesMock::~PlacesMock() {
  stop();
}

std::error_code PlacesMock::start() {
  auto& m = *impl_;
  if (m.tls) {
    m.server =
        std::make_unique<httplib::SSLServer>(m.tls->cert_file.c_str(), m.tls->key_file.c_str());
    if (!m.server->is_valid()) return std::make_error_code(std::errc::invalid_argument);
  } else {
    m.server = std::make_unique<httplib::Server>();
  }
  // Herd's Places clients keep connections alive, and httplib gives every open connection a
  // thread of its own until it is closed or idle for the keep-alive timeout. Enough threads for
  // five servers' idle connections keep a busy herd from queueing behind idle ones; like Google,
  // the mock does not cap requests per connection.
  m.server->new_task_queue = [] {
    return new httplib::ThreadPool(5 * PlacesClient::max_idle_connections + 16);
  };
  m.server->set_keep_alive_max_count(1'000'000);
  m.server->set_keep_alive_timeout(2);
  // On a kept-alive connection Nagle's algorithm would hold the body behind the headers until
  // the client's delayed ACK (tens of milliseconds).
  m.server->set_tcp_nodelay(true);
  m.server->Get(nearby_path, [&m](const httplib::Request& request, httplib::Response& response) {
    m.answer(request, response);
  });
  m.server->Post(search_nearby_path,
                 [&m](const httplib::Request& request, httplib::Response& response) {
                   m.answer_search_nearby(request, response);
                 });
  if (auto ec = bind_http_server(*m.server, m.host, m.port)) return ec;
  m.thread = std::thread([&m] { m.server->listen_after_bind(); });
  // httplib 0.11 has no wait_until_ready(); a stop() before the loop runs would be lost, so wait
  // for the flag it sets first thing.
  while (!m.server->is_running()) std::this_thread::yield();
  return {};
}

void PlacesMock::stop() {
  auto& m = *impl_;
  {
    std::lock_guard lock(m.mutex);
    m.stopping = true;
  }
  m.wake.notify_all();
  if (m.server) m.server->stop();
  if (m.thread.joinable()) m.thread.join();
}

std::uint16_t PlacesMock::port() const {
  return impl_->port;
}

std::string PlacesMock::url() const {
  return std::string(impl_->tls ? "https://" : "http://") + impl_->host + ":" +
         std::to_string(impl_->port) + nearby_path;
}

std::string PlacesMock::search_nearby_url() const {
  return std::string(impl_->tls ? "https://" : "http://") + impl_->host + ":" +
         std::to_string(impl_->port) + search_nearby_path;
}

void PlacesMock::set_faults(const PlacesFaults& faults) {
  std::lock_guard lock(impl_->mutex);
  impl_->faults = faults;
}

PlacesFaults PlacesMock::faults() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->faults;
}

std::uint64_t PlacesMock::requests() const {
  return impl_->requests.load();
}

std::optional<SeenRequest> PlacesMock::last_request() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last;
}

std::size_t PlacesMock::connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->peers.size();
}

}  // namespace herd
