#include "core/location_store.hpp"

#include <cstring>
#include <tuple>

namespace herd {
namespace {

// The n-th whitespace-separated field of a stored AT line (stored lines are trimmed, single
// fields).
std::string_view field(std::string_view line, int n) {
  std::size_t i = 0;
  for (int f = 0;; ++f) {
    while (i < line.size() && is_field_space(line[i])) ++i;
    std::size_t start = i;
    while (i < line.size() && !is_field_space(line[i])) ++i;
    if (f == n || i == line.size())
      return f == n ? line.substr(start, i - start) : std::string_view{};
  }
}

}  // namespace

std::string_view RecordView::server() const {
  return field(line, 1);
}
std::string_view RecordView::client() const {
  return field(line, 3);
}

std::string_view at_line_client(std::string_view line) {
  return field(line, 3);
}

RecordView record_from_at(const AtMessage& at) {
  // Without outer whitespace or trailing extra fields: what the origin sent, without framing.
  return {at.time, at.text};
}

bool record_from_at_line(std::string_view line, RecordView& out) {
  auto command = parse_command(line);
  auto* at = std::get_if<AtMessage>(&command);
  if (at == nullptr) return false;
  out = record_from_at(*at);
  return true;
}

bool record_from_at_line(std::string_view line, Record& out) {
  RecordView view;
  if (!record_from_at_line(line, view)) return false;
  out.time = view.time;
  out.line.assign(view.line);
  return true;
}

bool is_newer(const RecordView& candidate, const RecordView& current) {
  auto cs = candidate.server();
  auto ks = current.server();
  return std::tie(candidate.time, cs, candidate.line) > std::tie(current.time, ks, current.line);
}

void LocationStore::Entry::assign(const RecordView& record) const {
  auto needed = static_cast<std::uint32_t>(record.line.size());
  if (needed > capacity) {
    // Round up to the slack glibc's malloc leaves in the block anyway (16-byte steps, 8 of
    // them its header), so a client's next line, a digit or two longer, still fits in place.
    capacity = ((needed + 8 + 15) & ~std::uint32_t{15}) - 8;
    text = std::make_unique_for_overwrite<char[]>(capacity);
  }
  std::memcpy(text.get(), record.line.data(), needed);
  size = needed;
  seconds = record.time.seconds;
  nanos = record.time.nanos;
}

std::optional<RecordView> LocationStore::offer(const RecordView& record) {
  auto client = record.client();
  auto it = entries_.find(client);
  if (it == entries_.end()) {
    Entry entry;
    entry.assign(record);
    entry.client_hash = ClientHash::of(client);
    return entries_.insert(std::move(entry)).first->view();
  }
  if (!is_newer(record, it->view())) return std::nullopt;
  it->assign(record);
  return it->view();
}

std::optional<RecordView> LocationStore::find(std::string_view client) const {
  auto it = entries_.find(client);
  if (it == entries_.end()) return std::nullopt;
  return it->view();
}

void LocationStore::for_each(const std::function<void(const RecordView&)>& visit) const {
  for (const auto& entry : entries_) visit(entry.view());
}

}  // namespace herd
