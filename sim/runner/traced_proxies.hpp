#pragma once
// What both runners on real sockets share: a fault proxy on every directed link they route, and
// the trace that the proxies (on the runtime's threads) and the runner (on its own) write at once.
// The in-process herd (real_runner.cpp) and herds of server processes (process_runner.cpp) use
// it alike.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/node_events.hpp"
#include "core/seeded_random.hpp"
#include "sim/faults/link_faults.hpp"
#include "sim/report/trace.hpp"
#include "sim/runner/runner.hpp"

namespace herd {

class FaultProxy;
class Runtime;

class TracedProxies {
 public:
  // Trace times count from `start_ns` on the wall clock.
  TracedProxies(Runtime& runtime, const SimOptions& options, std::uint64_t seed,
                std::int64_t start_ns);
  ~TracedProxies();
  TracedProxies(const TracedProxies&) = delete;
  TracedProxies& operator=(const TracedProxies&) = delete;

  // --- the links -------------------------------------------------------------------------
  // The proxy for from -> to, forwarding to 127.0.0.1:target_port, made and started on first
  // use: its port, or why it could not start.
  std::variant<std::uint16_t, std::string> route(const std::string& from, const std::string& to,
                                                 std::uint16_t target_port);
  void change(const std::string& from, const std::string& to,
              const std::function<void(LinkFaults&)>& change);
  void reset(const std::string& from, const std::string& to);
  [[nodiscard]] LinkFaults faults(const std::string& from, const std::string& to) const;
  // Connections to a crashed server are refused through its proxies, as without them.
  void set_target_up(const std::string& node, bool up);
  [[nodiscard]] bool empty() const { return proxies_.empty(); }
  // The run is over: what is lost from now on (the herd stopping) is lost "end of run".
  void mark_end_of_run();
  // Closes every proxy (marking the end of the run if not yet marked).
  void stop();

  // --- the trace, from any thread ----------------------------------------------------------
  [[nodiscard]] bool tracing() const { return trace_.enabled(); }
  void event(std::string_view kind, const std::string& text);
  void node_event(const NodeEvent& e);
  void keep_messages(bool keep);
  // Every message so far, those still on their way when stop() ran marked "end of run".
  [[nodiscard]] std::vector<TracedMessage> take_messages();

 private:
  [[nodiscard]] std::int64_t now() const;
  void observe(FaultProxy& proxy);

  Runtime& runtime_;
  SeededRandom random_;  // the proxies' jitter seeds
  std::int64_t start_ns_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<FaultProxy>> proxies_;
  mutable std::mutex trace_mutex_;
  Trace trace_;
  std::size_t proxy_count_ = 0;
  std::map<std::pair<std::size_t, std::uint64_t>, std::uint64_t> connection_numbers_;
  std::uint64_t connections_seen_ = 0;
  std::int64_t stopped_ns_ = 0;
};

}  // namespace herd
