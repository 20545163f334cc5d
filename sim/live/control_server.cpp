#include "sim/live/control_server.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <limits>
#include <thread>

#include "sim/live/live_session.hpp"
#include "sim/live/request_guard.hpp"
#include "sim/live/slow_client_watchdog.hpp"
#include "sim/net/http_bind.hpp"

namespace herd {

namespace {
constexpr std::chrono::milliseconds batch_interval{25};

// Whether `host` can be bound on this machine: the reason as an error code if not, so a user
// reads "Cannot assign requested address" rather than a guess.
std::error_code probe_bind(const std::string& host, std::uint16_t port) {
  sockaddr_storage address{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof *v4;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof *v6;
  } else {
    return std::make_error_code(std::errc::invalid_argument);
  }
  int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {errno, std::generic_category()};
  int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  std::error_code result;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0)
    result = {errno, std::generic_category()};
  ::close(fd);
  return result;
}

}  // namespace

struct ControlServer::Impl {
  LiveSession& session;
  ControlSettings settings;
  httplib::Server server;
  std::thread thread;
  std::uint16_t port = 0;
  std::atomic<int> readers{0};
  std::unique_ptr<SlowClientWatchdog> watchdog;  // made once the port is known

  Impl(LiveSession& s, ControlSettings c) : session(s), settings(std::move(c)) {}

  [[nodiscard]] RequestGuard guard() const {
    return RequestGuard(settings.bind, port, settings.token);
  }

  static void error(httplib::Response& response, int status, const std::string& message) {
    response.status = status;
    response.set_content(error_json(message), "application/json");
  }

  // Runs a job on the runner's thread and answers with what it returns.
  void answer_with(httplib::Response& response,
                   const std::function<LiveAnswer(const LiveSession::Api&)>& job) {
    auto answer = session.call(job, std::chrono::seconds(20));
    if (!answer) return error(response, 503, "the herd is busy with a step or stopping; try again");
    response.status = answer->status;
    response.set_content(answer->body, "application/json");
  }

  // Every request passes here first: a page on another origin, a rebinding DNS name, a request
  // without the token or a form-encoded POST is answered here and goes no further.
  httplib::Server::HandlerResponse screen(const httplib::Request& request,
                                          httplib::Response& response) {
    // Its request has arrived: the watchdog leaves the connection alone until it is answered.
    if (watchdog) watchdog->began(request.remote_port);
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("Cache-Control", "no-store");
    response.set_header("X-Frame-Options", "DENY");
    RequestFacts facts;
    facts.method = request.method;
    facts.path = request.path;
    facts.host = request.get_header_value("Host");
    facts.has_origin = request.has_header("Origin");
    facts.origin = request.get_header_value("Origin");
    facts.fetch_site = request.get_header_value("Sec-Fetch-Site");
    facts.content_type = request.get_header_value("Content-Type");
    facts.token_param = request.get_param_value("token");
    facts.authorization = request.get_header_value("Authorization");
    facts.host_headers = request.get_header_value_count("Host");
    facts.chunked = request.has_header("Transfer-Encoding");
    auto verdict = guard().judge(facts);
    if (verdict.status == 0) return httplib::Server::HandlerResponse::Unhandled;
    if (verdict.status == 204) {
      response.status = 204;
      response.set_header("Allow", "GET, POST, OPTIONS");
      return httplib::Server::HandlerResponse::Handled;
    }
    error(response, verdict.status, verdict.message);
    return httplib::Server::HandlerResponse::Handled;
  }

