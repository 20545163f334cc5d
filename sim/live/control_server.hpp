#pragma once
// The live view's HTTP side: cpp-httplib on a thread of its own, never on the herd's io_context.
//   GET  /            the page (one self-contained file)
//   GET  /api/state   servers, links and their faults, each server's store (?store_limit=N: its
//                     N newest, 100 unless asked, at most 10,000), counters, watchers
//   GET  /api/events  server-sent events, one "data:" line per trace line, a batch per 25 ms
//   POST /api/steps   one scenario step or an array of them; 400 names what is wrong
//   POST /api/clock   the virtual network's clock: {"paused": B}, {"speed": X}, {"step": N}
//   POST /api/branch  {"at_s": T, "steps": ...}: the run replayed to T, the steps taken there
// It listens on 127.0.0.1 unless told otherwise. Every request passes request_guard.hpp first:
// only the page's own origin is served, and with a token (always, unless --control-open) every
// /api/ request must carry it ("?token=TOKEN" or "Authorization: Bearer TOKEN").

#include <chrono>
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
  // Each request holds a worker while it lasts, and an events reader holds one for as long as
  // it reads: readers are capped below the workers, so the page's own requests always find one.
  std::size_t workers = 48;
  std::size_t max_readers = 16;
  // A connection that has not finished a request this long after it opened (or after its last
  // answer) is shut down (slow_client_watchdog.hpp): a trickle of header lines holds no worker.
  std::chrono::milliseconds slow_client_ms{5000};
};

class ControlServer {
 public:
  ControlServer(LiveSession& session, ControlSettings settings);
  ~ControlServer();  // stops it
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Why it cannot listen ("Cannot assign requested address", "Address already in use").
  [[nodiscard]] std::error_code start();
  [[nodiscard]] std::uint16_t port() const;
  // The page's address with the token, to print.
  [[nodiscard]] std::string url() const;
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The page, served at "/": plain JavaScript and SVG, nothing loaded from elsewhere.
extern const char* const live_page_html;

}  // namespace herd
