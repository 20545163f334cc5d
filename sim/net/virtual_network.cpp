#include "sim/net/virtual_network.hpp"

#include <algorithm>

#include "core/line_splitter.hpp"

namespace herd::vnet {

const char* to_string(DropReason reason) {
  switch (reason) {
    case DropReason::reset:
      return "reset";
    case DropReason::crash:
      return "crash";
    case DropReason::cut:
      return "cut";
  }
  return "?";
}

VirtualNetwork::VirtualNetwork(std::uint64_t seed) : random_(seed) {}

void VirtualNetwork::at(Time when, std::function<void()> action) {
  events_.push({std::max(when, now_), next_order_++, std::move(action)});
}

bool VirtualNetwork::run_next() {
  if (events_.empty()) return false;
  // Moved out before it runs: the action may schedule more.
  Event event = std::move(const_cast<Event&>(events_.top()));
  events_.pop();
  now_ = event.when;
  event.action();
  return true;
}

void VirtualNetwork::run_until(Time until) {
  while (!events_.empty() && events_.top().when <= until) run_next();
  now_ = std::max(now_, until);
}

void VirtualNetwork::discard_events() {
  // Popped one at a time: destroying an event may schedule another.
  while (!events_.empty()) {
    Event event = std::move(const_cast<Event&>(events_.top()));
    events_.pop();
  }
}

std::optional<Time> VirtualNetwork::next_event() const {
  if (events_.empty()) return std::nullopt;
  return events_.top().when;
}

VirtualNetwork::ListenerId VirtualNetwork::listen(const std::string& host, std::uint16_t port,
                                                  AcceptHandler on_accept) {
  auto id = next_listener_;
  if (!listeners_.try_emplace(port, Listener{host, std::move(on_accept), id}).second) return 0;
  ++next_listener_;
  return id;
}

void VirtualNetwork::stop_listening(std::uint16_t port, ListenerId id) {
  auto it = listeners_.find(port);
  if (it != listeners_.end() && it->second.id == id) listeners_.erase(it);
}

bool VirtualNetwork::listening(std::uint16_t port) const {
  return listeners_.count(port) != 0;
}

void VirtualNetwork::connect(const std::string& from, std::uint16_t port,
                             std::function<void(std::optional<ConnectionId>)> done) {
  // Never at once: the caller is still setting up when connect returns, as with a socket.
  after(0, [this, from, port, done = std::move(done)] {
    auto listener = listeners_.find(port);
    if (listener == listeners_.end()) return done(std::nullopt);  // nothing listens: refused
    auto link = faults(from, listener->second.host);
    if (link.cut) return done(std::nullopt);
    if (link.drop) return;  // a blackhole: no answer ever comes
    ConnectionId id = next_id_++;
    auto& c = connections_[id];
    c.initiator_host = from;
    c.acceptor_host = listener->second.host;
    auto on_accept = listener->second.on_accept;  // the handler may stop listening
    on_accept(id);
    done(id);
  });
}

void VirtualNetwork::set_receiver(ConnectionId id, End end, Receiver r) {
  auto it = connections_.find(id);
  if (it != connections_.end()) receiver(it->second, end) = std::move(r);
}

std::string VirtualNetwork::read(ConnectionId id, End end) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return {};
  std::string out;
  out.swap(direction(it->second, other(end)).arrived);
  return out;
}

bool VirtualNetwork::write(ConnectionId id, End end, std::string bytes) {
  auto it = connections_.find(id);
  if (it == connections_.end() || !it->second.open) return false;
  if (direction(it->second, end).closing) return false;
  if (bytes.empty()) return true;
  if (observer_.sent) observer_.sent(id, end, bytes);
  send(id, end, std::move(bytes));
  return true;
}

LinkFaults VirtualNetwork::faults_of(const Connection& c) const {
  return faults(c.initiator_host, c.acceptor_host);
}

