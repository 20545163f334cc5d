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

namespace {
const std::string no_host;
}

VirtualNetwork::VirtualNetwork(std::uint64_t seed) : random_(seed) {}

HostId VirtualNetwork::host_id(const std::string& name) {
  auto [it, added] = host_ids_.try_emplace(name, static_cast<HostId>(host_names_.size()));
  if (added) host_names_.push_back(name);
  return it->second;
}

VirtualNetwork::Connection* VirtualNetwork::find(ConnectionId id) {
  if (id == 0 || id > connections_.size()) return nullptr;
  return connections_[id - 1].get();
}

const VirtualNetwork::Connection* VirtualNetwork::find(ConnectionId id) const {
  if (id == 0 || id > connections_.size()) return nullptr;
  return connections_[id - 1].get();
}

void VirtualNetwork::erase(ConnectionId id) {
  if (id == 0 || id > connections_.size()) return;
  connections_[id - 1].reset();
  while (first_open_ < connections_.size() && !connections_[first_open_]) ++first_open_;
}

template <typename Visit>
void VirtualNetwork::each_connection(HostId from, HostId to, Visit&& visit) {
  for (std::size_t i = first_open_; i < connections_.size(); ++i) {
    auto* c = connections_[i].get();
    if (c != nullptr && c->open && c->initiator_host == from && c->acceptor_host == to)
      visit(static_cast<ConnectionId>(i + 1), *c);
  }
}

void VirtualNetwork::schedule(Time when, Payload payload) {
  std::uint32_t slot;
  if (!free_payloads_.empty()) {
    slot = free_payloads_.back();
    free_payloads_.pop_back();
    payloads_[slot] = std::move(payload);
  } else {
    slot = static_cast<std::uint32_t>(payloads_.size());
    payloads_.push_back(std::move(payload));
  }
  Event event{std::max(when, now_), next_order_++, slot};
  if (payloads_[slot].kind == Payload::Kind::delivery) {
    ++deliveries_on_their_way_;
    // Its order number is the highest yet: at a time no earlier than the queue's last, it is last.
    if (in_order_.empty() || event.when >= in_order_.back().when) {
      in_order_.push_back(event);
      return;
    }
  }
  events_.push(event);
}

VirtualNetwork::Event VirtualNetwork::take_earliest() {
  if (!in_order_.empty() && (events_.empty() || Later{}(events_.top(), in_order_.front()))) {
    auto event = in_order_.front();
    in_order_.pop_front();
    return event;
  }
  auto event = events_.top();
  events_.pop();
  return event;
}

void VirtualNetwork::at(Time when, std::function<void()> action) {
  Payload payload;
  payload.action = std::move(action);
  schedule(when, std::move(payload));
}

bool VirtualNetwork::run_next() {
  if (earliest() == nullptr) return false;
  auto event = take_earliest();
  // Moved out before it runs: it may schedule more, and reuse the slot.
  Payload payload = std::move(payloads_[event.slot]);
  free_payloads_.push_back(event.slot);
  now_ = event.when;
  switch (payload.kind) {
    case Payload::Kind::delivery:
      --deliveries_on_their_way_;
      deliver(payload.id, payload.from, std::move(payload.bytes), payload.generation);
      break;
    case Payload::Kind::close:
      finish_close(payload.id, payload.from, payload.generation);
      break;
    case Payload::Kind::action:
      payload.action();
      break;
  }
  return true;
}

void VirtualNetwork::run_until(Time until) {
  for (const Event* next = earliest(); next != nullptr && next->when <= until; next = earliest())
    run_next();
  now_ = std::max(now_, until);
}

void VirtualNetwork::discard_events() {
  // Taken one at a time: destroying an event may schedule another.
  while (earliest() != nullptr) {
    auto event = take_earliest();
    Payload payload = std::move(payloads_[event.slot]);
    free_payloads_.push_back(event.slot);
  }
}

std::optional<Time> VirtualNetwork::next_event() const {
  return next_event_time();
}

VirtualNetwork::ListenerId VirtualNetwork::listen(const std::string& host, std::uint16_t port,
                                                  AcceptHandler on_accept) {
  auto id = next_listener_;
  if (!listeners_.try_emplace(port, Listener{host_id(host), std::move(on_accept), id}).second)
    return 0;
  ++next_listener_;
  return id;
}

