#include "sim/runner/traced_proxies.hpp"

#include "core/clock.hpp"
#include "sim/net/fault_proxy.hpp"

namespace herd {

TracedProxies::TracedProxies(Runtime& runtime, const SimOptions& options, std::uint64_t seed,
                             std::int64_t start_ns)
    : runtime_(runtime), random_(seed), start_ns_(start_ns), trace_(options.trace, true) {
  trace_.set_listener(options.trace_listener, options.trace_listening);
}

TracedProxies::~TracedProxies() {
  stop();
}

std::int64_t TracedProxies::now() const {
  return system_clock().now_ns() - start_ns_;
}

std::variant<std::uint16_t, std::string> TracedProxies::route(const std::string& from,
                                                              const std::string& to,
                                                              std::uint16_t target_port) {
  auto& proxy = proxies_[{from, to}];
  if (!proxy) {
    proxy = std::make_unique<FaultProxy>(runtime_, from, to, target_port, random_.next());
    observe(*proxy);
    if (auto ec = proxy->start())
      return "cannot start the proxy " + from + " -> " + to + ": " + ec.message();
  }
  return proxy->port();
}

void TracedProxies::change(const std::string& from, const std::string& to,
                           const std::function<void(LinkFaults&)>& change) {
  auto it = proxies_.find({from, to});
  if (it == proxies_.end()) return;
  auto faults = it->second->faults();
  change(faults);
  it->second->set_faults(faults);
}

void TracedProxies::reset(const std::string& from, const std::string& to) {
  if (auto it = proxies_.find({from, to}); it != proxies_.end()) it->second->reset_connections();
}

LinkFaults TracedProxies::faults(const std::string& from, const std::string& to) const {
  auto it = proxies_.find({from, to});
  return it == proxies_.end() ? LinkFaults{} : it->second->faults();
}

void TracedProxies::set_target_up(const std::string& node, bool up) {
  for (auto& [key, proxy] : proxies_)
    if (key.second == node) proxy->set_target_up(up);
}

void TracedProxies::mark_end_of_run() {
  std::lock_guard lock(trace_mutex_);
  if (stopped_ns_ == 0) stopped_ns_ = now();
}

void TracedProxies::stop() {
  mark_end_of_run();
  for (auto& [key, proxy] : proxies_) proxy->stop();
  proxies_.clear();
}

void TracedProxies::event(std::string_view kind, const std::string& text) {
  if (!trace_.enabled()) return;
  std::lock_guard lock(trace_mutex_);
  trace_.event(now(), kind, text);
}

void TracedProxies::node_event(const NodeEvent& e) {
  if (!trace_.enabled()) return;
  std::lock_guard lock(trace_mutex_);
  trace_.node_event(now(), e);
}

void TracedProxies::keep_messages(bool keep) {
  std::lock_guard lock(trace_mutex_);
  trace_.keep_messages(keep);
}

std::vector<TracedMessage> TracedProxies::take_messages() {
  std::lock_guard lock(trace_mutex_);
  auto messages = trace_.take_messages();
  herd::mark_end_of_run(messages, stopped_ns_ == 0 ? now() : stopped_ns_);
  return messages;
}

// A message's id comes from its proxy's connection (numbered across every proxy) and its line on
// it: TCP keeps a connection in order, so nothing is matched by text.
void TracedProxies::observe(FaultProxy& proxy) {
  auto from = proxy.from(), to = proxy.to();
  auto link = proxy_count_++;
  auto number = [this, link](std::uint64_t connection) {
    auto [it, added] = connection_numbers_.try_emplace({link, connection}, 0);
    if (added) it->second = ++connections_seen_;
    return it->second;
  };
  proxy.set_observer(
      {[this, from, to, number](std::uint64_t c, bool forward, std::string_view bytes) {
         std::lock_guard lock(trace_mutex_);
         trace_.sent(now(), number(c), forward ? from : to, forward ? to : from, bytes);
       },
       [this, from, to, number](std::uint64_t c, bool forward, std::string_view bytes) {
         std::lock_guard lock(trace_mutex_);
         trace_.delivered(now(), number(c), forward ? from : to, forward ? to : from, bytes);
       },
       [this, number](std::uint64_t c, const char* why) {
         std::lock_guard lock(trace_mutex_);
         trace_.lost(now(), number(c), why);
       }});
}

}  // namespace herd