void VirtualNetwork::send(ConnectionId id, End from, std::string bytes, bool past_hold) {
  auto& c = connections_.at(id);
  auto& d = direction(c, from);
  auto link = faults_of(c);
  // Faults act on what the initiator sends, as a proxy in front of the acceptor does; a
  // blackhole stalls both ways.
  bool shaped = from == End::initiator;
  if (link.drop || (shaped && link.hold && !past_hold)) {
    d.held += bytes;
    return;
  }
  Time delay = base_latency_;
  if (shaped && (link.latency_ms > 0 || link.jitter_ms > 0)) {
    auto jitter = random_.between(-link.jitter_ms, link.jitter_ms);
    delay += std::max<Time>(0, (link.latency_ms + jitter) * millisecond);
  }
  // One latency from now, but never before what was sent earlier: the stream stays in order,
  // and back-to-back writes do not pile their latencies up.
  Time when = std::max(now_ + delay, d.last_delivery);
  std::size_t piece =
      shaped && link.slice_bytes > 0 ? static_cast<std::size_t>(link.slice_bytes) : bytes.size();
  for (std::size_t offset = 0; offset < bytes.size(); offset += piece) {
    auto part = bytes.substr(offset, piece);
    ++d.in_flight;
    at(when,
       [this, id, from, part, generation = c.generation] { deliver(id, from, part, generation); });
    if (shaped && link.bytes_per_s > 0)
      when += static_cast<Time>(part.size()) * 1'000'000'000 / link.bytes_per_s;
  }
  d.last_delivery = when;
}

void VirtualNetwork::deliver(ConnectionId id, End from, std::string bytes,
                             std::uint64_t generation) {
  auto it = connections_.find(id);
  if (it == connections_.end() || it->second.generation != generation) return;
  auto& c = it->second;
  auto& d = direction(c, from);
  --d.in_flight;
  // A crashed host reads nothing more; the reset that follows counts these bytes as lost.
  if (c.crashed_end && *c.crashed_end == other(from)) return;
  d.arrived += bytes;
  if (observer_.delivered) observer_.delivered(id, other(from), bytes);
  if (auto& r = receiver(c, other(from)); r.on_readable) r.on_readable();
  if (d.closing && d.in_flight == 0 && d.held.empty()) finish_close(id, from, generation);
}

void VirtualNetwork::close(ConnectionId id, End end) {
  auto it = connections_.find(id);
  if (it == connections_.end() || !it->second.open) return;
  auto& c = it->second;
  auto& d = direction(c, end);
  if (d.closing) return;
  d.closing = true;
  // The end of the stream follows the last byte sent before it.
  if (d.in_flight == 0 && d.held.empty())
    at(std::max(now_, d.last_delivery),
       [this, id, end, generation = c.generation] { finish_close(id, end, generation); });
}

void VirtualNetwork::finish_close(ConnectionId id, End from, std::uint64_t generation) {
  auto it = connections_.find(id);
  if (it == connections_.end() || it->second.generation != generation) return;
  auto& c = it->second;
  auto& d = direction(c, from);
  if (d.ended) return;
  d.ended = true;
  if (auto& r = receiver(c, other(from)); r.on_closed) r.on_closed(false);
  auto still = connections_.find(id);
  if (still != connections_.end() && still->second.forward.ended && still->second.backward.ended)
    connections_.erase(still);
}

void VirtualNetwork::reset(ConnectionId id, DropReason why) {
  auto it = connections_.find(id);
  if (it == connections_.end() || !it->second.open) return;
  auto& c = it->second;
  c.open = false;
  ++c.generation;  // what is in flight never arrives
  for (End from : {End::initiator, End::acceptor}) {
    auto& d = direction(c, from);
    // Held bytes never left; bytes in flight are in the scheduled deliveries, which the new
    // generation voids (a trace knows them as sent and never delivered); bytes that arrived were
    // delivered, read or not.
    if (!d.held.empty() && observer_.dropped) observer_.dropped(id, from, d.held, why);
    d = Direction{};
    d.ended = true;
  }
  if (observer_.aborted) observer_.aborted(id, why);
  // Both ends hear of it as an event, as a socket error arrives: never inside the caller.
  after(0, [this, id] {
    auto found = connections_.find(id);
    if (found == connections_.end()) return;
    auto initiator = found->second.at_initiator.on_closed;
    auto acceptor = found->second.at_acceptor.on_closed;
    connections_.erase(found);
    if (initiator) initiator(true);
    if (acceptor) acceptor(true);
  });
}