  void routes() {
    server.set_payload_max_length(settings.max_body_bytes);
    // Slow clients hold a worker only this long; events readers are capped below, so some
    // workers are always free for the page's own requests.
    server.set_read_timeout(3, 0);
    server.set_write_timeout(5, 0);
    server.set_keep_alive_timeout(2);
    server.new_task_queue = [workers = settings.workers] {
      return new httplib::ThreadPool(workers);
    };
    // Every answer (an event stream's when it ends) is written here last.
    server.set_logger([this](const httplib::Request& request, const httplib::Response&) {
      if (watchdog) watchdog->ended(request.remote_port);
    });
    server.set_pre_routing_handler(
        [this](const httplib::Request& request, httplib::Response& response) {
          return screen(request, response);
        });
    server.Get("/", [](const httplib::Request&, httplib::Response& response) {
      // The page runs only its own inline script and talks only to this server.
      response.set_header("Content-Security-Policy",
                          "default-src 'none'; script-src 'unsafe-inline'; style-src "
                          "'unsafe-inline'; connect-src 'self'; img-src 'self' data:; "
                          "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
      response.set_content(live_page_html, "text/html; charset=utf-8");
    });
    server.Get("/api/state", [this](const httplib::Request& request, httplib::Response& response) {
      // A page asks for a few; nobody gets every record of a herd holding 200,000 clients.
      std::size_t limit = default_store_limit;
      if (request.has_param("store_limit")) {
        const auto text = request.get_param_value("store_limit");
        std::size_t value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size() || value > max_store_limit)
          return error(response, 400,
                       "store_limit: expected a whole number of records a server, at most " +
                           std::to_string(max_store_limit) + ", got \"" + text + "\"");
        limit = value;
      }
      answer_with(response, [limit](const LiveSession::Api& api) { return api.state(limit); });
    });
    server.Post("/api/steps", [this](const httplib::Request& request, httplib::Response& response) {
      auto body = request.body;
      answer_with(response, [body](const LiveSession::Api& api) { return api.steps(body); });
    });
    server.Post("/api/clock", [this](const httplib::Request& request, httplib::Response& response) {
      auto body = request.body;
      answer_with(response, [body](const LiveSession::Api& api) { return api.clock(body); });
    });
    server.Post(
        "/api/scenario", [this](const httplib::Request& request, httplib::Response& response) {
          auto body = request.body;
          answer_with(response, [body](const LiveSession::Api& api) { return api.scenario(body); });
        });
    server.Post(
        "/api/branch", [this](const httplib::Request& request, httplib::Response& response) {
          auto body = request.body;
          answer_with(response, [body](const LiveSession::Api& api) {
            if (!api.branch)
              return LiveAnswer{409, R"({"error": "this herd has no past to branch from: only a )"
                                     R"(scenario on the virtual network can branch"})"};
            return api.branch(body);
          });
        });
    server.Get("/api/events", [this](const httplib::Request& request, httplib::Response& response) {
      std::uint64_t after = 0;
      if (request.has_param("after")) {
        const auto text = request.get_param_value("after");
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), after);
        if (ec != std::errc() || end != text.data() + text.size())
          return error(response, 400, "after: expected an event number, got \"" + text + "\"");
      }
      // Each reader holds a worker for as long as it reads: past the cap, a clear refusal
      // rather than a server that stops answering.
      if (readers.fetch_add(1) >= static_cast<int>(settings.max_readers)) {
        --readers;
        return error(response, 503,
                     std::to_string(settings.max_readers) +
                         " pages already follow the events; close one and reload");
      }
      response.set_header("Cache-Control", "no-cache");
      session.watcher_joined();
      response.set_chunked_content_provider(
          "text/event-stream",
          [this, after, last = std::chrono::steady_clock::time_point()](
              std::size_t, httplib::DataSink& sink) mutable {
            if (session.stop_requested()) return false;
            // At most one batch per interval: a busy herd then wakes this thread (and the page)
            // a few dozen times a second, not once per line, and a page draws no faster anyway.
            std::this_thread::sleep_until(last + batch_interval);
            last = std::chrono::steady_clock::now();
            // One SSE event per wait: every line that arrived meanwhile, one per data: line, so a
            // busy herd costs the page one message per batch.
            std::string chunk;
            if (session.wait_lines(after, std::chrono::milliseconds(500), "data: ", chunk) == 0)
              chunk = ": idle\n\n";  // keeps proxies and the browser from timing out
            else
              chunk += "id: " + std::to_string(after) + "\n\n";
            return sink.write(chunk.data(), chunk.size());
          },
          [this](bool) {
            session.watcher_left();
            --readers;
          });
    });
  }
};

ControlServer::ControlServer(LiveSession& session, ControlSettings settings)
    : impl_(std::make_unique<Impl>(session, std::move(settings))) {}

ControlServer::~ControlServer() {
  stop();
}

std::error_code ControlServer::start() {
  auto& m = *impl_;
  if (auto ec = probe_bind(m.settings.bind, m.settings.port)) return ec;
  m.routes();
  // address_in_use here: the probe could bind a moment ago, and someone took the port since.
  m.port = m.settings.port;
  if (auto ec = bind_http_server(m.server, m.settings.bind, m.port)) return ec;
  m.watchdog = std::make_unique<SlowClientWatchdog>(m.port, m.settings.slow_client_ms);
  m.thread = std::thread([&m] { m.server.listen_after_bind(); });
  while (!m.server.is_running()) std::this_thread::yield();
  return {};
}

std::uint16_t ControlServer::port() const {
  return impl_->port;
}

std::string ControlServer::url() const {
  return control_url(impl_->settings.bind, impl_->port, impl_->settings.token);
}

void ControlServer::stop() {
  impl_->session.request_stop();
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace herd
