#include "sim/live/control_server.hpp"

#include <httplib.h>

#include <charconv>
#include <chrono>
#include <limits>
#include <thread>

#include "sim/live/live_session.hpp"

namespace herd {

namespace {
constexpr std::chrono::milliseconds batch_interval{25};
}  // namespace

struct ControlServer::Impl {
  LiveSession& session;
  ControlSettings settings;
  httplib::Server server;
  std::thread thread;
  std::uint16_t port = 0;

  Impl(LiveSession& s, ControlSettings c) : session(s), settings(std::move(c)) {}

  bool authorized(const httplib::Request& request) const {
    if (settings.token.empty()) return true;
    if (request.get_param_value("token") == settings.token) return true;
    return request.get_header_value("Authorization") == "Bearer " + settings.token;
  }

  static void error(httplib::Response& response, int status, const std::string& message) {
    std::string escaped;
    for (char c : message) {
      if (c == '"' || c == '\\') escaped.push_back('\\');
      if (static_cast<unsigned char>(c) < 0x20) continue;
      escaped.push_back(c);
    }
    response.status = status;
    response.set_content("{\"error\": \"" + escaped + "\"}\n", "application/json");
  }

  // Runs a job on the runner's thread and answers with what it returns.
  void answer_with(httplib::Response& response,
                   const std::function<LiveAnswer(const LiveSession::Api&)>& job) {
    auto answer = session.call(job, std::chrono::seconds(20));
    if (!answer) return error(response, 503, "the herd is busy with a step or stopping; try again");
    response.status = answer->status;
    response.set_content(answer->body, "application/json");
  }

  void routes() {
    server.set_payload_max_length(settings.max_body_bytes);
    server.Get("/", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(live_page_html, "text/html; charset=utf-8");
    });
    server.Get("/api/state", [this](const httplib::Request& request, httplib::Response& response) {
      if (!authorized(request)) return error(response, 401, "a token is needed: ?token=TOKEN");
      std::size_t limit = std::numeric_limits<std::size_t>::max();
      if (request.has_param("store_limit")) {
        const auto text = request.get_param_value("store_limit");
        std::size_t value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size())
          return error(
              response, 400,
              "store_limit: expected a whole number of records a server, got \"" + text + "\"");
        limit = value;
      }
      answer_with(response, [limit](const LiveSession::Api& api) { return api.state(limit); });
    });
    server.Post("/api/steps", [this](const httplib::Request& request, httplib::Response& response) {
      if (!authorized(request)) return error(response, 401, "a token is needed: ?token=TOKEN");
      auto body = request.body;
      answer_with(response, [body](const LiveSession::Api& api) { return api.steps(body); });
    });
    server.Post("/api/clock", [this](const httplib::Request& request, httplib::Response& response) {
      if (!authorized(request)) return error(response, 401, "a token is needed: ?token=TOKEN");
      auto body = request.body;
      answer_with(response, [body](const LiveSession::Api& api) { return api.clock(body); });
    });
    server.Get("/api/events", [this](const httplib::Request& request, httplib::Response& response) {
      if (!authorized(request)) return error(response, 401, "a token is needed: ?token=TOKEN");
      std::uint64_t after = 0;
      if (request.has_param("after"))
        after = std::strtoull(request.get_param_value("after").c_str(), nullptr, 10);
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
          [this](bool) { session.watcher_left(); });
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
  m.routes();
  if (m.settings.port == 0) {
    int port = m.server.bind_to_any_port(m.settings.bind);
    if (port <= 0) return std::make_error_code(std::errc::address_not_available);
    m.port = static_cast<std::uint16_t>(port);
  } else if (!m.server.bind_to_port(m.settings.bind, m.settings.port)) {
    return std::make_error_code(std::errc::address_in_use);
  } else {
    m.port = m.settings.port;
  }
  m.thread = std::thread([&m] { m.server.listen_after_bind(); });
  while (!m.server.is_running()) std::this_thread::yield();
  return {};
}

std::uint16_t ControlServer::port() const {
  return impl_->port;
}

void ControlServer::stop() {
  impl_->session.request_stop();
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace herd