void VirtualNetwork::stop_listening(std::uint16_t port, ListenerId id) {
  auto it = listeners_.find(port);
  if (it == listeners_.end() || it->second.id != id) return;
  listeners_.erase(it);
  taken_below_ = std::min(taken_below_, port);
}

bool VirtualNetwork::listening(std::uint16_t port) const {
  return listeners_.count(port) != 0;
}

std::uint16_t VirtualNetwork::first_free_port(std::uint16_t from) {
  if (from != search_from_) search_from_ = taken_below_ = from;
  std::uint32_t port = std::max(from, taken_below_);
  while (port <= 65535 && listening(static_cast<std::uint16_t>(port))) ++port;
  if (port > 65535) return 0;
  taken_below_ = static_cast<std::uint16_t>(port);
  return taken_below_;
}

void VirtualNetwork::connect(const std::string& from, std::uint16_t port,
                             std::function<void(std::optional<ConnectionId>)> done) {
  // Never at once: the caller is still setting up when connect returns, as with a socket.
  after(0, [this, from = host_id(from), port, done = std::move(done)] {
    auto listener = listeners_.find(port);
    if (listener == listeners_.end()) return done(std::nullopt);  // nothing listens: refused
    auto to = listener->second.host;
    LinkFaults link;
    if (!faults_.empty())
      if (auto it = faults_.find(link_key(from, to)); it != faults_.end()) link = it->second;
    if (link.cut) return done(std::nullopt);
    if (link.drop) return;  // a blackhole: no answer ever comes
    connections_.push_back(std::make_unique<Connection>());
    auto id = static_cast<ConnectionId>(connections_.size());
    auto& c = *connections_.back();
    c.initiator_host = from;
    c.acceptor_host = to;
    auto on_accept = listener->second.on_accept;  // the handler may stop listening
    on_accept(id);
    done(id);
  });
}

void VirtualNetwork::set_receiver(ConnectionId id, End end, Receiver r) {
  if (auto* c = find(id)) receiver(*c, end) = std::move(r);
}

std::string VirtualNetwork::read(ConnectionId id, End end) {
  std::string out;
  read_into(id, end, out);
  return out;
}

void VirtualNetwork::read_into(ConnectionId id, End end, std::string& out) {
  auto* c = find(id);
  if (c == nullptr) return;
  auto& arrived = direction(*c, other(end)).arrived;
  if (out.empty())
    out.swap(arrived);  // `out`'s buffer, if it has one, is kept for the next delivery
  else
    out += arrived;
  arrived.clear();
}

std::string VirtualNetwork::spare_buffer(std::string_view bytes) {
  std::string buffer;
  if (!spare_buffers_.empty()) {
    buffer = std::move(spare_buffers_.back());
    spare_buffers_.pop_back();
  }
  buffer.assign(bytes);
  return buffer;
}

void VirtualNetwork::recycle(std::string&& bytes) {
  // Enough for the messages on their way in a busy run; a big one's buffer is not kept.
  constexpr std::size_t most_kept = 4096, largest_kept = 4096;
  if (spare_buffers_.size() >= most_kept || bytes.capacity() > largest_kept) return;
  bytes.clear();
  spare_buffers_.push_back(std::move(bytes));
}

bool VirtualNetwork::write(ConnectionId id, End end, std::string_view bytes) {
  auto* c = find(id);
  if (c == nullptr || !c->open) return false;
  if (direction(*c, end).closing) return false;
  if (bytes.empty()) return true;
  if (observer_.sent) observer_.sent(id, end, bytes);
  send(id, end, bytes);
  return true;
}

LinkFaults VirtualNetwork::faults_of(const Connection& c) const {
  // Nearly always no link has a fault: no lookup then.
  if (faults_.empty()) return {};
  auto it = faults_.find(link_key(c.initiator_host, c.acceptor_host));
  return it == faults_.end() ? LinkFaults{} : it->second;
}

