#include "sim/world/proxied_links.hpp"

#include "core/clock.hpp"
#include "sim/net/fault_proxy.hpp"
#include "sim/report/run_record.hpp"

namespace herd {

ProxiedLinks::ProxiedLinks(Runtime& runtime, RunRecord& record, std::uint64_t seed,
                           std::int64_t start_ns)
    : runtime_(runtime), record_(record), random_(seed), start_ns_(start_ns) {}

ProxiedLinks::~ProxiedLinks() {
  stop();
}

std::int64_t ProxiedLinks::now() const {
  return system_clock().now_ns() - start_ns_;
}

Expected<std::uint16_t> ProxiedLinks::route(const std::string& from, const std::string& to,
                                            std::uint16_t target_port) {
  return route(from, to, target_port, {});
}

Expected<std::uint16_t> ProxiedLinks::route(const std::string& from, const std::string& to,
                                            std::uint16_t target_port, ProxySockets sockets) {
  auto& proxy = proxies_[{from, to}];
  if (!proxy) {
    proxy = std::make_unique<FaultProxy>(runtime_, from, to, target_port, random_.next(),
                                         std::move(sockets));
    observe(*proxy);
    if (auto ec = proxy->start())
      return fail("cannot start the proxy " + from + " -> " + to + ": " + ec.message());
  }
  return proxy->port();
}

void ProxiedLinks::set_faults(const std::string& from, const std::string& to,
                              const LinkFaults& faults) {
  if (auto it = proxies_.find({from, to}); it != proxies_.end()) it->second->set_faults(faults);
}

void ProxiedLinks::reset(const std::string& from, const std::string& to) {
  if (auto it = proxies_.find({from, to}); it != proxies_.end()) it->second->reset_connections();
}

LinkFaults ProxiedLinks::faults(const std::string& from, const std::string& to) const {
  auto it = proxies_.find({from, to});
  return it == proxies_.end() ? LinkFaults{} : it->second->faults();
}

void ProxiedLinks::set_target_up(const std::string& server, bool up) {
  for (auto& [key, proxy] : proxies_)
    if (key.second == server) proxy->set_target_up(up);
}

void ProxiedLinks::mark_end_of_run() {
  if (ended_) return;
  ended_ = true;
  record_.end(now());
}

void ProxiedLinks::stop() {
  mark_end_of_run();
  for (auto& [key, proxy] : proxies_) proxy->stop();
  proxies_.clear();
}

// A message's id comes from its proxy's connection (numbered across every proxy) and its line on
// it: TCP keeps a connection in order, so nothing is matched by text.
void ProxiedLinks::observe(FaultProxy& proxy) {
  auto from = proxy.from(), to = proxy.to();
  auto link = proxy_count_++;
  auto number = [this, link](std::uint64_t connection) {
    std::lock_guard lock(numbers_mutex_);
    auto [it, added] = connection_numbers_.try_emplace({link, connection}, 0);
    if (added) it->second = ++connections_seen_;
    return it->second;
  };
  proxy.set_observer(
      {[this, from, to, number](std::uint64_t c, bool forward, std::string_view bytes) {
         record_.sent(now(), number(c), forward, forward ? from : to, forward ? to : from, bytes);
       },
       [this, from, to, number](std::uint64_t c, bool forward, std::string_view bytes) {
         record_.delivered(now(), number(c), forward, forward ? from : to, forward ? to : from,
                           bytes);
       },
       [this, number](std::uint64_t c, const char* why) { record_.lost(now(), number(c), why); }});
}

}  // namespace herd
