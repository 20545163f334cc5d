#pragma once
// The live view of one process's run, as `herd sim --serve`, `--replay` and `herd up --control`
// serve it: the session, its HTTP side (control_server.hpp) with a fresh token unless asked for
// none, and a stop on SIGINT or SIGTERM. Make it before any other thread starts: it blocks those
// signals for every thread but the one that waits for them.

#include <memory>
#include <string>

#include "core/expected.hpp"
#include "sim/live/control_server.hpp"
#include "sim/live/live_session.hpp"

namespace herd {

struct SimOptions;

class LiveServer {
 public:
  // Listens as `settings` say (its token is made here unless `open`), or says why it cannot.
  [[nodiscard]] static Expected<std::unique_ptr<LiveServer>> start(ControlSettings settings,
                                                                   bool open);
  ~LiveServer();
  LiveServer(const LiveServer&) = delete;
  LiveServer& operator=(const LiveServer&) = delete;

  [[nodiscard]] LiveSession& session() { return session_; }
  // The page's address, with the token; "(no token: --control-open)" said after it when open.
  [[nodiscard]] std::string address() const;
  // Points a run's events and live view at this server.
  void serve(SimOptions& options);

 private:
  LiveServer() = default;
  LiveSession session_;
  std::unique_ptr<ControlServer> server_;
  bool open_ = false;
};

}  // namespace herd