void VirtualNetwork::send(ConnectionId id, End from, std::string_view bytes, bool past_hold) {
  auto& c = *find(id);
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
  auto deliver_at = [&](Time at, std::string_view part) {
    if (observer_.scheduled) observer_.scheduled(id, from, part, at);
    ++d.in_flight;
    Payload payload;
    payload.kind = Payload::Kind::delivery;
    payload.id = id;
    payload.from = from;
    payload.generation = c.generation;
    payload.bytes = spare_buffer(part);
    schedule(at, std::move(payload));
  };
  if (piece >= bytes.size() && !(shaped && link.bytes_per_s > 0)) {
    deliver_at(when, bytes);  // the usual case: the bytes go whole
  } else {
    for (std::size_t offset = 0; offset < bytes.size(); offset += piece) {
      auto part = bytes.substr(offset, piece);
      auto size = part.size();
      deliver_at(when, part);
      if (shaped && link.bytes_per_s > 0)
        when += static_cast<Time>(size) * 1'000'000'000 / link.bytes_per_s;
    }
  }
  d.last_delivery = when;
}

void VirtualNetwork::deliver(ConnectionId id, End from, std::string bytes,
                             std::uint64_t generation) {
  auto* found = find(id);
  if (found == nullptr || found->generation != generation) return;
  auto& c = *found;
  auto& d = direction(c, from);
  --d.in_flight;
  // A crashed host reads nothing more; the reset that follows counts these bytes as lost.
  if (c.crashed_end && *c.crashed_end == other(from)) return;
  if (observer_.delivered) observer_.delivered(id, other(from), bytes);
  // A receiver acting in place may close its end, and destroy itself with the callback it set:
  // each call runs on a copy, and the connection is looked up again after it.
  if (auto& r = receiver(c, other(from)); r.on_bytes && d.arrived.empty()) {
    auto on_bytes = r.on_bytes;
    on_bytes(bytes);
    recycle(std::move(bytes));
    found = find(id);
    if (found == nullptr || found->generation != generation) return;
  } else {
    d.arrived += bytes;
    recycle(std::move(bytes));
    if (r.on_readable) {
      auto on_readable = r.on_readable;
      on_readable();
      found = find(id);
      if (found == nullptr || found->generation != generation) return;
    }
  }
  auto& after = direction(*found, from);
  if (after.closing && after.in_flight == 0 && after.held.empty())
    finish_close(id, from, generation);
}

void VirtualNetwork::close(ConnectionId id, End end) {
  auto* found = find(id);
  if (found == nullptr || !found->open) return;
  auto& c = *found;
  auto& d = direction(c, end);
  if (d.closing) return;
  d.closing = true;
  // The end of the stream follows the last byte sent before it.
  if (d.in_flight == 0 && d.held.empty()) {
    Payload payload;
    payload.kind = Payload::Kind::close;
    payload.id = id;
    payload.from = end;
    payload.generation = c.generation;
    schedule(std::max(now_, d.last_delivery), std::move(payload));
  }
}

void VirtualNetwork::finish_close(ConnectionId id, End from, std::uint64_t generation) {
  auto* found = find(id);
  if (found == nullptr || found->generation != generation) return;
  auto& d = direction(*found, from);
  if (d.ended) return;
  d.ended = true;
  if (auto& r = receiver(*found, other(from)); r.on_closed) r.on_closed(false);
  auto* still = find(id);
  if (still != nullptr && still->forward.ended && still->backward.ended) erase(id);
}

void VirtualNetwork::reset(ConnectionId id, DropReason why) {
  auto* found = find(id);
  if (found == nullptr || !found->open) return;
  auto& c = *found;
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
    auto* gone = find(id);
    if (gone == nullptr) return;
    auto initiator = gone->at_initiator.on_closed;
    auto acceptor = gone->at_acceptor.on_closed;
    erase(id);
    if (initiator) initiator(true);
    if (acceptor) acceptor(true);
  });
}

bool VirtualNetwork::open(ConnectionId id) const {
  const auto* c = find(id);
  return c != nullptr && c->open;
}

const std::string& VirtualNetwork::host_of(ConnectionId id, End end) const {
  const auto* c = find(id);
  if (c == nullptr) return no_host;
  return host_names_[end == End::initiator ? c->initiator_host : c->acceptor_host];
}

