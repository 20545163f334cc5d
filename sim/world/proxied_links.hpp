#pragma once
// The links of a herd on real sockets: a fault proxy on every directed link, made as the herd is
// routed through them, and what crosses them reported to the run's record (the proxies run on a
// runtime's threads). Both worlds on real sockets use it: Herd's nodes in this process, and
// server processes. Times are wall-clock nanoseconds since `start_ns`.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/expected.hpp"
#include "core/seeded_random.hpp"
#include "sim/net/fault_proxy.hpp"
#include "sim/world/world.hpp"

namespace herd {

class Runtime;
class RunRecord;

class ProxiedLinks final : public Links {
 public:
  // `record` outlives it.
  ProxiedLinks(Runtime& runtime, RunRecord& record, std::uint64_t seed, std::int64_t start_ns);
  ~ProxiedLinks() override;
  ProxiedLinks(const ProxiedLinks&) = delete;
  ProxiedLinks& operator=(const ProxiedLinks&) = delete;

  // The proxy for from -> to, forwarding to 127.0.0.1:target_port, made and started on first
  // use: its port, or why it could not start.
  [[nodiscard]] Expected<std::uint16_t> route(const std::string& from, const std::string& to,
                                              std::uint16_t target_port);
  // The same, with the proxy's sockets made where `sockets` says (inside the servers' network
  // namespaces) and listening on its port.
  [[nodiscard]] Expected<std::uint16_t> route(const std::string& from, const std::string& to,
                                              std::uint16_t target_port, ProxySockets sockets);
  // Connections to a crashed server are refused through its proxies, as without them.
  void set_target_up(const std::string& server, bool up);
  // Set when no proxy sits on the links (servers whose ports are fixed in their code).
  void no_proxies(std::string why) { no_proxies_ = std::move(why); }
  // Time on the record's clock.
  [[nodiscard]] std::int64_t now() const;
  // The run is over: what is lost from now on is lost to its end.
  void mark_end_of_run();
  // Closes every proxy (marking the end of the run if not yet marked).
  void stop();

  // Links
  [[nodiscard]] LinkFaults faults(const std::string& from, const std::string& to) const override;
  void set_faults(const std::string& from, const std::string& to,
                  const LinkFaults& faults) override;
  void reset(const std::string& from, const std::string& to) override;
  [[nodiscard]] std::vector<std::string> held_lines(const std::string&,
                                                    const std::string&) const override {
    return {};
  }
  bool release_one_line(const std::string&, const std::string&) override { return false; }
  [[nodiscard]] std::optional<std::string> why_no_faults() const override { return no_proxies_; }

 private:
  void observe(FaultProxy& proxy);

  Runtime& runtime_;
  RunRecord& record_;
  SeededRandom random_;  // the proxies' jitter seeds
  std::int64_t start_ns_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<FaultProxy>> proxies_;
  std::size_t proxy_count_ = 0;
  std::mutex numbers_mutex_;
  std::map<std::pair<std::size_t, std::uint64_t>, std::uint64_t> connection_numbers_;
  std::uint64_t connections_seen_ = 0;
  bool ended_ = false;
  std::optional<std::string> no_proxies_;
};

}  // namespace herd
