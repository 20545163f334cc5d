#pragma once
// The live view's HTTP side: cpp-httplib on a thread of its own, never on the herd's io_context.
//   GET  /            the page (one self-contained file)
//   GET  /api/state   servers, links and their faults, each server's store (?store_limit=N: its
//                     N newest), counters, watchers
//   GET  /api/events  server-sent events, one "data:" line per trace line, a batch per 25 ms
//   POST /api/steps   one scenario step or an array of them; 400 names what is wrong
//   POST /api/clock   the virtual network's clock: {"paused": B}, {"speed": X}, {"step": N}
// It listens on 127.0.0.1 unless told otherwise; with a token, every /api/ request must carry it
// (an "Authorization: Bearer TOKEN" header or "?token=TOKEN").

#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

namespace herd {

class LiveSession;

struct ControlSettings {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port
  std::string token;       // empty: none needed
  std::size_t max_body_bytes = 64 * 1024;
};

class ControlServer {
 public:
  ControlServer(LiveSession& session, ControlSettings settings);
  ~ControlServer();  // stops it
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  [[nodiscard]] std::error_code start();
  [[nodiscard]] std::uint16_t port() const;
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The page, served at "/": plain JavaScript and SVG, nothing loaded from elsewhere.
extern const char* const live_page_html;

}  // namespace herd