HostId VirtualNetwork::host_id_of(ConnectionId id, End end) const {
  const auto* c = find(id);
  if (c == nullptr) return static_cast<HostId>(-1);
  return end == End::initiator ? c->initiator_host : c->acceptor_host;
}

void VirtualNetwork::crash(const std::string& name) {
  auto host = host_id(name);
  for (std::size_t i = first_open_; i < connections_.size(); ++i) {
    auto* c = connections_[i].get();
    if (c == nullptr || !c->open || c->crashed_end ||
        (c->initiator_host != host && c->acceptor_host != host))
      continue;
    auto id = static_cast<ConnectionId>(i + 1);
    End dead = c->initiator_host == host ? End::initiator : End::acceptor;
    c->crashed_end = dead;
    // What the host sent before it died has left it and still arrives, as the kernel sends a
    // dead process's buffered bytes; then the other end sees the reset. Bytes toward it are lost.
    Time when = std::max(now_, direction(*c, dead).last_delivery);
    at(when, [this, id, generation = c->generation] {
      auto* still = find(id);
      if (still != nullptr && still->generation == generation) reset(id, DropReason::crash);
    });
  }
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    if (it->second.host != host) {
      ++it;
      continue;
    }
    taken_below_ = std::min(taken_below_, it->first);
    it = listeners_.erase(it);
  }
}

void VirtualNetwork::set_faults(const std::string& from_name, const std::string& to_name,
                                const LinkFaults& next) {
  auto from = host_id(from_name), to = host_id(to_name);
  if (next == LinkFaults{})
    faults_.erase(link_key(from, to));
  else
    faults_[link_key(from, to)] = next;
  std::vector<ConnectionId> affected;
  each_connection(from, to, [&](ConnectionId id, Connection&) { affected.push_back(id); });
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
  auto f = host_ids_.find(from), t = host_ids_.find(to);
  if (f == host_ids_.end() || t == host_ids_.end()) return lines;
  const_cast<VirtualNetwork*>(this)->each_connection(
      f->second, t->second, [&lines](ConnectionId, Connection& c) {
        for_each_line(c.forward.held,
                      [&lines](std::string_view line) { lines.emplace_back(line); });
      });
  return lines;
}

bool VirtualNetwork::release_one_line(const std::string& from, const std::string& to) {
  std::optional<std::pair<ConnectionId, std::string>> released;
  each_connection(host_id(from), host_id(to), [&released](ConnectionId id, Connection& c) {
    if (released) return;
    LineCursor cursor(c.forward.held);
    auto first = cursor.next();
    if (!first) return;
    released.emplace(id, std::string(*first) + '\n');
    c.forward.held.erase(0, cursor.taken());
  });
  if (!released) return false;
  // Only past a hold: a blackhole (drop) still swallows it.
  send(released->first, End::initiator, released->second, true);
  return true;
}

void VirtualNetwork::reset_link(const std::string& from, const std::string& to) {
  std::vector<ConnectionId> affected;
  each_connection(host_id(from), host_id(to),
                  [&](ConnectionId id, Connection&) { affected.push_back(id); });
  for (auto id : affected) reset(id, DropReason::reset);
}

LinkFaults VirtualNetwork::faults(const std::string& from, const std::string& to) const {
  if (faults_.empty()) return {};
  auto f = host_ids_.find(from), t = host_ids_.find(to);
  if (f == host_ids_.end() || t == host_ids_.end()) return {};
  auto it = faults_.find(link_key(f->second, t->second));
  return it == faults_.end() ? LinkFaults{} : it->second;
}

void VirtualNetwork::release_held(ConnectionId id) {
  auto& c = *find(id);
  auto link = faults_of(c);
  for (End from : {End::initiator, End::acceptor}) {
    auto& d = direction(c, from);
    bool stalled = link.drop || (from == End::initiator && link.hold);
    if (stalled || d.held.empty()) continue;
    std::string bytes;
    bytes.swap(d.held);
    send(id, from, bytes);
    if (d.closing && d.in_flight == 0) {
      Payload payload;
      payload.kind = Payload::Kind::close;
      payload.id = id;
      payload.from = from;
      payload.generation = c.generation;
      schedule(std::max(now_, d.last_delivery), std::move(payload));
    }
  }
}

}  // namespace herd::vnet
