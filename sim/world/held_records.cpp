#include "sim/world/held_records.hpp"

#include <algorithm>

#include "core/location_store.hpp"

namespace herd {

HeldRecords::HeldRecords(const std::vector<std::string>& servers)
    : server_names_(servers), servers_(servers.size()) {
  for (std::size_t i = 0; i < server_names_.size(); ++i) server_index_.emplace(server_names_[i], i);
}

HeldRecords::Server* HeldRecords::server_named(std::string_view name) {
  auto it = server_index_.find(name);
  return it == server_index_.end() ? nullptr : &servers_[it->second];
}

HeldRecords::Server* HeldRecords::server_at(std::uint32_t place, std::string_view name) {
  if (place < server_names_.size() && server_names_[place] == name) return &servers_[place];
  return server_named(name);
}

const HeldRecords::Server* HeldRecords::server_named(std::string_view name) const {
  auto it = server_index_.find(name);
  return it == server_index_.end() ? nullptr : &servers_[it->second];
}

void HeldRecords::ByClient::set(Id client, Id line) {
  if (client >= lines.size()) {
    if (line == none) return;
    lines.resize(client + 1, none);
  }
  count += (lines[client] == none) - (line == none);
  lines[client] = line;
}

std::size_t HeldRecords::off_pairs(const Server& s) const {
  std::size_t off = 0;
  expected_.for_each([&](Id client, Id line) { off += s.lines.get(client) != line; });
  s.lines.for_each([&](Id client, Id) { off += expected_.get(client) == none; });
  return off;
}

void HeldRecords::put(Server& s, Id client, Id line) {
  Id before = s.lines.get(client);
  if (s.live) {
    Id expected = expected_.get(client);
    if (expected != none) {
      off_ -= before != expected;
      off_ += line != expected;
    } else if (before == none) {
      ++off_;  // a client nobody expects (yet)
    }
  }
  s.lines.set(client, line);
}

void HeldRecords::changed() {
  ++changes_;
  moved_.notify_all();
}

HeldRecords::Id HeldRecords::stored(std::string_view server, std::string_view at_line,
                                    std::string_view client, std::uint32_t place) {
  if (client.empty()) client = at_line_client(at_line);
  if (client.empty()) return none;
  std::lock_guard lock(mutex_);
  auto* s = server_at(place, server);
  if (s == nullptr) return none;
  auto client_id = clients_.intern(client);
  // A flood stores the client's newest accepted line at every server: when it is that one, its
  // number is known without hashing the line.
  auto expected = expected_.get(client_id);
  auto line =
      expected != none && lines_.text(expected) == at_line ? expected : lines_.intern(at_line);
  put(*s, client_id, line);
  changed();
  return line;
}

void HeldRecords::replace(std::string_view server, const StoreRecords& records,
                          const StoreRecords& unreadable) {
  std::lock_guard lock(mutex_);
  auto* s = server_named(server);
  if (s == nullptr) return;
  if (s->live) off_ -= off_pairs(*s);
  s->lines.clear();
  s->unreadable = unreadable;
  for (const auto& [client, line] : records)
    s->lines.set(clients_.intern(client), lines_.intern(line));
  if (s->live) off_ += off_pairs(*s);
  changed();
}

void HeldRecords::forget(std::string_view server) {
  std::lock_guard lock(mutex_);
  auto* s = server_named(server);
  if (s == nullptr) return;
  if (s->live) off_ -= off_pairs(*s);
  s->lines.clear();
  s->unreadable.clear();
  if (s->live) off_ += off_pairs(*s);
  changed();
}

StoreRecords HeldRecords::unreadable(std::string_view server) const {
  std::lock_guard lock(mutex_);
  const auto* s = server_named(server);
  return s == nullptr ? StoreRecords{} : s->unreadable;
}

void HeldRecords::link_up() {
  std::lock_guard lock(mutex_);
  ++link_ups_;
  changed();
}

void HeldRecords::set_live(std::string_view server, bool live) {
  std::lock_guard lock(mutex_);
  auto* s = server_named(server);
  if (s == nullptr || s->live == live) return;
  if (s->live)
    off_ -= off_pairs(*s);
  else
    off_ += off_pairs(*s);
  s->live = live;
  changed();
}

void HeldRecords::expect(std::string_view at_line) {
  auto client_name = at_line_client(at_line);
  if (client_name.empty()) return;
  std::lock_guard lock(mutex_);
  auto client = clients_.intern(client_name);
  auto line = lines_.intern(at_line);
  Id before = expected_.get(client);
  if (before == line) return;
  for (const auto& s : servers_) {
    if (!s.live) continue;
    Id holds = s.lines.get(client);
    // Before: an unexpected client counts if held; an expected one if not held as expected.
    off_ -= before == none ? holds != none : holds != before;
    off_ += holds != line;
  }
  expected_.set(client, line);
  changed();
}

bool HeldRecords::all_hold_expected() const {
  std::lock_guard lock(mutex_);
  return off_ == 0;
}

std::size_t HeldRecords::off_count() const {
  std::lock_guard lock(mutex_);
  return off_;
}

std::size_t HeldRecords::count(std::string_view server) const {
  std::lock_guard lock(mutex_);
  const auto* s = server_named(server);
  return s == nullptr ? 0 : s->lines.count;
}

std::optional<std::string> HeldRecords::record(std::string_view server,
                                               std::string_view client) const {
  std::lock_guard lock(mutex_);
  const auto* s = server_named(server);
  auto id = clients_.find(client);
  if (s == nullptr || id == none) return std::nullopt;
  auto held = s->lines.get(id);
  if (held == none) return std::nullopt;
  return std::string(lines_.text(held));
}

StoreRecords HeldRecords::records(std::string_view server) const {
  std::lock_guard lock(mutex_);
  StoreRecords out;
  const auto* s = server_named(server);
  if (s == nullptr) return out;
  s->lines.for_each(
      [&](Id client, Id line) { out.emplace(clients_.text(client), lines_.text(line)); });
  return out;
}

std::size_t HeldRecords::link_ups() const {
  std::lock_guard lock(mutex_);
  return link_ups_;
}

bool HeldRecords::live(std::string_view server) const {
  std::lock_guard lock(mutex_);
  const auto* s = server_named(server);
  return s != nullptr && s->live;
}

std::vector<std::string> HeldRecords::expected_clients() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  expected_.for_each([&](Id client, Id) { out.emplace_back(clients_.text(client)); });
  std::sort(out.begin(), out.end());
  return out;
}

StoreRecords HeldRecords::expected_lines() const {
  std::lock_guard lock(mutex_);
  StoreRecords out;
  expected_.for_each(
      [&](Id client, Id line) { out.emplace(clients_.text(client), lines_.text(line)); });
  return out;
}

std::uint64_t HeldRecords::changes() const {
  std::lock_guard lock(mutex_);
  return changes_;
}

bool HeldRecords::wait_for_change(std::uint64_t seen,
                                  std::chrono::steady_clock::time_point until) const {
  std::unique_lock lock(mutex_);
  return moved_.wait_until(lock, until, [&] { return changes_ != seen; });
}

}  // namespace herd
