#include "sim/live/live_server.hpp"

#include <pthread.h>
#include <signal.h>

#include <thread>

#include "core/peer_auth.hpp"
#include "sim/run/run_scenario.hpp"

namespace herd {

Expected<std::unique_ptr<LiveServer>> LiveServer::start(ControlSettings settings, bool open) {
  // Blocked before any thread starts, so only the watcher below takes them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::unique_ptr<LiveServer> live(new LiveServer());
  live->open_ = open;
  // Any web page the user opens could otherwise drive the herd: the token is in the printed
  // address, and nowhere a page on another origin can read it.
  if (!open) settings.token = random_nonce();
  const auto where = settings.bind + ":" + std::to_string(settings.port);
  live->server_ = std::make_unique<ControlServer>(live->session_, std::move(settings));
  if (auto ec = live->server_->start())
    return fail("cannot serve the live view on " + where + ": " + ec.message());
  std::thread([signals, session = &live->session_]() mutable {
    int which = 0;
    sigwait(&signals, &which);
    session->request_stop();
  }).detach();
  return live;
}

LiveServer::~LiveServer() {
  if (server_) server_->stop();
}

std::string LiveServer::address() const {
  return server_->url() + (open_ ? " (no token: --control-open)" : "");
}

void LiveServer::serve(SimOptions& options) {
  options.live_view = &session_;
  options.trace_listener = [this](std::string_view line) { session_.publish(line); };
  options.trace_listening = [this] { return session_.wants_lines(); };
}

}  // namespace herd