bool VirtualNetwork::open(ConnectionId id) const {
  auto it = connections_.find(id);
  return it != connections_.end() && it->second.open;
}

std::string VirtualNetwork::host_of(ConnectionId id, End end) const {
  auto it = connections_.find(id);
  if (it == connections_.end()) return {};
  return end == End::initiator ? it->second.initiator_host : it->second.acceptor_host;
}

void VirtualNetwork::crash(const std::string& host) {
  for (auto& [id, c] : connections_) {
    if (!c.open || c.crashed_end || (c.initiator_host != host && c.acceptor_host != host)) continue;
    End dead = c.initiator_host == host ? End::initiator : End::acceptor;
    c.crashed_end = dead;
    // What the host sent before it died has left it and still arrives, as the kernel sends a
    // dead process's buffered bytes; then the other end sees the reset. Bytes toward it are lost.
    Time when = std::max(now_, direction(c, dead).last_delivery);
    at(when, [this, id = id, generation = c.generation] {
      auto it = connections_.find(id);
      if (it != connections_.end() && it->second.generation == generation)
        reset(id, DropReason::crash);
    });
  }
  for (auto it = listeners_.begin(); it != listeners_.end();)
    it = it->second.host == host ? listeners_.erase(it) : std::next(it);
}

void VirtualNetwork::set_faults(const std::string& from, const std::string& to,
                                const LinkFaults& next) {
  auto key = std::make_pair(from, to);
  if (next == LinkFaults{})
    faults_.erase(key);
  else
    faults_[key] = next;
  std::vector<ConnectionId> affected;
  for (const auto& [id, c] : connections_)
    if (c.open && c.initiator_host == from && c.acceptor_host == to) affected.push_back(id);
  for (auto id : affected) {
    if (next.cut)
      reset(id, DropReason::cut);
    else
      release_held(id);
  }
}

std::vector<std::string> VirtualNetwork::held_lines(const std::string& from,
                                                    const std::string& to) const {
  std::vector<std::string> lines;
  for (const auto& [id, c] : connections_) {
    if (!c.open || c.initiator_host != from || c.acceptor_host != to) continue;
    for_each_line(c.forward.held, [&lines](std::string_view line) { lines.emplace_back(line); });
  }
  return lines;
}

bool VirtualNetwork::release_one_line(const std::string& from, const std::string& to) {
  for (auto& [id, c] : connections_) {
    if (!c.open || c.initiator_host != from || c.acceptor_host != to) continue;
    LineCursor cursor(c.forward.held);
    auto first = cursor.next();
    if (!first) continue;
    std::string line = std::string(*first) + '\n';
    c.forward.held.erase(0, cursor.taken());
    // Only past a hold: a blackhole (drop) still swallows it.
    send(id, End::initiator, std::move(line), true);
    return true;
  }
  return false;
}

void VirtualNetwork::reset_link(const std::string& from, const std::string& to) {
  std::vector<ConnectionId> affected;
  for (const auto& [id, c] : connections_)
    if (c.open && c.initiator_host == from && c.acceptor_host == to) affected.push_back(id);
  for (auto id : affected) reset(id, DropReason::reset);
}

LinkFaults VirtualNetwork::faults(const std::string& from, const std::string& to) const {
  auto it = faults_.find({from, to});
  return it == faults_.end() ? LinkFaults{} : it->second;
}

void VirtualNetwork::release_held(ConnectionId id) {
  auto& c = connections_.at(id);
  auto link = faults_of(c);
  for (End from : {End::initiator, End::acceptor}) {
    auto& d = direction(c, from);
    bool stalled = link.drop || (from == End::initiator && link.hold);
    if (stalled || d.held.empty()) continue;
    std::string bytes;
    bytes.swap(d.held);
    send(id, from, std::move(bytes));
    if (d.closing && d.in_flight == 0)
      at(std::max(now_, d.last_delivery),
         [this, id, from, generation = c.generation] { finish_close(id, from, generation); });
  }
}

}  // namespace herd::vnet
